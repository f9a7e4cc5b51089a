"""The release stack on the emulator: the state machine ``cdk synth`` emits and its function.

:func:`provision_release` (called by :func:`lightship.local.provision.provision`) provisions the
release stack's synthesized template through :mod:`lightship.local.synthesized_stack` (cached by
:mod:`lightship.local.synth_cache` like the batch stack's): its references resolved to the
emulator's ARNs, the function created by the template's name (routed in process to the handler
the template names, :mod:`lightship.local.lambda_router`) and the state machine. Bake times
are real waits on the emulator (moto's Wait waits): tests and the demo set
``release.bake_minutes`` to seconds.
"""

from __future__ import annotations

from typing import Any

from lightship.local.synthesized_stack import provision_stack
from lightship.local.synthesized_stack import synthesized as synthesized_stack
from lightship.resources import Resources
from lightship.settings import Settings

SOURCES = ("infra/stacks/release.py", "infra/nag.py", "infra/constructs/python_zip.py", "lightship/monitoring/alarms.py",
           "lightship/local/stack_synth.py", "cdk.json")


def synthesized(settings: Settings) -> dict[str, Any]:
    """The release stack's definition and function, from cache when the stack and settings are unchanged."""
    return synthesized_stack(settings, concern="release", stack_class="infra.stacks.release:ReleaseStack", sources=SOURCES)


def state_machine_arn(settings: Settings, resources: Resources) -> str:
    return f"arn:aws:states:{resources.region}:{resources.account}:stateMachine:{settings.release_state_machine_name}"


def provision_release(settings: Settings, resources: Resources) -> None:
    provision_stack(settings, resources, synthesized(settings), timeout=60, memory_mb=settings.release.memory_mb)
