"""Routed handlers' output capture survives what pytest (and any host) does to sys.stdout: replacing it
per test and closing the old stream. Found by the full suite: a Powertools handler still bound to the
wrapper of a closed stream made every later routed invocation fail before the handler ran."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading

import pytest

from lightship.local import function_logs


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """What captured() would send to a log group (no emulator in unit tests)."""
    sent: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(function_logs, "_to_log_group", lambda name, request_id, lines: sent.append((name, lines)))
    return sent


@pytest.fixture
def bound_handler() -> logging.StreamHandler[io.TextIOBase]:
    handler: logging.StreamHandler[io.TextIOBase] = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.function_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def test_a_handler_bound_to_the_wrapper_of_a_closed_stream_follows_the_new_one(
    monkeypatch: pytest.MonkeyPatch, bound_handler: logging.StreamHandler[io.TextIOBase]
) -> None:
    first = io.TextIOWrapper(io.BytesIO())  # like pytest's capture: flushing it once closed raises
    monkeypatch.setattr(sys, "stdout", first)
    bound_handler.setStream(function_logs.thread_stdout())
    first.close()  # the test that owned it ended
    second = io.StringIO()
    monkeypatch.setattr(sys, "stdout", second)

    wrapper = function_logs.thread_stdout()  # raised "I/O operation on closed file" here

    assert bound_handler.stream is wrapper and wrapper.real is second
    logging.getLogger("tests.function_logs").info("outside any handler")
    assert second.getvalue() == "outside any handler\n"


def test_lines_written_through_a_stale_wrapper_still_reach_the_invocation_that_wrote_them(
    monkeypatch: pytest.MonkeyPatch, shipped: list[tuple[str, list[str]]]
) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    stale = function_logs.thread_stdout()
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)
    function_logs.thread_stdout()

    with function_logs.captured("fn", "req-1"):
        stale.write("from a logger bound before the swap\n")
        print("printed now")

    assert shipped == [("fn", ["from a logger bound before the swap", "printed now"])]
    assert console.getvalue() == ""


def test_each_thread_keeps_its_own_lines(monkeypatch: pytest.MonkeyPatch, shipped: list[tuple[str, list[str]]]) -> None:
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)
    function_logs.thread_stdout()
    both_inside = threading.Barrier(2)

    def invoke(name: str) -> None:
        with function_logs.captured(name, f"req-{name}"):
            both_inside.wait(timeout=5)
            print(f"line of {name}")
            both_inside.wait(timeout=5)

    threads = [threading.Thread(target=invoke, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    print("the host's own line")
    for t in threads:
        t.join()

    assert sorted(shipped) == [("a", ["line of a"]), ("b", ["line of b"])]
    assert console.getvalue() == "the host's own line\n"


def test_log_shipper_ships_serve_documents_in_batches_off_the_request_and_the_rest_on_close(
    shipped: list[tuple[str, list[str]]],
) -> None:
    shipper = function_logs.LogShipper("lightship-serving", interval=3600)  # no timed flush during the test
    documents = [{"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}, "Requests": [1.0], "request_id": f"r{i}"} for i in range(3)]
    for document in documents[:2]:
        shipper(document)
    assert shipped == []  # a request only queues its line
    assert shipper.flush() == 2
    shipper(documents[2])
    shipper.close()
    assert [name for name, _ in shipped] == ["lightship-serving", "lightship-serving"]
    assert [[json.loads(line)["request_id"] for line in lines] for _, lines in shipped] == [["r0", "r1"], ["r2"]]
    assert shipper.flush() == 0


def test_a_powertools_logger_bound_to_an_earlier_stream_still_logs_into_the_invocation(
    monkeypatch: pytest.MonkeyPatch, shipped: list[tuple[str, list[str]]]
) -> None:
    """Found by CI: a handler module imported while sys.stdout was another test's stream (not the one
    the wrapper wraps, not a wrapper) printed the rollback handler's JSON to the console."""
    from aws_lambda_powertools import Logger

    earlier = io.StringIO()
    monkeypatch.setattr(sys, "stdout", earlier)
    logger = Logger(service="tests-function-logs-earlier")
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)
    function_logs.thread_stdout()  # a wrapper already exists and the earlier stream is gone
    third = io.StringIO()
    monkeypatch.setattr(sys, "stdout", third)

    with function_logs.captured("fn", "req-1"):
        logger.info("rolled back")

    assert [json.loads(line)["message"] for _, lines in shipped for line in lines] == ["rolled back"]
    assert earlier.getvalue() == console.getvalue() == third.getvalue() == ""
