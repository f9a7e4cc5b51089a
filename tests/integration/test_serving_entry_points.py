"""The Lambda entry point and the CLI against the emulator: the same app, reached the ways users reach it."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest

from lightship.cli.main import main
from lightship.cli.serve_cmd import METRICS_ENV
from lightship.clients import client
from lightship.local.emulator import LocalEmulator
from lightship.serving.local_server import serve_in_thread
from lightship.serving.runtime import build_serving
from lightship.settings import Settings
from tests.support.events import Context, http_api_v2, rest_api_v1
from tests.support.models import register_trained

GOOD = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": "basic", "region": "north"}


def test_lambda_handler_loads_the_live_model_at_import_and_answers_both_payloads(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    assert main(["deploy", str(v1.version), "--reason", "lambda test"]) == 0
    sys.modules.pop("lambdas.serving.handler", None)
    handler_module = importlib.import_module("lambdas.serving.handler")
    capsys.readouterr()

    v2_response = handler_module.handler(http_api_v2("POST", "/v1/predict", {"instances": [GOOD]}, stage="prod"), Context("a"))
    v1_response = handler_module.handler(rest_api_v1("POST", "/v1/predict", {"instances": [GOOD, GOOD]}), Context("b"))
    bad = handler_module.handler(http_api_v2("POST", "/v1/predict", {"instances": [{**GOOD, "age": "x"}]}), Context("c"))

    assert v2_response["statusCode"] == 200 and json.loads(v2_response["body"])["model_version"] == v1.version
    assert v1_response["statusCode"] == 200 and len(json.loads(v1_response["body"])["predictions"]) == 2
    assert bad["statusCode"] == 422
    # Each invocation flushed its metrics to stdout (CloudWatch Logs in Lambda) as EMF.
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [d["Requests"] for d in emf] == [[1.0], [1.0], [1.0]] and [d["Errors4xx"] for d in emf][-1] == [1.0]
    handler_module.serving.close()


def test_cli_predict_sends_a_csv_to_the_server_and_names_a_bad_row(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    assert main(["deploy", str(v1.version)]) == 0
    good_csv = tmp_path / "good.csv"
    customers_frame.head(5).to_csv(good_csv, index=False)  # with the label column: the CLI drops it
    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps({"instances": [GOOD, {**GOOD, "plan": 3}]}))
    serving = build_serving(settings, metric_sinks=[])

    with serve_in_thread(serving.app) as url:
        capsys.readouterr()
        assert main(["predict", "--input", str(good_csv), "--url", url, "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert main(["predict", "--input", str(bad_json), "--url", url]) == 1
        error = capsys.readouterr().err
    serving.close()

    assert printed["model_version"] == v1.version and len(printed["predictions"]) == 5
    assert "bad.json: the server refused the request (422" in error and "instance 1, plan" in error


@contextmanager
def lightship_serve(*options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``lightship serve --port P *options`` in its own process, with this process's AWS environment
    (the emulator's); yields its URL once it answers, and its process (stdout read after it stops)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != METRICS_ENV}
    server = subprocess.Popen([sys.executable, "-m", "lightship.cli.main", "serve", "--port", str(port), *options],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
                time.sleep(0.2)
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=20)


def test_lightship_serve_runs_the_app_under_uvicorn_against_the_emulator(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    assert main(["deploy", str(v1.version)]) == 0
    with lightship_serve() as (url, server):
        health = httpx.get(f"{url}/v1/health", timeout=5)
        answer = httpx.post(f"{url}/v1/predict", json={"instances": [GOOD]})
        server.terminate()
        out, _ = server.communicate(timeout=20)

    assert health.json()["model_version"] == v1.version
    assert answer.status_code == 200 and answer.json()["model_version"] == v1.version
    assert f"serving version {v1.version}" in out and f"{url}/v1/predict" in out
    assert any(line.startswith('{"_aws"') and '"status":200' in line for line in out.splitlines())  # the request's EMF line


def _metric_dimensions(namespace: str, name: str) -> list[dict[str, str]]:
    found = client("cloudwatch").list_metrics(Namespace=namespace, MetricName=name)["Metrics"]
    return [{d["Name"]: d["Value"] for d in m["Dimensions"]} for m in found]


def test_lightship_serve_with_metrics_to_cloudwatch_puts_the_serving_metrics_in_the_emulator(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    """The command line's ``--metrics cloudwatch`` (what ``local up`` exports) reaches CloudWatch: the
    alarms' dimensions {service=serving, Role=live} and the dashboards' with ModelVersion."""
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    assert main(["deploy", str(v1.version)]) == 0
    assert _metric_dimensions("Lightship", "Requests") == []
    wanted = [{"service": "serving", "Role": "live"}, {"service": "serving", "Role": "live", "ModelVersion": str(v1.version)}]
    with lightship_serve("--metrics", "cloudwatch") as (url, server):
        answers = [httpx.post(f"{url}/v1/predict", json={"instances": [GOOD]}).status_code for _ in range(3)]
        deadline = time.monotonic() + 30
        while not all(w in _metric_dimensions("Lightship", "Requests") for w in wanted) and time.monotonic() < deadline:
            time.sleep(0.3)
        held = _metric_dimensions("Lightship", "Requests")
        server.terminate()
        out, _ = server.communicate(timeout=20)

    assert answers == [200, 200, 200]
    assert all(w in held for w in wanted), held
    assert f"metrics: to CloudWatch as {emulator.resources.serving_function}'s" in out
    assert not any(line.startswith('{"_aws"') for line in out.splitlines())  # shipped, not printed
