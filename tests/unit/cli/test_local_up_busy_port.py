"""``lightship local up`` on a port something else holds: one line naming the port and ``--port``,
a non-zero exit at once, and nothing left running (moto's server alone would wait forever). At once
means before the CLI loads its heavy parts: well under what ``lightship --help`` (which loads every
command) takes on the same machine, measured in the same test. A port taken between the check and
the server's start fails with the same line, not a hang."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from lightship.errors import LightshipError
from lightship.local.emulator import LocalEmulator, MotoServer
from lightship.local.port import ensure_port_free
from lightship.settings import load_settings


def _held_port() -> socket.socket:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    return holder


def _cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    # A hang (moto's "Port N is in use" then waiting forever) ends in TimeoutExpired: the test fails.
    done = subprocess.run([sys.executable, "-m", "lightship.cli.main", *args], check=False, capture_output=True, text=True, env=env, timeout=60)
    return done, time.monotonic() - started


def test_local_up_on_a_busy_port_fails_at_once_with_one_line() -> None:
    holder = _held_port()
    port = holder.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["COLUMNS"] = "200"
    try:
        busy: list[float] = []
        full: list[float] = []
        for _ in range(2):  # interleaved, best of two: the machine is shared
            done, elapsed = _cli(["local", "up", "--port", str(port)], env)
            busy.append(elapsed)
            full.append(_cli(["--help"], env)[1])
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert done.returncode != 0
        assert len(lines) == 1, lines
        assert str(port) in lines[0] and "--port" in lines[0]
        assert "Traceback" not in done.stderr
        # Loading every command (boto3, moto, pandas ...) took ~2.5 s here and the busy port ~0.85 s
        # (the interpreter, typer and rich): before the check moved ahead of the heavy imports the two were equal.
        assert min(busy) < 0.6 * min(full), (busy, full)
        # Nothing was started: no emulator answers, the port is still only ours.
        with pytest.raises(OSError):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                probe.bind(("127.0.0.1", port))
            finally:
                probe.close()
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            accepted, _ = holder.accept()  # the connection reached our socket, not a server of its
            accepted.close()
    finally:
        holder.close()


def test_a_port_taken_after_the_check_fails_the_start_with_the_same_line() -> None:
    """The emulator's server listens on a socket it binds itself: that bind is the check, so there
    is no window between a check and moto's own bind (where ``ThreadedMotoServer.start`` hangs)."""
    holder = _held_port()
    port = holder.getsockname()[1]
    emulator = LocalEmulator(load_settings(), port=port)
    outcome: list[Exception] = []

    def start() -> None:
        try:
            emulator.start()
        except Exception as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    try:
        started = time.monotonic()
        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the emulator's start hung on a taken port"
        assert time.monotonic() - started < 1.0
        assert len(outcome) == 1 and isinstance(outcome[0], LightshipError), outcome
        assert str(outcome[0]) == (f"port {port} on 127.0.0.1 is in use; stop what holds it or pick another with "
                                   "--port N (--port 0 picks a free one)")
    finally:
        emulator.stop()
        holder.close()


def test_the_server_serves_on_the_socket_it_bound_so_no_one_can_take_the_port_in_between(monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone taking the port at the moment moto's server would bind it (werkzeug's ``server_bind``)
    would leave ``ThreadedMotoServer.start`` waiting forever; the emulator's server never binds there."""
    from werkzeug.serving import BaseWSGIServer

    free = _held_port()
    port = free.getsockname()[1]
    free.close()
    thieves: list[socket.socket] = []
    original = BaseWSGIServer.server_bind

    def taken_first(self: BaseWSGIServer) -> None:
        thieves.append(_bound(port))
        original(self)

    monkeypatch.setattr(BaseWSGIServer, "server_bind", taken_first)
    server = MotoServer("127.0.0.1", port)
    try:
        assert server.port == port and not thieves
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.stop()


def _bound(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1)
    return sock


def test_the_check_itself_takes_well_under_a_second() -> None:
    holder = _held_port()
    port = holder.getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(LightshipError, match=rf"port {port} .*--port"):
            ensure_port_free("127.0.0.1", port)
        assert time.monotonic() - started < 1.0
    finally:
        holder.close()


def test_a_free_port_and_port_zero_pass() -> None:
    holder = _held_port()
    port = holder.getsockname()[1]
    holder.close()
    ensure_port_free("127.0.0.1", port)
    ensure_port_free("127.0.0.1", 0)
