"""Shadow: the candidate scores live requests and can never change the response nor fail the request."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from lightship import observability as names
from lightship.bundle.model_bundle import ModelBundle
from lightship.deployment.release_state import SHADOW
from lightship.serving.shadow import compare
from tests.unit.serving.conftest import GOOD
from tests.unit.serving.release_support import (
    FlippedPipeline,
    HangingPipeline,
    RaisingPipeline,
    release,
    release_harness,
    with_pipeline,
)

OTHER = {**GOOD, "tenure_months": 1.0, "monthly_spend": 200.0, "support_calls": 9, "plan": "premium"}


def _answers(app: Any, bodies: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    api = TestClient(app)
    out = []
    for i, body in enumerate(bodies):
        response = api.post("/v1/predict", json=body, headers={"x-request-id": f"req-{i}"})
        out.append((response.status_code, response.json()))
    return out


BODIES = [{"instances": [GOOD]}, {"instances": [OTHER, GOOD]}, {"instances": [{"tenure_months": "many"}]}, {"instances": [GOOD] * 5}]


@pytest.fixture
def without_shadow(customers_bundle: ModelBundle) -> list[tuple[int, dict[str, Any]]]:
    harness = release_harness(customers_bundle, customers_bundle, release(weight=0.0))
    return _answers(harness.app, BODIES)


@pytest.mark.parametrize("kind", ["agrees", "disagrees", "raises"])
def test_shadow_never_changes_a_response(
    customers_bundle: ModelBundle, customers_reference: ModelBundle, without_shadow: list[Any], kind: str
) -> None:
    candidate = {
        "agrees": customers_bundle,
        "disagrees": with_pipeline(customers_bundle, FlippedPipeline(customers_reference.pipeline)),
        "raises": with_pipeline(customers_bundle, RaisingPipeline(customers_reference.pipeline)),
    }[kind]
    harness = release_harness(customers_bundle, candidate, release(mode=SHADOW, weight=100.0))
    assert _answers(harness.app, BODIES) == without_shadow
    shadow = harness.runtime.shadow
    assert shadow is not None
    valid = sum(1 for status, _ in without_shadow if status == 200)
    assert shadow.scored == valid  # every answered request was shadowed (sample 100 %), invalid ones were not
    candidate_requests = [d for d in harness.documents if names.REQUESTS in d and d[names.DIMENSION_ROLE] == names.ROLE_CANDIDATE]
    assert len(candidate_requests) == valid
    errors = sum(d[names.ERRORS_5XX][0] for d in candidate_requests)
    assert errors == (valid if kind == "raises" else 0)  # the candidate's errors are counted, as its own
    disagreement = [d[names.SHADOW_DISAGREEMENT][0] for d in harness.documents if names.SHADOW_DISAGREEMENT in d]
    assert disagreement == ([] if kind == "raises" else [0.0 if kind == "agrees" else 1.0] * valid)


def test_shadow_that_hangs_past_its_deadline_leaves_the_response_and_bounds_the_wait(
    customers_bundle: ModelBundle, customers_reference: ModelBundle, without_shadow: list[Any]
) -> None:
    hanging = HangingPipeline(customers_reference.pipeline, seconds=5.0)
    harness = release_harness(customers_bundle, with_pipeline(customers_bundle, hanging), release(mode=SHADOW, weight=100.0),
                              deadline_seconds=0.05)
    try:
        started = time.perf_counter()
        answers = _answers(harness.app, BODIES)
        elapsed = time.perf_counter() - started
    finally:
        hanging.release.set()
    assert answers == without_shadow
    assert elapsed < 2.0  # one deadline (50 ms) at most, then later samples are skipped while it hangs
    shadow = harness.runtime.shadow
    assert [status for status, _ in answers] == [200, 200, 422, 200]
    assert shadow is not None and shadow.skipped == 2 and shadow.errors == 1
    timeouts = [d for d in harness.documents if d.get("status") == 504 and d[names.DIMENSION_ROLE] == names.ROLE_CANDIDATE]
    assert len(timeouts) == 1
    assert sum(1 for d in harness.documents if names.SHADOW_SKIPPED in d) == 2


def test_waiting_for_a_shadow_does_not_hold_up_other_requests_on_the_event_loop(
    customers_bundle: ModelBundle, customers_reference: ModelBundle
) -> None:
    """Under uvicorn (`lightship serve`) one event loop serves every connection: the shadow's wait runs
    in a worker thread, so a request arriving meanwhile is answered at once."""
    hanging = HangingPipeline(customers_reference.pipeline, seconds=5.0)
    harness = release_harness(customers_bundle, with_pipeline(customers_bundle, hanging), release(mode=SHADOW, weight=100.0),
                              deadline_seconds=1.0)
    finished: dict[str, float] = {}

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=harness.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serving") as api:
            async def shadowed() -> None:
                assert (await api.post("/v1/predict", json={"instances": [GOOD]})).status_code == 200
                finished["shadowed predict"] = time.perf_counter()

            async def meanwhile() -> None:
                await asyncio.sleep(0.2)  # the first request is waiting for its shadow by now
                assert (await api.post("/v1/predict", json={"instances": [OTHER]})).status_code == 200
                finished["next predict"] = time.perf_counter()

            await asyncio.gather(shadowed(), meanwhile())

    started = time.perf_counter()
    try:
        asyncio.run(scenario())
    finally:
        hanging.release.set()
    assert finished["next predict"] - started < 0.8  # not held for the first one's 1 s deadline
    assert finished["next predict"] < finished["shadowed predict"]


def test_shadow_samples_the_configured_share_of_requests(customers_bundle: ModelBundle) -> None:
    harness = release_harness(customers_bundle, customers_bundle, release(mode=SHADOW, weight=25.0))
    _answers(harness.app, [{"instances": [GOOD]}] * 400)
    shadow = harness.runtime.shadow
    assert shadow is not None
    assert 60 <= shadow.scored <= 140  # 100 expected; 4.5 binomial sd is ~39


def test_compare_gives_agreement_and_largest_probability_difference() -> None:
    agree, deltas = compare([0, 1], [[0.9, 0.1], [0.4, 0.6]], [0, 0], [[0.8, 0.2], [0.7, 0.3]])
    assert agree == [True, False] and deltas == pytest.approx([0.1, 0.3])
    agree, deltas = compare([1.5, 2.0], None, [1.0, 2.5], None, classification=False)
    assert agree == [] and deltas == pytest.approx([0.5, 0.5])
    assert compare([0], None, None, None) == ([], [])
