"""What the emulator's in-process Lambda handlers print: kept where Lambda keeps it, off the console.

On AWS a function's stdout (Powertools' JSON log lines, EMF metric documents) goes to its
CloudWatch log group. The emulator runs handlers in this process
(:mod:`lightship.local.lambda_router`), so without this their lines would land in the
middle of whatever the process prints (the demo's rollback chapter showed two raw
~800-character JSON lines). :func:`captured`, which the router wraps around every routed
invocation, gives the running thread its own stdout; when the handler returns, its lines
go to ``/aws/lambda/NAME`` on the emulator (EMF documents also become metrics, as
CloudWatch Logs makes them) and, when one is set with :func:`write_to`, to a local log
file, which ``lightship demo`` and ``lightship local up`` name for the user.

:class:`LogShipper` is the same path for a process that is not a routed handler but stands
in for a function: ``lightship serve --metrics cloudwatch`` (what ``lightship local up``
exports) ships the serving app's EMF lines to the serving function's log group, and so to
metrics, as the router ships the Lambda handler's. :func:`lambda_metrics` puts what the
Lambda service itself counts for every invocation (``AWS/Lambda`` ``Invocations``,
``Errors``, ``Duration`` by ``FunctionName``), which alarms on function errors watch.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lightship.resources import Names

_lock = threading.Lock()
_log_file: Path | None = None
_log_handler: ThreadLogHandler | None = None
# One per thread, shared by every wrapper: a wrapper that something still holds after sys.stdout was
# replaced again (pytest does per test) still sends a captured thread's lines to its buffer.
_local = threading.local()


class ThreadStdout(io.TextIOBase):
    """sys.stdout for the process: a thread running a routed handler writes to its own buffer."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.local = _local

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        return buffer.write(text) if buffer is not None else self.real.write(text)

    def flush(self) -> None:
        if getattr(self.local, "buffer", None) is None and not getattr(self.real, "closed", False):
            self.real.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.real, "isatty", lambda: False)())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.real, "encoding", "utf-8"))

    def fileno(self) -> int:
        return int(self.real.fileno())


class ThreadLogHandler(logging.Handler):
    """Plain ``logging`` records of a captured thread join its lines, formatted as Lambda's Python
    runtime does (``[LEVEL] time request-id message``); any other thread's warnings still reach
    stderr, as Python's last-resort handler would have printed them."""

    def __init__(self, out: ThreadStdout) -> None:
        super().__init__(level=logging.INFO)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        buffer = getattr(self.out.local, "buffer", None)
        if buffer is None:
            if record.levelno >= logging.WARNING and logging.lastResort is not None:
                logging.lastResort.handle(record)
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        request_id = getattr(self.out.local, "request_id", "-")
        buffer.write(f"[{record.levelname}]\t{stamp}\t{request_id}\t{record.name}: {record.getMessage()}\n")


def thread_stdout() -> ThreadStdout:
    """Wrap sys.stdout (once), and point every Powertools logger at the wrapper."""
    with _lock:
        current = sys.stdout
        wrapper = current if isinstance(current, ThreadStdout) else ThreadStdout(current)
        sys.stdout = wrapper
        global _log_handler
        if _log_handler is None:
            _log_handler = ThreadLogHandler(wrapper)
            logging.getLogger("lightship").addHandler(_log_handler)
        _log_handler.out = wrapper
        _follow(wrapper, previous=current)
        return wrapper


def _follow(wrapper: ThreadStdout, previous: Any) -> None:
    """Powertools' Logger binds sys.stdout when a handler's module is imported, which may be before
    the wrapper existed or while sys.stdout was another stream (pytest swaps it per test): a
    Powertools handler always writes to the wrapper, whatever stream it bound; a plain stream
    handler follows only if it held the stream the wrapper now wraps."""
    from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter

    for logger in [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger))]:
        for handler in logger.handlers:
            if not isinstance(handler, logging.StreamHandler) or handler.stream is wrapper:
                continue
            if isinstance(handler.formatter, BasePowertoolsFormatter) or handler.stream is previous or isinstance(handler.stream, ThreadStdout):
                handler.setStream(wrapper)


def write_to(path: Path | None) -> None:
    """Also append every routed handler's lines to ``path`` (None: only the log groups)."""
    global _log_file
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    _log_file = path


def log_file() -> Path | None:
    return _log_file


@contextmanager
def captured(function_name: str, request_id: str) -> Iterator[None]:
    """Run a handler with this thread's stdout captured; ship what it printed when it ends."""
    out = thread_stdout()
    outer = getattr(out.local, "buffer", None)  # a handler invoking another handler keeps its own lines
    outer_id = getattr(out.local, "request_id", None)
    out.local.buffer, out.local.request_id = io.StringIO(), request_id
    try:
        yield
    finally:
        text, out.local.buffer, out.local.request_id = out.local.buffer.getvalue(), outer, outer_id
        lines = [line for line in text.splitlines() if line.strip()]
        if lines:
            _to_file(function_name, lines)
            _to_log_group(function_name, request_id, lines)


class LogShipper:
    """A sink for EMF documents that ships them as ``function_name``'s log lines (log group, log file,
    metrics), in batches from a thread every ``interval`` seconds, so a request never waits on it."""

    def __init__(self, function_name: str, interval: float = 1.0) -> None:
        self.function_name = function_name
        self.interval = interval
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ship-{function_name}", daemon=True)
        self._thread.start()

    def __call__(self, document: dict[str, Any]) -> None:
        line = json.dumps(document, separators=(",", ":"), default=str)
        with self._lock:
            self._pending.append(line)

    def flush(self) -> int:
        """Ship what is pending now; returns how many lines went."""
        with self._lock:
            lines, self._pending = self._pending, []
        if lines:
            _to_file(self.function_name, lines)
            _to_log_group(self.function_name, uuid.uuid4().hex, lines)
        return len(lines)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - a lost batch of metrics must not stop the next ones
                logging.getLogger("lightship.local").warning("could not ship %s's log lines: %s", self.function_name, exc)


def lambda_metrics(function_name: str, duration_ms: float, failed: bool) -> None:
    """What Lambda counts for one invocation of ``function_name``, on the emulator's CloudWatch."""
    from lightship.clients import client

    dimensions = [{"Name": "FunctionName", "Value": function_name}]
    client("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Invocations", "Dimensions": dimensions, "Value": 1.0, "Unit": "Count"},
        {"MetricName": "Errors", "Dimensions": dimensions, "Value": 1.0 if failed else 0.0, "Unit": "Count"},
        {"MetricName": "Duration", "Dimensions": dimensions, "Value": duration_ms, "Unit": "Milliseconds"},
    ])


def _to_file(function_name: str, lines: list[str]) -> None:
    path = _log_file
    if path is None:
        return
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    with _lock, path.open("a", encoding="utf-8") as f:
        for line in lines:
            f.write(f"{stamp} {function_name} {line}\n")


def _to_log_group(function_name: str, request_id: str, lines: list[str]) -> None:
    from lightship.clients import client
    from lightship.local.emf import publish_emf

    logs = client("logs")
    group = Names.function_log_group(function_name)
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{request_id.replace('-', '')}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": m} for m in lines])
    # CloudWatch Logs turns EMF documents in a function's log into metrics; moto does not.
    documents = [d for d in (_json(line) for line in lines) if isinstance(d, dict) and "_aws" in d]
    if documents:
        publish_emf(client("cloudwatch"), documents)


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None
