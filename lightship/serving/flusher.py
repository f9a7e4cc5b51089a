"""The background thread that uploads buffered inference capture, off the request path.

One daemon thread per process wakes every ``interval`` seconds (or when capture says
its buffer is full) and flushes whatever is due; at interpreter exit it flushes the
rest. In Lambda the thread runs while invocations do and is frozen between them, so a
sample may wait for the next invocation (or be lost if the environment is reclaimed):
acceptable for a sample kept for drift checks, never for metrics, which each request
writes itself (:mod:`lightship.serving.metrics`).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

from lightship.serving.logs import logger


class BackgroundFlusher:
    def __init__(self, interval: float, wake: threading.Event | None = None) -> None:
        self.interval = interval
        self.wake = wake or threading.Event()
        self._jobs: list[tuple[Callable[[], bool], Callable[[], object]]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, due: Callable[[], bool], flush: Callable[[], object]) -> None:
        self._jobs.append((due, flush))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="lightship-serving-flusher", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop the thread and flush everything left (idempotent)."""
        self._stop.set()
        self.wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None
        self.run_once(force=True)

    def run_once(self, force: bool = False) -> None:
        for due, flush in self._jobs:
            try:
                if force or due():
                    flush()
            except Exception:  # noqa: BLE001 - a flush failure must not kill the thread
                logger.exception("background flush failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.wake.wait(self.interval)
            self.wake.clear()
            if self._stop.is_set():
                break
            self.run_once()
