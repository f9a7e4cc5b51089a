"""``lightship train --verify N``: re-run version N's training and record whether it gave the same result.

The re-run takes everything from the version's lineage: the same S3 data (the recorded prefix), the
same target, task, model, hyperparameters, seed and holdout fraction, and the code of the recorded
commit (``git archive`` of it, when this repository has it; else the current tree, and the record says
so). It goes through the same training job path as ``lightship train``
(:func:`lightship.training.workflow.run_training_job`) and registers nothing.

"The same result" means, and the record lists each check:

- ``data``: the job read the same bytes (the bundle's data sha256 equals the original's);
- ``metrics``: every holdout metric in ``evaluation.json`` is exactly equal (no tolerance: the
  split and the estimators are seeded, so a difference is a change, not noise);
- ``predictions``: both bundles' scikit-learn pipelines, run on every row of the training data,
  give byte-identical predictions (and probabilities): the sha256 of each is recorded.

The record lands at ``s3://<artifact bucket>/reproducibility/v{N}.json`` (beside the evaluation
reports that hold the lineage); a later ``--verify`` replaces it. ``lightship checklist`` reads it.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lightship.registry.lineage import now_iso
from lightship.s3uri import S3Uri

RECORD_PREFIX = "reproducibility"


def record_key(version: int) -> str:
    return f"{RECORD_PREFIX}/v{version}.json"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    original: Any
    rerun: Any

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "original": self.original, "rerun": self.rerun}


def predictions_sha256(predictions: np.ndarray, probabilities: np.ndarray | None) -> str:
    """A checksum of predictions as bytes: equal only if every value is bit-for-bit equal."""
    digest = hashlib.sha256()
    for array in (predictions, probabilities):
        if array is None:
            continue
        values = np.asarray(array)
        values = values.astype(str) if values.dtype == object else values
        digest.update(str(values.dtype).encode() + str(values.shape).encode())
        digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def compare(original: dict[str, Any], rerun: dict[str, Any], original_predictions: str, rerun_predictions: str) -> list[Check]:
    """The three checks of "the same result" on two evaluation reports and two prediction checksums."""
    o_sha, r_sha = original.get("data", {}).get("sha256"), rerun.get("data", {}).get("sha256")
    return [
        Check("data", o_sha is not None and o_sha == r_sha, o_sha, r_sha),
        Check("metrics", original.get("metrics") == rerun.get("metrics"), original.get("metrics"), rerun.get("metrics")),
        Check("predictions", original_predictions == rerun_predictions, original_predictions, rerun_predictions),
    ]


def build_record(version: int, checks: list[Check], rerun: dict[str, Any], code: dict[str, Any], by: str) -> dict[str, Any]:
    return {
        "version": version,
        "matched": all(c.passed for c in checks),
        "checks": [c.to_dict() for c in checks],
        "rerun": rerun,
        "code": code,
        "at": now_iso(),
        "by": by,
        "definition": "same data sha256, identical holdout metrics, byte-identical predictions on the training rows",
    }


def code_at(commit: str | None, repo: Path, into: Path) -> Path | None:
    """The tree of ``commit`` extracted under ``into`` (``git archive``), or None when the repository lacks it."""
    if not commit or commit == "unknown":
        return None
    try:
        tar = subprocess.run(["git", "archive", "--format=tar", commit], cwd=repo, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into


@dataclass(frozen=True)
class VerifyOutcome:
    record: dict[str, Any]
    uri: S3Uri


def verify(version: int, settings: Any, resources: Any, clients: Any, progress: Callable[[str], None] = lambda _: None,
           poll_seconds: float = 0.5) -> VerifyOutcome:
    """Re-run version ``version``'s training from its lineage, compare, and record the result in S3."""
    from lightship.bundle.fetch import fetch_bundle
    from lightship.bundle.model_bundle import load_bundle
    from lightship.errors import LightshipError
    from lightship.registry.lineage import git_state, who_am_i
    from lightship.registry.model_registry import ModelRegistry
    from lightship.settings import REPO_ROOT
    from lightship.training.workflow import TrainRequest, run_training_job

    registry = ModelRegistry(settings, clients.sagemaker, clients.s3, resources.artifact_bucket)
    model = registry.version(version)
    evaluation, lineage = model.evaluation, model.lineage
    data_uri = lineage.get("data", {}).get("uri")
    if not data_uri or "target" not in evaluation:
        raise LightshipError(f"version {version} has no recorded data address or target in its lineage ({model.evaluation_uri}): it cannot be re-run")
    request = TrainRequest(
        data=str(data_uri), target=str(evaluation["target"]), model=str(evaluation["model"]),
        params=dict(evaluation.get("hyperparameters") or {}), task=evaluation.get("task"), seed=int(evaluation["seed"]),
        holdout_fraction=float(evaluation.get("holdout_fraction", settings.training.holdout_fraction)),
    )
    commit = lineage.get("git", {}).get("commit")
    with tempfile.TemporaryDirectory(prefix="lightship-verify-") as tmp:
        tree = code_at(commit, REPO_ROOT, Path(tmp) / "code")
        current = git_state(REPO_ROOT)
        # A version trained from a dirty tree ran code no commit holds: the re-run can only use the commit.
        dirty = bool(lineage.get("git", {}).get("dirty"))
        code = ({"source": f"git archive {commit}", "commit": commit, "same_as_lineage": not dirty} if tree else
                {"source": "the current work tree", "commit": current["commit"], "dirty": current["dirty"],
                 "same_as_lineage": current["commit"] == commit and not current["dirty"],
                 "note": f"commit {commit} is not in this repository"})
        progress(f"re-running version {version}'s training ({code['source']})")
        run = run_training_job(request, S3Uri.parse(str(data_uri)), settings, resources, clients, progress=progress,
                               poll_seconds=poll_seconds, code_repo=tree or REPO_ROOT)
        progress("comparing the bundles' evaluation and predictions")
        original = fetch_bundle(clients.s3, model.model_data_url, runtime="sklearn")
        rerun = load_bundle(run.bundle_bytes, runtime="sklearn")
        rows = training_rows(clients.s3, S3Uri.parse(str(data_uri)), request, original.schema, Path(tmp) / "data")
        checks = compare(original.evaluation, rerun.evaluation,
                         predictions_sha256(*original.predict_rows(rows)), predictions_sha256(*rerun.predict_rows(rows)))
    record = build_record(version, checks, {"job": run.job.name, "model_data_url": run.job.model_data_url, "rows": int(len(rows))},
                          code, who_am_i(clients.sts))
    uri = S3Uri(resources.artifact_bucket, record_key(version))
    clients.s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=json.dumps(record, indent=2, sort_keys=True, default=str).encode(),
                          ContentType="application/json")
    return VerifyOutcome(record=record, uri=uri)


def training_rows(s3: Any, data: S3Uri, request: Any, schema: Any, into: Path) -> np.ndarray:
    """The training data's rows in schema order, read as the training job reads them."""
    from lightship.training.data import load_training_data
    from lightship.training.features import frame_to_rows

    prefix = data.key.rstrip("/")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=data.bucket, Prefix=data.key):
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix):].lstrip("/") or item["Key"].rsplit("/", 1)[-1]
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(data.bucket, item["Key"], str(target))
    loaded = load_training_data(into, request.target, request.task)
    rows: np.ndarray = frame_to_rows(loaded.frame, schema)
    return rows
