"""The release stack on the emulator: the state machine ``cdk synth`` emits and its function.

:func:`provision_release` (called by :func:`lightship.local.provision.provision`) takes the
release stack's synthesized template (:mod:`lightship.local.release_synth`, cached under
``.lightship/`` like the batch stack's), resolves its references to the emulator's ARNs,
creates the function by the template's name (routed in process to the handler the
template names, :mod:`lightship.local.lambda_router`) and the state machine. Bake times
are real waits on the emulator (moto's Wait waits): tests and the demo set
``release.bake_minutes`` to seconds.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from typing import Any

from lightship.clients import client
from lightship.errors import LightshipError
from lightship.local import lambda_router
from lightship.local.batch import _placeholder_zip, _role, resolve_references
from lightship.resources import Resources
from lightship.settings import REPO_ROOT, Settings

CACHE_DIR = REPO_ROOT / ".lightship"
SOURCES = ("infra/stacks/release.py", "infra/nag.py", "infra/constructs/python_zip.py", "lightship/monitoring/alarms.py", "cdk.json")
_memory: dict[str, dict[str, Any]] = {}


def synthesized(settings: Settings) -> dict[str, Any]:
    digest = hashlib.sha256(settings.model_dump_json().encode())
    for name in SOURCES:
        path = REPO_ROOT / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b""))
    key = digest.hexdigest()[:16]
    if key in _memory:
        return _memory[key]
    cached = CACHE_DIR / f"release-stack-{key}.json"
    if cached.is_file():
        data: dict[str, Any] = json.loads(cached.read_text())
    else:
        result = subprocess.run(
            [sys.executable, "-m", "lightship.local.release_synth", settings.model_dump_json()],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
        )
        if result.returncode != 0:
            raise LightshipError(f"synthesizing the release stack failed:\n{result.stderr[-3000:]}")
        data = json.loads(result.stdout)
        CACHE_DIR.mkdir(exist_ok=True)
        cached.write_text(json.dumps(data))
    _memory[key] = data
    return data


def state_machine_arn(settings: Settings, resources: Resources) -> str:
    return f"arn:aws:states:{resources.region}:{resources.account}:stateMachine:{settings.release_state_machine_name}"


def provision_release(settings: Settings, resources: Resources) -> None:
    stack = synthesized(settings)
    region, account = resources.region, resources.account
    functions = stack["functions"]
    refs = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com"}
    arns = {lid: f"arn:aws:lambda:{region}:{account}:function:{f['name']}" for lid, f in functions.items()}
    machine = stack["state_machine"]
    definition = resolve_references(machine["definition"], refs, arns)
    json.loads(definition)
    role_arn = _role(client("iam"))
    lam = client("lambda")
    existing = {f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}
    for function in functions.values():
        module, _, attribute = function["handler"].rpartition(".")
        lambda_router.register(function["name"], f"{module}:{attribute}")
        if function["name"] not in existing:
            lam.create_function(FunctionName=function["name"], Runtime="python3.12", Role=role_arn, Handler=function["handler"],
                                Code={"ZipFile": _placeholder_zip()}, Timeout=60, MemorySize=settings.release.memory_mb)
    sfn = client("stepfunctions")
    arn = state_machine_arn(settings, resources)
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=machine["name"], definition=definition, roleArn=role_arn, type="STANDARD")
