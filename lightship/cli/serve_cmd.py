"""``lightship serve`` (the serving app under uvicorn on 127.0.0.1) and ``lightship predict --input FILE``.

``serve`` builds the same app the Lambda runs, against whatever ``AWS_ENDPOINT_URL``
and the credentials point at (the local emulator, or a real account). ``predict``
sends a file's instances to a server: ``lightship serve``'s by default, or a deployed
API (``--url https://...``, signed with SigV4).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from lightship.cli.console import aws_context, console
from lightship.errors import LightshipError
from lightship.settings import load_settings

DEFAULT_URL = "http://127.0.0.1:8080"
METRICS_ENV = "LIGHTSHIP_SERVE_METRICS"


class MetricsTo(str, Enum):
    stdout = "stdout"
    cloudwatch = "cloudwatch"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        port: int = typer.Option(8080, "--port", help="Port on 127.0.0.1"),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on"),
        metrics: MetricsTo = typer.Option(  # noqa: B008 - typer's idiom
            MetricsTo.stdout, "--metrics", envvar=METRICS_ENV, case_sensitive=False,
            help="Where the per-request EMF lines go: stdout (as the Lambda prints them), or cloudwatch: the serving "
                 "function's log group and, from EMF, metrics, as the Lambda's reach them (lightship local up exports this)",
        ),
    ) -> None:
        """Serve the live model (the deployment record's) at http://127.0.0.1:PORT, as the Lambda does."""
        import uvicorn

        from lightship.serving.runtime import build_serving, serving_names

        ctx = aws_context()
        shipper = None
        if metrics is MetricsTo.cloudwatch:
            from lightship.local.function_logs import LogShipper

            shipper = LogShipper(ctx.resources.serving_function)
        serving = build_serving(ctx.settings, names_=serving_names(ctx.settings, ctx.resources),
                                metric_sinks=[shipper] if shipper is not None else None)
        live = serving.runtime.holder.live
        if live is None:
            failure = serving.runtime.holder.state.last_failure
            why = f" (loading version {failure.version} failed: {failure.error})" if failure else ": lightship deploy N"
            console.print(f"[yellow]no model is live yet{why}; predictions answer 503 until one is[/]")
        else:
            console.print(f"serving version {live.version} ({live.bundle.evaluation.get('model')}), record revision {live.deployment.revision}")
        console.print(f"http://{host}:{port}/v1/predict  docs: http://{host}:{port}/docs  (Ctrl+C stops)")
        if shipper is not None:
            console.print(f"metrics: to CloudWatch as {ctx.resources.serving_function}'s (log group {ctx.resources.function_log_group(shipper.function_name)})")
        try:
            uvicorn.run(serving.app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
        finally:
            serving.close()
            if shipper is not None:
                shipper.close()

    @app.command("predict")
    def predict(
        input_file: Path = typer.Option(  # noqa: B008 - typer's idiom, as in every command
            ..., "--input", help="A .json ({\"instances\": [...]} or a list), .jsonl or .csv file"
        ),
        url: str = typer.Option(DEFAULT_URL, "--url", help="The server: lightship serve's, or a deployed API's HTTPS URL"),
        token: str = typer.Option(None, "--token", help="Bearer token, when the API uses JWT auth"),
        as_json: bool = typer.Option(False, "--json", help="Print the response JSON"),
        batch_size: int = typer.Option(500, "--batch-size", help="Instances per request"),
    ) -> None:
        """Send a file's instances to the serving API and print the predictions (signed SigV4 for https URLs)."""
        from lightship.serving.client import PredictClient
        from lightship.serving.input_files import read_instances

        region = load_settings().region if url.startswith("https://") else None
        with PredictClient(url, token=token, region=region) as client:
            model = client.model()
            if model.status != 200:
                raise LightshipError(f"{url}/v1/model answered {model.status}: {model.body.get('error', model.body)}")
            instances = read_instances(input_file, model.body.get("feature_schema"))
            outputs: list[dict[str, Any]] = []
            for start in range(0, len(instances), batch_size):
                batch = instances[start : start + batch_size]
                response = client.predict(batch)
                if response.status != 200:
                    raise LightshipError(_describe_refusal(input_file, start, response.status, response.body))
                outputs.append(response.body)
        if as_json:
            typer.echo(json.dumps(outputs if len(outputs) > 1 else outputs[0], indent=2))
            return
        table = Table(title=f"{len(instances)} predictions from version {outputs[0]['model_version']} at {url}")
        table.add_column("#")
        table.add_column("prediction")
        classes = outputs[0].get("classes")
        if classes:
            table.add_column("probabilities (" + ", ".join(str(c) for c in classes) + ")")
        index = 0
        for body in outputs:
            probabilities = body.get("probabilities") or []
            for i, prediction in enumerate(body["predictions"]):
                row = [str(index), str(prediction)]
                if classes:
                    row.append(", ".join(f"{p:.3f}" for p in probabilities[i]))
                table.add_row(*row)
                index += 1
        console.print(table)


def _describe_refusal(path: Path, offset: int, status: int, body: dict[str, Any]) -> str:
    """The server's (index, field, reason) list in terms of the user's file: its rows start at 1."""
    lines = [f"{path}: the server refused the request ({status} {body.get('error', '')})"]
    is_csv = path.suffix.lower() == ".csv"
    for item in body.get("detail", []) or []:
        index = item.get("index")
        if index is None:
            where = "request"
        elif is_csv:
            where = f"row {offset + index + 2}"  # the file's line: 1 is the header
        else:
            where = f"instance {offset + index}"
        lines.append(f"  {where}, {item.get('field')}: {item.get('reason')}")
    return "\n".join(lines)
