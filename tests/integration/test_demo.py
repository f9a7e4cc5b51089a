"""``lightship demo``, the README's first command, runs the whole story in its own process and exits 0."""

import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_whole_story_without_an_aws_account(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env.update(COLUMNS="200", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "lightship.cli.main", "demo", "--workspace", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Traceback" not in output
    assert "version 1 Approved" in output and "version 3 PendingManualApproval" in output
    assert "refused:" in output and "no target column 'churned'" in output
    assert "422 naming" in output and "200 from version 2" in output  # serving, good and bad
    assert "version 2 live again" in output and "Rejected: rejected by rollback handler" in output  # rollback
    assert "no duplicates" in output and "drift in" in output and "quarantined" in output  # batch
    assert "no AWS account used" in output
    # Quality: the estimate before labels lands near the realized figure; flipped labels breach with inputs quiet.
    assert "labels in: realized ROC AUC" in output and "of the estimate (tolerance 0.05)" in output
    assert "region west's labels flipped" in output and ": breach; the estimate stays at" in output
    assert "(labels will flip): 4,000 rows scored; input drift: none" in output
    assert "alarm lightship-quality-realized" in output and "ALARM (set from the breach" in output
    assert (tmp_path / "customers.csv").is_file()
    # The checklist: no re-run was recorded, so reproducibility is a no and a CI gate would fail; the reports are saved.
    assert "go-live checklist" in output and "exit code 1" in output.replace("\n", " ")
    assert [p.name for p in sorted((tmp_path / "reports").iterdir())] == ["drift-report.html", "model-card.html", "quality-report.html"]
    # The gate: v2 beats v1 by more than the margin, v3 does not beat v2.
    assert "version 2 Approved" in output and "beats champion v1" in output
    # The loop: the quality alarm starts a retraining run; the gate compares on the same fresh rows; the canary promotes.
    flat = " ".join(output.split())
    assert "-> alerts topic -> retraining function: run" in flat and "released: version" in flat
    assert "on the same" in flat and "labeled rows of the 30 days to" in flat and "held out of training" in flat
    assert "promoted: live is version" in flat and "why version" in flat and "trigger quality (quality alarm" in flat
    # The narrative has no raw log lines: the in-process handlers' JSON lines went to the log file it names.
    raw = [line for line in output.splitlines() if line.lstrip().startswith("{")]
    assert raw == [], raw[:3]
    log = tmp_path / "lambda-functions.log"
    assert str(log) in output.replace("\n", "")
    logged = log.read_text()
    assert "lightship-rollback {" in logged and '"Rollbacks":[1.0]' in logged
    assert ".py:" not in output  # no source locations at the end of progress lines
