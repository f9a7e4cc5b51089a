"""The rollback function ships as a small zip (pydantic, pydantic-settings, Powertools, our code):
importing its handler must need nothing else, or it would fail at its first alarm in AWS."""

from __future__ import annotations

import json
import subprocess
import sys

from infra.stacks.monitoring import ROLLBACK_REQUIREMENTS

# What the zip holds besides the standard library, and what the Lambda runtime provides (boto3).
SHIPPED = {"lightship", "lambdas", "pydantic", "pydantic_core", "pydantic_settings", "aws_lambda_powertools",
           "typing_extensions", "typing_inspection", "annotated_types", "jmespath", "dotenv"}
RUNTIME = {"boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six", "jmespath", "certifi"}  # certifi: botocore imports it if present


def test_handler_imports_only_what_its_zip_and_the_runtime_provide() -> None:
    code = (
        "import sys, json; before = set(sys.modules); import lambdas.rollback.handler; "
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    stdlib = set(sys.stdlib_module_names) | {"_distutils_hack"}
    foreign = {m for m in imported if m not in stdlib and not m.startswith("_") and m not in SHIPPED | RUNTIME}
    assert foreign == set(), f"the rollback handler imports {sorted(foreign)}, which its zip does not ship"
    assert not {"numpy", "pandas", "sklearn", "scipy"} & imported


def test_zip_requirements_are_the_locked_rollback_group() -> None:
    from infra.locked_requirements import read_pins

    pins = read_pins("\n".join(ROLLBACK_REQUIREMENTS))
    assert {"pydantic", "pydantic-settings", "aws-lambda-powertools"} <= set(pins)
    assert all(pins.values()), "every requirement of the zip is pinned to one version"
