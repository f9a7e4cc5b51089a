"""The drift limits from the settings: the PSI and KS thresholds (the defaults and each feature's
own from ``batch.feature_thresholds``) and the bins the reference is cut into.

One rule for the batch job (:class:`batch.config.BatchConfig` builds on it), ``lightship drift``
and the demo's drift chapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lightship.settings import Settings


def feature_limits(feature: str, psi: float, ks: float, own: Mapping[str, Mapping[str, float]]) -> tuple[float, float]:
    """(PSI, KS) limits for ``feature``: its own from ``own`` (feature -> {"psi", "ks"}), else ``psi`` and ``ks``."""
    mine = own.get(feature, {})
    return float(mine.get("psi", psi)), float(mine.get("ks", ks))


@dataclass(frozen=True)
class DriftLimits:
    psi: float
    ks: float
    feature_thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    bins: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> DriftLimits:
        return cls(
            psi=settings.batch.psi_threshold,
            ks=settings.batch.ks_threshold,
            feature_thresholds={name: dict(limits) for name, limits in settings.batch.feature_thresholds.items()},
            bins=settings.training.profile_bins,
        )

    def thresholds_for(self, feature: str) -> tuple[float, float]:
        """(PSI, KS) limits for ``feature`` (:func:`feature_limits`)."""
        return feature_limits(feature, self.psi, self.ks, self.feature_thresholds)
