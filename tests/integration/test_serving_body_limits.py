"""``lightship serve``'s server (uvicorn on loopback, the app the Lambda runs) answers an oversized
body with a 413 in the error shape, not a reset connection: with a Content-Length far over the
limit, without one (chunked), and when the client waits for ``100 Continue``. Over a real socket."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lightship.bundle.model_bundle import ModelBundle, load_bundle
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.local_server import serve_in_thread
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
from lightship.training.data import load_training_data
from lightship.training.run import train, write
from tests.unit.serving.conftest import GOOD, FakeLoader, FakeRecord, deployment

LIMIT = 1_000_000  # the default serving.max_body_bytes, as the Lambda path enforces it
BIG = 60 * 1024 * 1024


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, customers_frame: pd.DataFrame) -> ModelBundle:
    tmp = Path(tmp_path_factory.mktemp("limits"))
    customers_frame.to_csv(tmp / "customers.csv", index=False)
    return load_bundle(write(train(load_training_data(tmp / "customers.csv", "churned"), "logistic", {}), tmp / "model"))


@pytest.fixture
def server(bundle: ModelBundle) -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
    live = deployment(1)
    documents: list[dict[str, Any]] = []
    holder = ModelHolder(FakeRecord(current=live), FakeLoader({live.model_data_url: bundle}), ttl_seconds=3600, max_instances=1000)
    app = create_app(ServingRuntime(holder, ServingMetrics(sinks=[documents.append]), None, LIMIT, 1000))
    with serve_in_thread(app) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port), documents


def _exchange(host: str, port: int, head: bytes, chunks: Iterator[bytes], wait_for_continue: bool = False) -> tuple[int, dict[str, Any]]:
    """Send a request as a client would and read the answer, even if the server answers before the body ends."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head)
        if wait_for_continue:
            sock.settimeout(2)
            try:
                early = sock.recv(65536)
            except TimeoutError:
                early = b""
            sock.settimeout(30)
            if early and not early.startswith(b"HTTP/1.1 100"):
                return _parse(_read_rest(sock, early))
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is what matters
        return _parse(_read_rest(sock))


def _read_rest(sock: socket.socket, data: bytes = b"") -> bytes:
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        part = sock.recv(65536)
        if not part:
            break
        data += part
    return data


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def _parse(data: bytes) -> tuple[int, dict[str, Any]]:
    data = data.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def _body(size: int, piece: int = 1 << 16) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        n = min(piece, size - sent)
        yield b" " * n
        sent += n


def _chunked(size: int, piece: int = 1 << 16) -> Iterator[bytes]:
    for part in _body(size, piece):
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


def _head(extra: str) -> bytes:
    return f"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Id: big-1\r\n{extra}\r\n".encode()


def test_a_60_mb_body_with_content_length_is_a_413_not_a_reset(server: tuple[str, int, list[dict[str, Any]]]) -> None:
    host, port, documents = server
    status, body = _exchange(host, port, _head(f"Content-Length: {BIG}\r\n"), _body(BIG))

    assert status == 413
    assert body["request_id"] == "big-1"
    assert body["detail"] == [{"index": None, "field": "body", "reason": f"{BIG} bytes; at most {LIMIT} per request"}]
    assert [d["status"] for d in documents] == [413]


def test_a_60_mb_chunked_body_without_content_length_is_a_413(server: tuple[str, int, list[dict[str, Any]]]) -> None:
    host, port, documents = server
    status, body = _exchange(host, port, _head("Transfer-Encoding: chunked\r\n"), _chunked(BIG))

    assert status == 413
    assert body["detail"][0]["reason"] == f"more than {LIMIT} bytes; at most {LIMIT} per request"
    assert [d["status"] for d in documents] == [413]


def test_a_client_waiting_for_100_continue_gets_the_413_before_sending(server: tuple[str, int, list[dict[str, Any]]]) -> None:
    host, port, _ = server
    status, body = _exchange(host, port, _head(f"Content-Length: {BIG}\r\nExpect: 100-continue\r\n"), _body(BIG), wait_for_continue=True)
    assert status == 413 and body["request_id"] == "big-1"


def test_a_body_within_the_limit_is_still_served_after_oversized_ones(server: tuple[str, int, list[dict[str, Any]]]) -> None:
    host, port, _ = server
    _exchange(host, port, _head("Transfer-Encoding: chunked\r\n"), _chunked(2 * LIMIT))
    payload = json.dumps({"instances": [GOOD] * 500}).encode()
    status, body = _exchange(host, port, _head(f"Content-Length: {len(payload)}\r\n"), iter([payload]))
    assert status == 200 and len(body["predictions"]) == 500
