"""Every message in the code that tells the user to run ``lightship ...`` names a real command.

The messages are read from the source (string literals and f-strings; docstrings and
comments are not messages), each suggestion is walked through the real typer app: the
command path must exist, every ``--option`` must be one of that command's, and there may
be no more positional values than the command takes. A renamed command or option, or a
message written for a CLI that never existed (``lightship deploy --version N``), fails here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer._click.core import Command
from typer.core import TyperGroup as Group
from typer.core import TyperOption as Option

from lightship.cli.main import cli_app
from lightship.settings import REPO_ROOT

SOURCE_DIRS = ("lightship", "batch", "lambdas", "training_jobs", "infra")
# "lightship" as a word followed by a space: not lightship-models, lightship.rollback, LIGHTSHIP_*.
MENTION = re.compile(r"(?<![\w./-])lightship +(?=[a-z-])")
# Where a suggestion ends inside a sentence: a backtick, a bracket, a quote, a comma, a semicolon, ": ".
END = re.compile(r"[`()\[\]\"',;]|: ")
PLACEHOLDER = "N"  # what an f-string's {value} reads as


@dataclass(frozen=True)
class Suggestion:
    where: str
    text: str  # "lightship deploy N"


def string_values(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string literal and f-string that is not a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.add(id(first.value))
    found: list[tuple[int, str]] = []
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstrings.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else PLACEHOLDER)
            found.append((node.lineno, "".join(str(p) for p in parts)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings | inside_fstrings:
            found.append((node.lineno, node.value))
    return found


def suggestions_in_code() -> list[Suggestion]:
    out: list[Suggestion] = []
    files = [REPO_ROOT / "app.py"] + [p for d in SOURCE_DIRS for p in sorted((REPO_ROOT / d).rglob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, text in string_values(tree):
            for match in MENTION.finditer(text):
                rest = END.split(text[match.end():], maxsplit=1)[0]
                out.append(Suggestion(f"{path.relative_to(REPO_ROOT)}:{line}", "lightship " + rest.strip()))
    return out


def check(suggestion: str, root: Command) -> str | None:
    """None when the CLI accepts the suggestion's command, options and arguments; else what is wrong."""
    tokens = suggestion.split()[1:]
    command, path = root, ["lightship"]
    while isinstance(command, Group):
        if not tokens:
            return f"{' '.join(path)} needs a subcommand"
        name = tokens.pop(0)
        sub = command.commands.get(name)
        if sub is None:
            return f"{' '.join(path)} has no command {name!r} (it has {', '.join(sorted(command.commands))})"
        command, path = sub, [*path, name]
    options = {opt: p for p in command.params if isinstance(p, Option) for opt in p.opts}
    arguments_left = sum(1 for p in command.params if not isinstance(p, Option))
    while tokens:
        token = tokens.pop(0)
        if token.startswith("--"):
            option = options.get(token.split("=", 1)[0])
            if option is None:
                return f"{' '.join(path)} has no option {token} (it has {', '.join(sorted(options))})"
            if not option.is_flag and "=" not in token and tokens:
                tokens.pop(0)  # the option's value
        elif arguments_left:
            arguments_left -= 1
        else:
            break  # the sentence goes on in prose
    return None


ROOT = typer.main.get_command(cli_app())
SUGGESTIONS = suggestions_in_code()


def test_the_code_has_command_suggestions_to_check() -> None:
    texts = {s.text for s in SUGGESTIONS}
    # A few we know are there: if the extraction broke, the parametrized test below would check nothing.
    assert any(t.startswith("lightship deploy N") for t in texts), texts
    assert any(t.startswith("lightship rollback --to N") for t in texts), texts
    assert len(SUGGESTIONS) >= 8


@pytest.mark.parametrize("suggestion", SUGGESTIONS, ids=[s.where for s in SUGGESTIONS])
def test_every_suggested_command_exists_with_its_options(suggestion: Suggestion) -> None:
    problem = check(suggestion.text, ROOT)
    assert problem is None, f"{suggestion.where}: '{suggestion.text}': {problem}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lightship deploy --version N", "lightship deploy has no option --version"),
        ("lightship trian", "lightship has no command 'trian'"),
        ("lightship models", "lightship models needs a subcommand"),
        ("lightship batch run --day 2024-01-01", "lightship batch run has no option --day"),
    ],
)
def test_the_checker_refuses_what_the_cli_refuses(text: str, problem: str) -> None:
    found = check(text, ROOT)
    assert found is not None and found.startswith(problem)


@pytest.mark.parametrize(
    "text",
    ["lightship deploy N", "lightship approve 3 --reason ... first", "lightship rollback --to N", "lightship status --json",
     "lightship models list --json", "lightship local up", "lightship deploy N makes an Approved version live"],
)
def test_the_checker_accepts_real_commands(text: str) -> None:
    assert check(text, ROOT) is None


def test_fstring_values_read_as_placeholders(tmp_path: Path) -> None:
    tree = ast.parse('def f(to):\n    """lightship nothing here"""\n    raise E(f"use `lightship deploy {to}`")\n')
    assert string_values(tree) == [(3, "use `lightship deploy N`")]
