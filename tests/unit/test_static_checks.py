"""Static checks are part of the suite: types (mypy), undefined or unused names (ruff) and the package
graph's contracts (import-linter), over all our code."""

import subprocess
import sys
import tomllib
from pathlib import Path

from lightship.settings import REPO_ROOT

CODE = ["lightship", "batch", "lambdas", "training_jobs", "infra", "app.py"]
BIN = Path(sys.executable).parent


def test_mypy_finds_no_type_errors() -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), *CODE, "--ignore-missing-imports", "--follow-imports=silent"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_finds_no_undefined_or_unused_names() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", *CODE, "tests", "bench", "--select", "F,E9", "--no-cache"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_imports_point_down_the_package_graph() -> None:
    """The contracts in pyproject.toml's ``[tool.importlinter]``: deployables over batch over lightship,
    and inside lightship each package on its layer, over the layers it uses."""
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout, result.stdout[-4000:]


def test_the_package_graph_contracts_let_no_import_through() -> None:
    """No contract carries ``ignore_imports``: every arrow the contracts forbid is absent, none excused."""
    contracts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert [c["id"] for c in contracts] == ["top-level", "inside-lightship"]
    assert {c["id"]: c.get("ignore_imports", []) for c in contracts} == {"top-level": [], "inside-lightship": []}
