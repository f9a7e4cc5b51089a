"""The emulator's listening socket on loopback, and the one-line error when its port is taken.

Imports nothing heavy: ``lightship local up`` checks the port (:func:`ensure_port_free`) before it
loads moto, boto3 or the CLI's other commands, so a busy port is reported at once.
:class:`lightship.local.emulator.LocalEmulator` then serves on the socket :func:`listen` returns,
bound by us rather than by moto's server: that one bind is the check, so a port taken between
the check and the start fails with the same line (moto's own ``ThreadedMotoServer.start`` would
print a warning and wait forever).
"""

from __future__ import annotations

import errno
import socket

from lightship.errors import LightshipError


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one), or :class:`LightshipError` naming the port and ``--port``.

    Binds as Python's HTTP servers do (``SO_REUSEADDR``), so a port left in TIME_WAIT by an
    earlier run is not reported busy.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise LightshipError(f"port {port} on {host} is in use; stop what holds it or pick another with --port N (--port 0 picks a free one)") from None
        raise LightshipError(f"cannot listen on {host}:{port}: {exc.strerror}; pick another port with --port N") from None
    return sock


def ensure_port_free(host: str, port: int) -> None:
    """Fail at once when ``host:port`` is taken (port 0 asks the system for a free one)."""
    if port != 0:
        listen(host, port).close()
