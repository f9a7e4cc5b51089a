"""A usage mistake is one line plus the usage hint and exit status 2, never a traceback.

Run through the installed console script (``.venv/bin/lightship``), as a user runs it:
typer bundles its own click, so only the real entry point shows which exceptions escape.
No AWS is involved: each mistake is caught while the command line is parsed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "lightship"

MISTAKES = {
    "unknown command": (["trian"], "No such command 'trian'"),
    "unknown subcommand": (["models", "lst"], "No such command 'lst'"),
    "missing argument": (["deploy"], "Missing argument 'N'"),
    "wrong type": (["deploy", "two"], "Invalid value for 'N'"),
    "unknown option": (["models", "list", "--bogus"], "No such option: --bogus"),
    "extra argument": (["deploy", "1", "2"], "Got unexpected extra argument"),
    "missing required option": (["train", "--data", "x.csv"], "Missing option '--target'"),
    "option without its value": (["batch", "run", "--date"], "Option '--date' requires an argument"),
}


@pytest.fixture(scope="module")
def results() -> dict[str, subprocess.CompletedProcess[str]]:
    """All mistakes at once, in parallel: each process pays the CLI's start-up."""
    assert SCRIPT.is_file(), f"the console script is not installed at {SCRIPT}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["COLUMNS"] = "80"
    running = {
        name: subprocess.Popen([str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for name, (args, _) in MISTAKES.items()
    }
    done = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_usage_mistake_is_one_line_and_the_usage_hint_with_exit_2(mistake: str, results: dict[str, subprocess.CompletedProcess[str]]) -> None:
    args, message = MISTAKES[mistake]
    result = results[mistake]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert len(lines) <= 3, result.stderr  # the error, the usage line, where help is
    assert lines[-1].startswith("Try 'lightship") and lines[-1].endswith("--help' for help.")


def test_the_usage_line_names_the_command_that_was_misused(results: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert "Usage: lightship deploy [OPTIONS]" in results["missing argument"].stderr
    assert "Try 'lightship models list --help' for help." in results["unknown option"].stderr


def test_help_still_exits_0() -> None:
    result = subprocess.run([str(SCRIPT), "deploy", "--help"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "Make Approved version N live" in result.stdout
