"""Demo chapter: deploy the latest Approved version, serve it on 127.0.0.1 and make real HTTP predictions, good and bad.

It leaves the server running for later chapters (stopped with the story) and puts in
``story.state``: ``serving_url`` (base URL), ``serving`` (the :class:`~lightship.serving.runtime.Serving`,
whose holder shows the loaded version), ``serving_metrics`` (every EMF document the app
wrote, in order), ``deployed_version`` and ``sample_instances`` (valid instances to send).
"""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.story import Story
from lightship.deployment.deploy import DeploymentRefused, deploy
from lightship.deployment.record import DeploymentRecord
from lightship.registry.model_registry import APPROVED, ModelRegistry
from lightship.serving.client import PredictClient
from lightship.serving.local_server import serve_in_thread
from lightship.serving.logs import logger
from lightship.serving.runtime import build_serving, serving_names

DEMO_TTL_SECONDS = 2.0  # the demo switches versions in seconds; deployments use settings.serving.record_ttl_seconds


def _plain(value: Any) -> Any:
    """A frame cell as a JSON client sends it: missing (NaN/None) is null."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def serving(story: Story) -> None:
    settings, resources = story.settings, story.resources
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    record = DeploymentRecord(client("dynamodb"), resources.deployment_table)

    versions = registry.versions()
    approved = [v for v in versions if v.status == APPROVED]
    if not approved:
        raise AssertionError("no Approved version to deploy: the training chapter should have made one")
    pending = [v for v in versions if v.status != APPROVED]
    if pending:
        try:
            deploy(registry, record, pending[0].version, reason="demo: try an unapproved version", by="demo")
        except DeploymentRefused as exc:
            story.fact(f"deploy version {pending[0].version} ({pending[0].status})", f"refused: {exc}")
        else:
            raise AssertionError(f"version {pending[0].version} is {pending[0].status} but was deployed")
    champion = approved[0]
    outcome = deploy(registry, record, champion.version, reason="demo: latest Approved version", by="demo")
    story.fact(
        f"deploy version {champion.version}",
        f"record revision {outcome.deployment.revision}: live is version {champion.version} ({champion.evaluation.get('model')})",
    )
    story.state["deployed_version"] = champion.version

    logger.setLevel("WARNING")  # request logs are JSON lines for CloudWatch; the demo prints its own summary
    documents: list[dict[str, Any]] = []
    tuned = settings.model_copy(
        update={"serving": settings.serving.model_copy(update={"record_ttl_seconds": min(DEMO_TTL_SECONDS, settings.serving.record_ttl_seconds)})}
    )
    app = build_serving(tuned, names_=serving_names(tuned, resources), metric_sinks=[documents.append])
    story.cleanup.callback(app.close)
    url = story.cleanup.enter_context(serve_in_thread(app.app))
    story.state.update(serving_url=url, serving=app, serving_metrics=documents)
    story.fact("serve", f"uvicorn at {url} (docs at {url}/docs), the same FastAPI app the Lambda runs")

    sample = customers(rows=4, seed=99).drop(columns=["churned"])
    instances = [{str(k): _plain(v) for k, v in row.items()} for row in sample.to_dict(orient="records")]
    story.state["sample_instances"] = instances
    api = PredictClient(url)
    story.cleanup.callback(api.close)

    good = api.predict(instances)
    if good.status != 200:
        raise AssertionError(f"a valid request was answered {good.status}: {good.body}")
    table = Table(title=f"POST {url}/v1/predict: {len(instances)} customers")
    for column in ("tenure", "spend", "calls", "plan", "churn?", "P(churn)"):
        table.add_column(column)
    for instance, prediction, proba in zip(instances, good.body["predictions"], good.body["probabilities"], strict=True):
        table.add_row(str(instance["tenure_months"]), str(instance["monthly_spend"]), str(instance["support_calls"]),
                      str(instance["plan"]), str(prediction), f"{proba[1]:.3f}")
    story.console.print(table)
    story.fact("predict 4 customers over HTTP", f"200 from version {good.body['model_version']}, request id {good.body['request_id']}")

    bad_instances = [
        instances[0],
        {**instances[1], "tenure_months": "ten"},
        {k: v for k, v in instances[2].items() if k != "plan"},
        {**instances[3], "support_calls": True, "favourite_colour": "teal"},
    ]
    bad = api.call("POST", "/v1/predict", {"instances": bad_instances})
    if bad.status != 422:
        raise AssertionError(f"an invalid request was answered {bad.status}: {bad.body}")
    errors = Table(title=f"422 from {url}/v1/predict: nothing scored, every problem listed")
    for column in ("instance", "field", "reason"):
        errors.add_column(column)
    for item in bad.body["detail"]:
        errors.add_row(str(item["index"]), item["field"], item["reason"])
    story.console.print(errors)
    story.fact("predict with bad instances", "422 naming " + "; ".join(f"#{d['index']} {d['field']}" for d in bad.body["detail"]))

    too_many = api.predict([instances[0]] * (settings.serving.max_instances + 1))
    story.fact(f"predict {settings.serving.max_instances + 1} instances", f"{too_many.status}: {too_many.body['detail'][0]['reason']}")
    health = api.health().body
    story.fact("health", f"model loaded: version {health['model_version']}, record revision {health['deployment_revision']}")
    app.runtime.metrics.flush()
    requests = sum(len(d.get("Requests", [])) for d in documents)
    story.fact("metrics (EMF, by ModelVersion)", f"{requests} requests recorded under ModelVersion={champion.version}")
