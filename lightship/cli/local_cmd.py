"""``lightship local up``: the embedded AWS emulator, with the project's resources, until stopped.

Light to import (:mod:`lightship.cli.main` loads this group alone for ``lightship local ...``): the
port is checked before moto, boto3 and the settings load, so a busy port is one line at once.
"""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import typer

from lightship.local.port import ensure_port_free


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the emulator cleanly. Set here because a process started in
    the background by a non-interactive shell inherits SIGINT ignored, and Python then leaves it so:
    such a ``local up`` (a CI script's ``cmd &``) could otherwise never be stopped by Ctrl-C."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)


local_app = typer.Typer(help="The embedded AWS emulator (moto's server) on 127.0.0.1.", no_args_is_help=True)


@local_app.command("up")
def up(port: int = typer.Option(4566, help="Port on 127.0.0.1 (0 picks a free one)")) -> None:
    """Start the emulator, create the stacks' resources in it, and keep running until Ctrl-C."""
    ensure_port_free("127.0.0.1", port)  # before anything starts or loads: a taken port is one line, at once
    from lightship.cli.console import console
    from lightship.cli.serve_cmd import METRICS_ENV
    from lightship.local.emulator import LocalEmulator
    from lightship.settings import load_settings

    stop_on_signals()
    settings = load_settings()
    function_log = Path(tempfile.mkdtemp(prefix="lightship-local-")) / "lambda-functions.log"
    emulator = LocalEmulator(settings, port=port, function_log=function_log)
    resources = emulator.start()
    try:
        console.print(f"[bold green]AWS emulator listening on {emulator.endpoint_url}[/]")
        console.print(f"buckets: {resources.data_bucket}, {resources.artifact_bucket}; model package group: {resources.model_package_group}")
        console.print(
            f"alarms are watched: a state change (e.g. aws cloudwatch set-alarm-state) is delivered to its SNS actions; "
            f"{resources.rollback_topic} runs the rollback handler ({resources.rollback_function})"
        )
        console.print(f"the Lambda handlers' logs (rollback, batch) go to their log groups and to {function_log}")
        console.print("In another shell, run:\n")
        for key, value in emulator.environment().items():
            typer.echo(f"export {key}={value}")
        # lightship serve then ships its metrics as the serving Lambda's reach CloudWatch.
        typer.echo(f"export {METRICS_ENV}=cloudwatch")
        console.print("\nthen `lightship train`, `lightship models list` and the other commands (or the aws CLI) talk to it. Ctrl-C stops it.")
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print(f"stopping; the Lambda handlers' logs are in {function_log}")
    finally:
        emulator.stop()


def register(app: typer.Typer) -> None:
    app.add_typer(local_app, name="local")
