"""The quality stack on the emulator: the state machine ``cdk synth`` emits and its function.

:func:`provision_quality` (called by :func:`lightship.local.provision.provision`) provisions the
quality stack's synthesized template through :mod:`lightship.local.synthesized_stack` (cached by
:mod:`lightship.local.synth_cache` like the batch and release stacks'): its references resolved to
the emulator's ARNs, the function created by the template's name (routed in process to the
handler its image's ``CMD`` names, :mod:`lightship.local.lambda_router`) and the state machine.
``lightship quality run`` then starts it exactly as on AWS (:mod:`lightship.quality.execution`).
"""

from __future__ import annotations

from typing import Any

from lightship.clients import client
from lightship.local.synthesized_stack import provision_stack
from lightship.local.synthesized_stack import synthesized as synthesized_stack
from lightship.resources import Resources
from lightship.settings import Settings

# The files whose change can change the quality stack's template.
SOURCES = ("infra/stacks/quality.py", "infra/stacks/batch.py", "infra/stacks/alerts.py", "infra/nag.py",
           "lightship/local/stack_synth.py", "cdk.json")


def synthesized(settings: Settings) -> dict[str, Any]:
    """The quality stack's definition and function, from cache when the stack and settings are unchanged."""
    return synthesized_stack(settings, concern="quality", stack_class="infra.stacks.quality:QualityStack", sources=SOURCES)


def provision_quality(settings: Settings, resources: Resources) -> None:
    client("sns").create_topic(Name=settings.alerts_topic_name)
    provision_stack(settings, resources, synthesized(settings), timeout=900, memory_mb=settings.quality.memory_mb)
