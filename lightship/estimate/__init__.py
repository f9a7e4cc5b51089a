"""Cost and scale on paper: ``lightship estimate --rps R --batch-rows N`` (docs/estimate.md).

The public face, for the CLI and for ``lightship checklist``::

    from lightship.estimate import Load, estimate
    result = estimate(settings, Load(rps=5000, batch_rows=1_000_000_000))
    result.per_million_predictions   # USD, serving only
    result.per_batch_day             # USD, one batch run
    result.binding                   # the Limit that binds first (highest utilization)

Modules: :mod:`.prices` (every price, quota and assumption, sourced and dated; settings),
:mod:`.transitions` (state transitions counted on the synthesized batch machine),
:mod:`.cost` (the monthly cost lines), :mod:`.limits` (quotas against the load),
:mod:`.run` (:func:`estimate`, :class:`Load`, :class:`Estimate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lightship.estimate.run import Estimate, Load, estimate

__all__ = ["Estimate", "Load", "estimate"]


def __getattr__(name: str) -> Any:
    # Lazy: lightship.settings imports .prices, and .run imports the settings.
    if name in __all__:
        from lightship.estimate import run

        return getattr(run, name)
    raise AttributeError(name)
