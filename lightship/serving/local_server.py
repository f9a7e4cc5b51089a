"""Run an ASGI app under uvicorn on 127.0.0.1 in a background thread: ``with serve_in_thread(app) as url``.

Used by ``lightship serve``'s tests, the HTTP benchmark, the demo's serving chapter and
the rollback chapter (which drives traffic at the live server while the record switches).
Port 0 picks a free port; the context manager yields the base URL once the server
accepts connections, and stops it (waiting for in-flight requests) on exit.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from lightship.errors import LightshipError


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 15.0, **uvicorn_options: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    options = {"log_level": "warning", "access_log": False, "lifespan": "off", **uvicorn_options}
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=bound_port, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise LightshipError(f"the local server on {host}:{bound_port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
