"""``lightship local up`` on a port something else holds: one line naming the port and ``--port``,
a non-zero exit at once, and nothing left running (moto's server alone would wait forever)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from lightship.errors import LightshipError
from lightship.local.emulator import ensure_port_free


def _held_port() -> socket.socket:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    return holder


def test_local_up_on_a_busy_port_fails_at_once_with_one_line() -> None:
    holder = _held_port()
    port = holder.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["COLUMNS"] = "200"
    try:
        started = time.monotonic()
        # A hang (moto's "Port N is in use" then waiting forever) ends in TimeoutExpired: the test fails.
        done = subprocess.run(
            [sys.executable, "-m", "lightship.cli.main", "local", "up", "--port", str(port)],
            capture_output=True, text=True, env=env, timeout=30,
        )
        elapsed = time.monotonic() - started
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert done.returncode != 0
        assert len(lines) == 1, lines
        assert str(port) in lines[0] and "--port" in lines[0]
        assert "Traceback" not in done.stderr
        # Process start-up and the CLI's imports included; the check itself precedes the emulator.
        assert elapsed < 15, elapsed
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
