"""Drift statistics from counts on shared bins: PSI, the Kolmogorov-Smirnov statistic and
chi-squared, and the verdict against thresholds on effect sizes.

Everything is computed from a reference and a current :class:`~lightship.drift.sketch.Counts`, so a
run's statistics come exactly from its merged sketches. Verdicts use effect sizes (PSI,
the KS statistic D) and never p-values, which at a million rows flag trivial shifts; the
chi-squared p-value is reported for information only. Identical distributions give
PSI = 0 and D = 0, so they never flag (thresholds are > 0). Called by :mod:`batch.finalize`
and :mod:`lightship.drift.compare`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats as scipy_stats

from lightship.drift.sketch import Counts

# Empty bins get this share before the logarithm, as is usual for PSI; it bounds one
# empty bin's contribution instead of making PSI infinite.
EPSILON = 1e-4


@dataclass
class FeatureDrift:
    name: str
    kind: Literal["numeric", "categorical"]
    psi: float
    ks: float | None
    chi2: float
    chi2_p_value: float
    cramers_v: float
    psi_threshold: float
    ks_threshold: float | None
    drifted: bool
    reference_rows: int
    current_rows: int
    reference_missing: float
    current_missing: float
    labels: list[str]
    reference: list[float]  # shares per bin (+ missing last), for the report's plots
    current: list[float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shares(counts: Counts) -> np.ndarray:
    """Shares of each bin, missing as the last one (a surge of missing values is drift too)."""
    values = np.asarray([*counts.bins, counts.missing], dtype=float)
    total = values.sum()
    return values / total if total else values


def psi(reference: Counts, current: Counts) -> float:
    """Population stability index: sum over bins of (c - r) * ln(c / r), missing as a bin."""
    r = np.clip(shares(reference), EPSILON, None)
    c = np.clip(shares(current), EPSILON, None)
    same = np.isclose(shares(reference), shares(current), rtol=0.0, atol=1e-15)
    terms = np.where(same, 0.0, (c - r) * np.log(c / r))
    return float(terms.sum())


def ks_statistic(reference: Counts, current: Counts) -> float:
    """The largest gap between the two empirical CDFs, read at the bin edges (present values only).

    Exact when every distinct value is a bin edge, otherwise a lower bound of the
    sample KS statistic that is off by at most the mass of one bin.
    """
    r = np.asarray(reference.bins, dtype=float)
    c = np.asarray(current.bins, dtype=float)
    if r.sum() == 0 or c.sum() == 0:
        return 0.0
    gap = np.abs(np.cumsum(r) / r.sum() - np.cumsum(c) / c.sum())
    return float(gap.max())


def chi_squared(reference: Counts, current: Counts) -> tuple[float, float, float]:
    """Chi-squared test of homogeneity on the 2 x bins table: (statistic, p-value, Cramér's V)."""
    table = np.array([[*reference.bins, reference.missing], [*current.bins, current.missing]], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0, 0.0
    statistic, p_value, _, _ = scipy_stats.chi2_contingency(table, correction=False)
    v = float(np.sqrt(statistic / table.sum()))  # min(rows, cols) - 1 == 1 for two samples
    return float(statistic), float(p_value), v


def compare(
    name: str,
    kind: Literal["numeric", "categorical"],
    reference: Counts,
    current: Counts,
    labels: list[str],
    psi_threshold: float,
    ks_threshold: float,
) -> FeatureDrift:
    value = psi(reference, current)
    ks = ks_statistic(reference, current) if kind == "numeric" else None
    chi2, p_value, v = chi_squared(reference, current)
    drifted = value > psi_threshold or (ks is not None and ks > ks_threshold)
    r_total, c_total = reference.total, current.total
    return FeatureDrift(
        name=name,
        kind=kind,
        psi=value,
        ks=ks,
        chi2=chi2,
        chi2_p_value=p_value,
        cramers_v=v,
        psi_threshold=psi_threshold,
        ks_threshold=ks_threshold if kind == "numeric" else None,
        drifted=bool(drifted),
        reference_rows=r_total,
        current_rows=c_total,
        reference_missing=reference.missing / r_total if r_total else 0.0,
        current_missing=current.missing / c_total if c_total else 0.0,
        labels=[*labels, "missing"],
        reference=shares(reference).round(6).tolist(),
        current=shares(current).round(6).tolist(),
    )


def numeric_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all"]
    fmt = _fmt
    return [f"≤ {fmt(edges[0])}", *[f"{fmt(a)} – {fmt(b)}" for a, b in itertools.pairwise(edges)], f"> {fmt(edges[-1])}"]


def _fmt(value: float) -> str:
    return f"{value:.3g}"
