"""The holder reads the record through its TTL, swaps models whole, and keeps the old one when a load fails."""

from __future__ import annotations

from lightship.bundle.model_bundle import ModelBundle
from lightship.serving.model_holder import LoadFailure, ModelHolder
from tests.unit.serving.conftest import FakeLoader, FakeRecord, deployment


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _holder(record: FakeRecord, loader: FakeLoader, clock: Clock, failures: list[LoadFailure] | None = None) -> ModelHolder:
    return ModelHolder(record, loader, ttl_seconds=10, max_instances=10, clock=clock,
                       on_load_failure=failures.append if failures is not None else None)


def test_within_the_ttl_the_record_is_not_read_again(customers_bundle: ModelBundle) -> None:
    v1 = deployment(1)
    record, loader, clock = FakeRecord(v1), FakeLoader({v1.model_data_url: customers_bundle}), Clock()
    holder = _holder(record, loader, clock)

    for _ in range(100):
        assert holder.current().version == 1  # type: ignore[union-attr]
        clock.now += 0.05

    assert record.reads == 1 and loader.loads == [v1.model_data_url]


def test_after_the_ttl_a_new_version_is_loaded_and_swapped_in(customers_bundle: ModelBundle) -> None:
    v1, v2 = deployment(1), deployment(2)
    record = FakeRecord(v1)
    loader = FakeLoader({v1.model_data_url: customers_bundle, v2.model_data_url: customers_bundle})
    clock = Clock()
    holder = _holder(record, loader, clock)
    first = holder.current()

    record.current = v2
    clock.now += 9.9
    assert holder.current() is first
    clock.now += 0.2
    second = holder.current()

    assert second is not None and second.version == 2 and second is not first
    assert loader.loads == [v1.model_data_url, v2.model_data_url]


def test_a_failed_load_keeps_the_old_model_reports_it_and_retries_after_the_ttl(customers_bundle: ModelBundle) -> None:
    v1, v2 = deployment(1), deployment(2)
    record = FakeRecord(v1)
    loader = FakeLoader({v1.model_data_url: customers_bundle})
    clock, failures = Clock(), []  # type: ignore[var-annotated]
    holder = _holder(record, loader, clock, failures)
    holder.current()

    record.current = v2
    clock.now += 11
    assert holder.current().version == 1  # type: ignore[union-attr]
    assert [(f.version, f.error.split(":")[0]) for f in failures] == [(2, "FileNotFoundError")]
    assert holder.state.last_failure is not None and holder.state.last_failure.version == 2

    loader.bundles[v2.model_data_url] = customers_bundle  # the object is fixed
    clock.now += 11
    assert holder.current().version == 2  # type: ignore[union-attr]
    assert holder.state.last_failure is None and len(failures) == 1


def test_a_new_revision_of_the_same_model_is_not_reloaded(customers_bundle: ModelBundle) -> None:
    v1 = deployment(1, revision=1)
    record, loader, clock = FakeRecord(v1), FakeLoader({v1.model_data_url: customers_bundle}), Clock()
    holder = _holder(record, loader, clock)
    holder.current()

    record.current = deployment(1, revision=3)  # e.g. a rollback back to the loaded version
    clock.now += 11
    live = holder.current()

    assert live is not None and live.deployment.revision == 3 and len(loader.loads) == 1


def test_a_record_read_error_keeps_serving_and_is_reported(customers_bundle: ModelBundle) -> None:
    v1 = deployment(1)
    record, loader, clock = FakeRecord(v1), FakeLoader({v1.model_data_url: customers_bundle}), Clock()
    holder = _holder(record, loader, clock)
    holder.current()

    record.error = ConnectionError("dynamodb unreachable")
    clock.now += 11
    assert holder.current().version == 1  # type: ignore[union-attr]
    assert holder.state.record_error == "ConnectionError: dynamodb unreachable"


def test_no_record_means_no_model(customers_bundle: ModelBundle) -> None:
    holder = _holder(FakeRecord(None), FakeLoader(), Clock())
    assert holder.current() is None and holder.live is None


def test_expire_makes_the_next_request_read_the_record_whatever_the_clock_says(customers_bundle: ModelBundle) -> None:
    """After a SnapStart restore the monotonic clock may be anywhere; the restore hook expires the cache."""
    v1, v2 = deployment(1), deployment(2)
    record = FakeRecord(v1)
    loader = FakeLoader({v1.model_data_url: customers_bundle, v2.model_data_url: customers_bundle})
    clock = Clock()
    holder = _holder(record, loader, clock)
    holder.current()
    record.current = v2

    holder.expire()

    assert holder.current().version == 2  # type: ignore[union-attr]
