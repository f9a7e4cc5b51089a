"""The release stack's state machine on the emulator: where to find it.

The release stack's function, role, log group and state machine are created from its
synthesized template like every stack's (:mod:`lightship.local.from_templates`,
:mod:`lightship.local.state_machines`). Bake times are real waits on the emulator (moto's
Wait waits): tests and the demo set ``release.bake_minutes`` to seconds.
"""

from __future__ import annotations

from lightship.resources import Resources
from lightship.settings import Settings


def state_machine_arn(settings: Settings, resources: Resources) -> str:
    return f"arn:aws:states:{resources.region}:{resources.account}:stateMachine:{settings.release_state_machine_name}"
