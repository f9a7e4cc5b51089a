"""``lightship drift`` on local files (:mod:`lightship.drift.compare`), its CLI, and the drift limits it
reads from the settings: the same rule the batch job's configuration applies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batch.config import BatchConfig
from lightship.cli.main import main
from lightship.datasets import customers
from lightship.drift.compare import compare_data
from lightship.drift.limits import DriftLimits
from lightship.errors import DataError
from lightship.resources import resources_for
from lightship.settings import Settings


def limits(name: str) -> tuple[float, float]:
    return 0.2, 0.1


def test_drift_between_identical_files_is_zero_and_a_shift_is_flagged(tmp_path: Path) -> None:
    reference = tmp_path / "ref.parquet"
    customers(rows=4000, seed=1).to_parquet(reference, row_group_size=1000)
    same = compare_data(str(reference), str(reference), limits)
    assert same.drifted == [] and same.max_psi == 0.0 and all(f.ks in (None, 0.0) for f in same.features)
    shifted = tmp_path / "shifted.csv"
    customers(rows=6000, seed=2, shift=1.0).to_csv(shifted, index=False)
    seen: list[tuple[int, int]] = []
    report = compare_data(str(reference), str(shifted), limits, progress=lambda done, total: seen.append((done, total)))
    assert {"tenure_months", "monthly_spend", "support_calls", "plan"} <= set(report.drifted)
    assert report.current_rows == 6000 and seen[-1][0] == 6000


def test_drift_refuses_missing_inputs_and_data_without_common_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        compare_data(str(tmp_path / "nope.csv"), str(tmp_path / "nope.csv"), limits)
    (tmp_path / "a.csv").write_text("x\n1\n2\n")
    (tmp_path / "b.csv").write_text("y\n1\n2\n")
    with pytest.raises(DataError, match="share no columns"):
        compare_data(str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), limits)


def test_drift_cli_writes_both_reports_and_exits_3_on_drift_when_asked(tmp_path: Path) -> None:
    reference, current = tmp_path / "r.csv", tmp_path / "c.csv"
    customers(rows=3000, seed=1).to_csv(reference, index=False)
    customers(rows=3000, seed=2, shift=1.0).to_csv(current, index=False)
    out = tmp_path / "out" / "report"
    assert main(["drift", "--reference", str(reference), "--current", str(current), "--report", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["alert"] is True
    assert "<svg" in out.with_suffix(".html").read_text()
    assert main(["drift", "--reference", str(reference), "--current", str(current), "--report", str(out), "--fail-on-drift"]) == 3
    assert main(["drift", "--reference", str(reference), "--current", str(reference), "--report", str(out), "--fail-on-drift"]) == 0


def test_fast_categorical_fit_makes_the_profile_training_makes() -> None:
    import numpy as np
    import pandas as pd

    from lightship.bundle.profile import CategoricalProfile
    from lightship.drift.compare import fit_categorical

    rng = np.random.default_rng(3)
    values = rng.choice(["b", "a", "c", "d", "", " ", None, "e"], 5000, p=[0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.1, 0.2]).astype(object)
    for series in (pd.Series(values, dtype=object), pd.Series(values, dtype="string")):
        for top in (50, 3):  # all categories, and a cut with ties broken by name
            expected = CategoricalProfile.fit(values, max_categories=top)
            got = fit_categorical(series, max_categories=top)
            assert (got.categories, got.counts, got.missing) == (expected.categories, expected.counts, expected.missing)


def test_drift_limits_come_from_the_settings_with_per_feature_overrides_as_the_batch_job_reads_them() -> None:
    settings = Settings.model_validate({
        "batch": {"psi_threshold": 0.3, "ks_threshold": 0.15, "feature_thresholds": {"plan": {"psi": 0.5}, "age": {"ks": 0.4}}},
        "training": {"profile_bins": 12},
    })
    limits = DriftLimits.from_settings(settings)
    assert limits.bins == 12
    assert limits.thresholds_for("plan") == (0.5, 0.15)  # its own PSI, the default KS
    assert limits.thresholds_for("age") == (0.3, 0.4)
    assert limits.thresholds_for("tenure_months") == (0.3, 0.15)
    config = BatchConfig.from_settings(settings, resources_for(settings, account="123456789012"))
    assert config.profile_bins == 12
    for feature in ("plan", "age", "tenure_months"):
        assert config.thresholds_for(feature) == limits.thresholds_for(feature)
