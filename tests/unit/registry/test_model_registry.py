"""The model registry on moto in process: versions, their reports, approval and rejection, the champion."""

from __future__ import annotations

import pytest

from lightship.errors import RegistryError
from lightship.registry.gate import GateDecision
from lightship.registry.model_registry import ModelVersion
from lightship.registry.same_rows import SameRows
from tests.support.record_world import World


def test_register_stores_the_report_and_reads_it_back_with_the_version(world: World) -> None:
    v1 = world.register(0.8, approve=False)

    assert v1.version == 1 and v1.model_data_url.endswith("job-1/output/model.tar.gz") and v1.image == "sklearn-image"
    assert v1.metrics["roc_auc"] == 0.8 and v1.lineage["training_job"]["name"] == "job-1" and v1.task == "classification"
    assert v1.evaluation["gate"]["metric"] == "roc_auc" and v1.evaluation_uri and v1.evaluation_uri.startswith("s3://")
    assert v1.status == "Approved"  # clears the bar, no champion to beat


def test_versions_newest_first_filtered_by_status_and_the_champion_is_the_latest_approved(world: World) -> None:
    world.register(0.8)
    world.register(0.85)
    world.register(0.9)
    registry = world.registry()
    registry.reject(3, "leaks the label", "tests")

    assert [v.version for v in registry.versions()] == [3, 2, 1]
    assert [v.version for v in registry.versions("Approved")] == [2, 1]
    champion = registry.champion()
    assert champion is not None and champion.version == 2
    rejected = registry.version(3)
    assert rejected.status == "Rejected" and rejected.approval_description == "rejected by tests: leaks the label"


def test_approve_and_reject_refuse_a_no_op_and_a_rejection_needs_a_reason(world: World) -> None:
    world.register(0.8)
    registry = world.registry()

    with pytest.raises(RegistryError, match="version 1 is already Approved"):
        registry.approve(1, "again", "tests")
    with pytest.raises(RegistryError, match="needs a reason"):
        registry.reject(1, "  ", "tests")
    assert registry.version(1).status == "Approved"


def test_an_unknown_version_is_a_registry_error_naming_the_group(world: World) -> None:
    world.register(0.8)
    with pytest.raises(RegistryError, match=f"no version 7 in model package group {world.settings.model_package_group}"):
        world.registry().version(7)
    assert world.registry().champion() is not None


def test_a_missing_evaluation_report_shows_as_no_metrics_not_a_crash(world: World) -> None:
    v1 = world.register(0.8)
    assert v1.evaluation_uri is not None
    bucket, key = v1.evaluation_uri.removeprefix("s3://").split("/", 1)
    world.client("s3").delete_object(Bucket=bucket, Key=key)

    again = world.registry().version(1)

    assert again.evaluation == {} and again.metrics == {} and again.status == "Approved"


def test_an_empty_group_has_no_champion(world: World) -> None:
    assert world.registry().champion() is None and world.registry().versions() == []


def _retrained(world: World, same_rows: SameRows) -> tuple[ModelVersion, GateDecision]:
    evaluation = {"task": "classification", "model": "logistic", "metrics": {"roc_auc": 0.70},  # its own, mixed holdout
                  "lineage": {"training_job": {"name": "job-rt"}}, "data": {"sha256": "1" * 64}}
    return world.registry().register(model_data_url=f"s3://{world.resources.artifact_bucket}/models/job-rt/output/model.tar.gz",
                                     evaluation=evaluation, image="sklearn-image", training_job_name="job-rt",
                                     training_job_arn="arn:aws:sagemaker:us-east-1:123456789012:training-job/job-rt", same_rows=same_rows)


def test_a_retrained_version_is_judged_on_the_same_rows_as_the_champion_and_the_report_keeps_them(world: World) -> None:
    world.register(0.80)  # v1, the champion; its own holdout says 0.80
    rows = SameRows(rows=500, metric="roc_auc", challenger=0.78, champion=0.61, champion_version=1, where="labeled rows held out")
    version, decision = _retrained(world, rows)
    assert decision.approved and version.status == "Approved"
    assert version.approval_description.startswith("gate, on the same 500 labeled rows held out: roc_auc 0.7800")
    assert version.evaluation["gate"]["same_rows"]["champion"]["value"] == 0.61
    assert version.metrics["roc_auc"] == 0.70  # the version's own figure stays what the job measured


def test_rows_scored_against_a_former_champion_register_nothing(world: World) -> None:
    world.register(0.80)
    world.register(0.85)  # v2 approved while the run compared with v1
    rows = SameRows(rows=500, metric="roc_auc", challenger=0.9, champion=0.6, champion_version=1, where="labeled rows held out")
    with pytest.raises(RegistryError, match="the champion changed while the run compared with v1 \\(now v2\\)"):
        _retrained(world, rows)
    assert [v.version for v in world.registry().versions()] == [2, 1]
