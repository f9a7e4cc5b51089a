"""``lightship local up`` in its own process, for tests: start it, read the environment it prints,
and stop it with Ctrl-C (SIGINT) at the end, checking it exits cleanly.

The child starts with SIGINT ignored, as a process started in the background by a non-interactive
shell does (a CI script's ``cmd &``): ``local up`` must still stop on Ctrl-C (it once hung there)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_up_process() -> Iterator[dict[str, str]]:
    """Yields the ``export NAME=value`` lines ``local up`` printed, as a dict."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["COLUMNS"] = "200"
    process = subprocess.Popen(
        [sys.executable, "-m", "lightship.cli.main", "local", "up", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509 - no threads started yet
    )
    try:
        exports: dict[str, str] = {}
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:  # the export lines come as one block: read to its end
            line = process.stdout.readline()
            match = re.match(r"export (\w+)=(\S+)", line)
            if match:
                exports[match.group(1)] = match.group(2)
            elif exports or not line:
                break
        yield exports
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
