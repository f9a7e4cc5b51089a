"""``lightship``: the console script. Each command group lives in its own module and registers here.

Every command speaks plainly and exits non-zero on failure: a :class:`LightshipError`
(bad data, unknown version, failed job) is printed as one line, never as a traceback.
"""

from __future__ import annotations

import sys

import typer
from botocore.exceptions import BotoCoreError, ClientError

from lightship.cli import config_cmd, demo_cmd, deploy_cmd, local_cmd, models_cmd, serve_cmd, train_cmd
from lightship.cli import batch_cmd, drift_cmd, rollback_cmd
from lightship.cli import release_cmd
from lightship.cli.console import err_console
from lightship.errors import LightshipError

app = typer.Typer(
    name="lightship",
    help="A scikit-learn model from training to production on serverless AWS, or locally on moto.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (config_cmd, local_cmd, train_cmd, models_cmd, deploy_cmd, serve_cmd, rollback_cmd, batch_cmd, drift_cmd, demo_cmd):
    module.register(app)
release_cmd.register(app)


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, standalone_mode=False)
    except LightshipError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 1
    except (ClientError, BotoCoreError) as exc:
        err_console.print(f"[bold red]AWS error:[/] {exc}")
        return 2
    except SystemExit as exc:  # typer/click exits (e.g. --help, usage errors)
        return int(exc.code or 0)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # click's usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
