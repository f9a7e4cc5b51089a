"""Where a batch run reads and writes, and its limits: resolved once from the settings.

Every batch step builds a :class:`BatchConfig` from :func:`lightship.settings.load_settings`
and the names :mod:`lightship.resources` resolves for the account; on Lambda the stack passes the resolved names as ``LIGHTSHIP_*``
environment variables, so the same code resolves the same names everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lightship.drift.limits import DriftLimits, feature_limits
from lightship.resources import Resources, current_resources
from lightship.settings import Settings, cached_settings


@dataclass(frozen=True)
class BatchConfig:
    region: str
    account: str
    data_bucket: str
    artifact_bucket: str
    deployment_table: str
    input_prefix: str
    output_prefix: str
    rejects_prefix: str
    report_prefix: str
    chunk_rows: int
    distributed_map_threshold: int
    psi_threshold: float
    ks_threshold: float
    feature_thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    profile_bins: int = 20
    id_column: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, resources: Resources) -> BatchConfig:
        """The names from ``resources`` (lightship.resources, the one place they are resolved), the limits from ``settings``
        (the drift limits through :class:`lightship.drift.limits.DriftLimits`, as ``lightship drift`` reads them)."""
        drift = DriftLimits.from_settings(settings)
        return cls(
            region=resources.region,
            account=resources.account,
            data_bucket=resources.data_bucket,
            artifact_bucket=resources.artifact_bucket,
            deployment_table=resources.deployment_table,
            input_prefix=settings.batch_input_prefix.strip("/"),
            output_prefix=settings.batch_output_prefix.strip("/"),
            rejects_prefix=settings.batch_rejects_prefix.strip("/"),
            report_prefix=settings.batch_report_prefix.strip("/"),
            chunk_rows=settings.batch.chunk_rows,
            distributed_map_threshold=settings.batch.distributed_map_threshold,
            psi_threshold=drift.psi,
            ks_threshold=drift.ks,
            feature_thresholds=drift.feature_thresholds,
            profile_bins=drift.bins,
            id_column=settings.batch.id_column,
        )

    def thresholds_for(self, feature: str) -> tuple[float, float]:
        """(PSI, KS) limits for ``feature``: its own from ``batch.feature_thresholds``, else the defaults."""
        return feature_limits(feature, self.psi_threshold, self.ks_threshold, self.feature_thresholds)


def current_config() -> BatchConfig:
    """The configuration of this process (a Lambda's environment, or the CLI's settings)."""
    settings = cached_settings()
    return BatchConfig.from_settings(settings, current_resources(settings))
