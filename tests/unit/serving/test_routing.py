"""Canary routing: the share of requests the candidate answers, and the same key always reaching the same version."""

from __future__ import annotations

import math
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lightship import observability as names
from lightship.bundle.model_bundle import ModelBundle
from lightship.deployment.release_state import SHADOW
from lightship.serving.routing import ROUTING_KEY_HEADER, goes_to_candidate, routing_bucket
from tests.unit.serving.conftest import GOOD
from tests.unit.serving.release_support import release, release_harness


def _within_binomial_bounds(hits: int, n: int, p: float, sigmas: float = 4.5) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(hits - n * p) <= sigmas * sd + 1


@pytest.mark.parametrize("weight", [1.0, 10.0, 50.0, 90.0])
def test_routing_fraction_over_many_request_ids_is_within_binomial_bounds(weight: float) -> None:
    n = 40_000
    hits = sum(goes_to_candidate(uuid.uuid4().hex, "release-a", weight) for _ in range(n))
    assert _within_binomial_bounds(hits, n, weight / 100.0), (hits, n * weight / 100.0)


def test_routing_fraction_of_sequential_user_ids_is_within_binomial_bounds() -> None:
    # Keys a client may really send (user-1, user-2 ...) are nothing like random: the hash must spread them too.
    n = 40_000
    hits = sum(goes_to_candidate(f"user-{i}", "release-a", 10.0) for i in range(n))
    assert _within_binomial_bounds(hits, n, 0.10), hits


@settings(max_examples=200, deadline=None)
@given(key=st.text(min_size=1, max_size=300), weight=st.floats(min_value=0.01, max_value=100.0))
def test_the_same_key_always_gets_the_same_answer_and_keeps_it_as_the_weight_grows(key: str, weight: float) -> None:
    first = goes_to_candidate(key, "release-a", weight)
    assert all(goes_to_candidate(key, "release-a", weight) == first for _ in range(3))
    assert routing_bucket(key, "release-a") == routing_bucket(key, "release-a")
    if first:  # raising the weight only adds buckets: a key on the candidate stays there
        assert goes_to_candidate(key, "release-a", min(100.0, weight * 2))
    assert goes_to_candidate(key, "release-a", 100.0)


def test_each_release_draws_its_own_keys() -> None:
    keys = [f"user-{i}" for i in range(2000)]
    a = {k for k in keys if goes_to_candidate(k, "release-a", 10.0)}
    b = {k for k in keys if goes_to_candidate(k, "release-b", 10.0)}
    assert a != b and len(a & b) < len(a)  # not the same unlucky users every release


def test_the_app_sends_the_canary_its_share_and_names_the_version_that_answered(customers_bundle: ModelBundle) -> None:
    harness = release_harness(customers_bundle, customers_bundle, release(weight=20.0))
    api = TestClient(harness.app)
    n = 600
    versions = []
    for _ in range(n):
        response = api.post("/v1/predict", json={"instances": [GOOD]})
        assert response.status_code == 200
        body = response.json()
        assert int(response.headers["x-model-version"]) == body["model_version"]
        role = response.headers["x-model-role"]
        assert role == (names.ROLE_CANDIDATE if body["model_version"] == 2 else names.ROLE_LIVE)
        versions.append(body["model_version"])
    assert _within_binomial_bounds(versions.count(2), n, 0.20), versions.count(2)
    roles = {(d[names.DIMENSION_ROLE], d[names.DIMENSION_MODEL_VERSION]) for d in harness.documents if names.REQUESTS in d}
    assert roles == {(names.ROLE_LIVE, "1"), (names.ROLE_CANDIDATE, "2")}


def test_the_same_routing_key_reaches_the_same_version_on_every_request(customers_bundle: ModelBundle) -> None:
    harness = release_harness(customers_bundle, customers_bundle, release(weight=50.0))
    api = TestClient(harness.app)
    seen: dict[str, set[int]] = {}
    for user in range(40):
        for _ in range(5):
            response = api.post("/v1/predict", json={"instances": [GOOD]}, headers={ROUTING_KEY_HEADER: f"user-{user}"})
            seen.setdefault(f"user-{user}", set()).add(response.json()["model_version"])
    assert all(len(v) == 1 for v in seen.values()), seen
    assert {next(iter(v)) for v in seen.values()} == {1, 2}  # both versions answer someone at 50 %


def test_a_candidate_that_fails_to_load_gets_no_traffic_and_is_counted(customers_bundle: ModelBundle) -> None:
    harness = release_harness(customers_bundle, None, release(weight=100.0))
    api = TestClient(harness.app)
    responses = [api.post("/v1/predict", json={"instances": [GOOD]}) for _ in range(20)]
    assert {(r.status_code, r.json()["model_version"]) for r in responses} == {(200, 1)}
    failures = [d for d in harness.documents if names.MODEL_LOAD_FAILURES in d]
    assert failures and failures[0][names.DIMENSION_ROLE] == names.ROLE_CANDIDATE and failures[0][names.DIMENSION_MODEL_VERSION] == "2"
    assert harness.holder.live is not None and harness.holder.live.version == 1


def test_a_shadow_release_answers_every_request_from_live(customers_bundle: ModelBundle) -> None:
    harness = release_harness(customers_bundle, customers_bundle, release(mode=SHADOW, weight=100.0))
    api = TestClient(harness.app)
    assert {api.post("/v1/predict", json={"instances": [GOOD]}).json()["model_version"] for _ in range(30)} == {1}


def test_a_canary_answers_with_main_s_request_rules_and_its_own_role(customers_bundle: ModelBundle) -> None:
    """The candidate answering a canary request parses, refuses and flags exactly as live does, and its
    metric lines (out-of-range count included) carry Role=candidate."""
    harness = release_harness(customers_bundle, customers_bundle, release(weight=100.0))
    api = TestClient(harness.app)

    flagged = api.post("/v1/predict", json={"instances": [GOOD, {**GOOD, "age": 1e308}]})
    unparseable = api.post("/v1/predict", content=b'{"instances": [', headers={"content-type": "application/json"})
    text = api.post("/v1/predict", content=b'{"instances": []}', headers={"content-type": "text/plain"})

    assert flagged.status_code == 200 and flagged.headers["x-model-role"] == names.ROLE_CANDIDATE
    assert flagged.json()["model_version"] == 2 and flagged.json()["flagged"] == [[], ["age"]]
    assert (unparseable.status_code, unparseable.json()["error"]) == (400, "invalid JSON")
    assert (text.status_code, text.json()["error"]) == (415, "unsupported media type")
    lines = [d for d in harness.documents if names.REQUESTS in d]
    assert [(d[names.DIMENSION_ROLE], d["status"], d[names.OUT_OF_RANGE_INSTANCES]) for d in lines] == [
        (names.ROLE_CANDIDATE, 200, [1.0]), (names.ROLE_CANDIDATE, 400, [0.0]), (names.ROLE_CANDIDATE, 415, [0.0]),
    ]
