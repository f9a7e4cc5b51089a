"""Schedule rules stay out of ``PutEvents`` on the emulator's EventBridge, as on AWS.

On AWS a rule with a ``ScheduleExpression`` fires on its schedule only; an event sent with
``PutEvents`` never matches it. moto matches it against every event (it has no pattern) and then
fails the whole ``PutEvents`` call on its Step Functions target ("Expr not defined"). The
emulator holds the stacks' schedule rules with their targets (:mod:`lightship.local.from_templates`),
so :func:`install` makes moto skip schedule rules when it delivers events; rules with a pattern
and SQS or CloudWatch Logs targets deliver as before. moto fires no schedule either way.
:class:`~lightship.local.emulator.LocalEmulator` calls it at start.
"""

from __future__ import annotations

import functools
from typing import Any

_installed = False


def install() -> None:
    """Patch moto's EventBridge rules (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.events.models import Rule

    original = Rule.send_to_targets

    @functools.wraps(original)
    def send_to_targets(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.scheduled_expression:
            return  # a schedule rule matches no event
        original(self, *args, **kwargs)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    _installed = True
