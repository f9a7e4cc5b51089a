"""cdk-nag's AwsSolutions pack: the app is clean, the check really bites, every exception is explained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from infra.app_builder import enable_nag
from infra.constructs.secure_bucket import SecureBucket
from infra.nag import acknowledge, flatten_cfn_reference


def _violations(outdir: Path) -> list[str]:
    """Rule ids of every violation in the validation report the synth left behind."""
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        violation["ruleName"]
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
    ]


def test_app_synthesizes_with_no_unacknowledged_aws_solutions_findings(synthesized: Any) -> None:
    # The fixture synthesized with the plugin on; a finding would have raised ValidationFailed there.
    assert _violations(synthesized.outdir) == []
    assert {"storage", "registry", "batch", "release", "quality", "retraining"} <= set(synthesized.stacks)


def test_nag_fails_the_synth_on_an_insecure_bucket(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    enable_nag(app)
    stack = cdk.Stack(app, "insecure")
    s3.Bucket(stack, "Plain")  # no access logs, no TLS-only policy
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    violations = " ".join(_violations(tmp_path))
    assert "AwsSolutions-S1" in violations  # server access logs
    assert "AwsSolutions-S10" in violations  # TLS-only


def test_secure_bucket_passes_the_same_checks_that_fail_a_plain_bucket(tmp_path: Path) -> None:
    app = cdk.App(
        outdir=str(tmp_path),
        context={"aws:cdk:bundling-stacks": [], "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True},
    )
    enable_nag(app)
    stack = cdk.Stack(app, "secure")
    logs = SecureBucket(stack, "Logs", bucket_name="logs-bucket-name", access_logs_bucket=None).bucket
    SecureBucket(stack, "Data", bucket_name="data-bucket-name", access_logs_bucket=logs)
    app.synth()
    assert _violations(tmp_path) == []


def test_every_acknowledgement_names_an_aws_solutions_rule_and_gives_a_concrete_reason(synthesized: Any) -> None:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged: dict[str, str] = {}
    for construct in synthesized.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                for rule, reason in entry.data.items():
                    acknowledged[f"{construct.node.path} {rule}"] = reason
    # The log bucket's S1 and the training role's wildcards (see docs/infra.md); other stacks' own tests count theirs.
    base = [where for where in acknowledged if where.startswith(("lightship-storage/", "lightship-registry/"))]
    assert len(base) == 7, sorted(base)
    for where, reason in acknowledged.items():
        assert "AwsSolutions-" in where
        assert isinstance(reason, str) and len(reason.strip()) >= 40, where
    ids = " ".join(acknowledged)
    assert "AccessLogBucket/Bucket Annotation::AwsSolutions-S1" in ids
    assert "AwsSolutions-IAM5[Resource::*]" in ids


def test_acknowledge_refuses_an_empty_reason() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "s")
    with pytest.raises(ValueError, match="concrete reason"):
        acknowledge(stack, "AwsSolutions-S1", "  ")


@pytest.mark.parametrize(
    ("reference", "flat"),
    [
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/*"),
        ({"Fn::GetAtt": ["DataBucketBD860FE1", "Arn"]}, "<DataBucketBD860FE1.Arn>"),
        ({"Fn::Join": ["", [{"Fn::GetAtt": ["B", "Arn"]}, "/x/*"]]}, "<B.Arn>/x/*"),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::n"]]}, "arn:<AWS::Partition>:s3:::n"),
        ({"Fn::ImportValue": "stack:ExportsOutputX"}, "stack:ExportsOutputX"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::n"}, "arn:<AWS::Partition>:s3:::n"),
    ],
)
def test_flatten_matches_cdk_nags_spelling_of_references(reference: Any, flat: str) -> None:
    assert flatten_cfn_reference(reference) == flat
