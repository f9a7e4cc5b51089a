"""Outages on demand: make a boto3 client's calls fail as if its service were unreachable.

:class:`ServiceOutage` hooks a client's ``before-send`` event, so while it is on every call
fails with botocore's own ``EndpointConnectionError`` (retries, backoff and the caller's error
handling run exactly as for a real outage), and nothing changes while it is off. Used by the
fault-injected load run (tests/support/fault_run.py: tests/integration/test_serving_under_faults.py
and bench/serving_faults.py); any client built by :mod:`lightship.clients` can be wrapped.
"""

from __future__ import annotations

import threading
from typing import Any, Self

from botocore.exceptions import EndpointConnectionError


class ServiceOutage:
    """A switch on one client: ``with outage:`` (or :meth:`start` / :meth:`stop`) makes its calls fail."""

    def __init__(self, boto_client: Any) -> None:
        self.client = boto_client
        self.failed_calls = 0
        self._on = threading.Event()
        self._lock = threading.Lock()
        boto_client.meta.events.register("before-send.*.*", self._before_send)

    @property
    def active(self) -> bool:
        return self._on.is_set()

    def start(self) -> None:
        self._on.set()

    def stop(self) -> None:
        self._on.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _before_send(self, request: Any, **_: Any) -> None:
        if self._on.is_set():
            with self._lock:
                self.failed_calls += 1
            raise EndpointConnectionError(endpoint_url=str(getattr(request, "url", "")))
