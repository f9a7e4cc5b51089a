"""Where a batch run reads and writes, and its limits: resolved once from the settings.

Every batch step builds a :class:`BatchConfig` from :func:`lightship.settings.load_settings`
and the account; on Lambda the stack passes the resolved names as ``LIGHTSHIP_*``
environment variables, so the same code resolves the same names everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lightship.clients import account_id
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
    def from_settings(cls, settings: Settings, account: str) -> BatchConfig:
        return cls(
            region=settings.region,
            account=account,
            data_bucket=settings.data_bucket_name(account),
            artifact_bucket=settings.artifact_bucket_name(account),
            deployment_table=settings.deployment_table_name,
            input_prefix=settings.batch_input_prefix.strip("/"),
            output_prefix=settings.batch_output_prefix.strip("/"),
            rejects_prefix=settings.batch_rejects_prefix.strip("/"),
            report_prefix=settings.batch_report_prefix.strip("/"),
            chunk_rows=settings.batch.chunk_rows,
            distributed_map_threshold=settings.batch.distributed_map_threshold,
            psi_threshold=settings.batch.psi_threshold,
            ks_threshold=settings.batch.ks_threshold,
            feature_thresholds=dict(settings.batch.feature_thresholds),
            profile_bins=settings.training.profile_bins,
            id_column=settings.batch.id_column,
        )

    def thresholds_for(self, feature: str) -> tuple[float, float]:
        """(PSI, KS) limits for ``feature``: its own from ``batch.feature_thresholds``, else the defaults."""
        own = self.feature_thresholds.get(feature, {})
        return float(own.get("psi", self.psi_threshold)), float(own.get("ks", self.ks_threshold))


def current_config() -> BatchConfig:
    """The configuration of this process (a Lambda's environment, or the CLI's settings)."""
    settings = cached_settings()
    return BatchConfig.from_settings(settings, account_id())
