"""``lightship``: the console script. Each command group lives in its own module and registers here.

Every command speaks plainly and exits non-zero on failure: a :class:`LightshipError`
(bad data, unknown version, failed job) is printed as one line, never as a traceback,
and so is a usage mistake (unknown command or option, missing or extra argument, a
value of the wrong type), followed by the usage hint, with exit status 2.
"""

from __future__ import annotations

import functools
import sys

import typer
from botocore.exceptions import BotoCoreError, ClientError

# typer >= 0.20 carries its own copy of click and raises *its* exceptions: catching the
# separately installed ``click`` package's ClickException misses every usage error.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from lightship.cli import local_cmd
from lightship.cli.console import err_console
from lightship.errors import LightshipError

PROG_NAME = "lightship"
USAGE_EXIT_CODE = 2  # click's and the shell's convention for a usage mistake
HELP = "A scikit-learn model from training to production on serverless AWS, or locally on moto."


def _typer() -> typer.Typer:
    return typer.Typer(name=PROG_NAME, help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@functools.cache
def cli_app() -> typer.Typer:
    """Every command. Loading them takes seconds (boto3, pandas, scikit-learn): :func:`app_for` loads them only when asked."""
    from lightship.cli import (
        batch_cmd,
        checklist_cmd,
        config_cmd,
        datasets_cmd,
        demo_cmd,
        deploy_cmd,
        drift_cmd,
        estimate_cmd,
        models_cmd,
        quality_cmd,
        release_cmd,
        retrain_cmd,
        rollback_cmd,
        serve_cmd,
        train_cmd,
    )

    app = _typer()
    for module in (config_cmd, local_cmd, datasets_cmd, train_cmd, models_cmd, deploy_cmd, serve_cmd, rollback_cmd, batch_cmd, drift_cmd,
                   demo_cmd, release_cmd, quality_cmd, retrain_cmd, checklist_cmd, estimate_cmd):
        module.register(app)
    return app


def app_for(args: list[str]) -> typer.Typer:
    """The app that runs ``args``: for ``lightship local ...`` the local group alone (it is light, so
    ``local up`` reports a busy port before anything heavy loads), else :func:`cli_app`."""
    if args[:1] == ["local"]:
        app = _typer()
        local_cmd.register(app)
        return app
    return cli_app()


def usage_error_text(exc: UsageError) -> str:
    """One line saying what is wrong, then the command's usage line and where to get help."""
    lines = [f"error: {exc.format_message()}"]
    if exc.ctx is not None:
        lines.append(exc.ctx.get_usage())
    command = exc.ctx.command_path if exc.ctx is not None else PROG_NAME
    lines.append(f"Try '{command} --help' for help.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        # standalone_mode=False: errors come back here, so this function decides how they read.
        result = app_for(args)(args=args, prog_name=PROG_NAME, standalone_mode=False)
    except LightshipError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 1
    except (ClientError, BotoCoreError) as exc:
        err_console.print(f"[bold red]AWS error:[/] {exc}")
        return 2
    except NoArgsIsHelpError as exc:  # ``lightship models``: the group's help, as a usage mistake
        typer.echo(exc.format_message(), err=True)
        return USAGE_EXIT_CODE
    except UsageError as exc:
        typer.echo(usage_error_text(exc), err=True)
        return USAGE_EXIT_CODE
    except ClickException as exc:  # e.g. a bad file argument: click's own one-line message
        exc.show()
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except SystemExit as exc:  # a command's chosen exit status (e.g. drift --fail-on-drift)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    # A command that raised typer.Exit(code) comes back as that code; anything else ran to the end.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
