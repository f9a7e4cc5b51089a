"""The app's synth reports what it was made from, so the emulator's synth cache cannot go stale: every
repository module the synth imports (directly or through others, e.g. the release checks the release
stack builds its Choice states from), every lambda requirements file and Dockerfile, and a change to
any of them changes the cache's digest (lightship/local/synth_cache.py)."""

from __future__ import annotations

import ast
import importlib.util
import shutil
from pathlib import Path

import pytest

from lightship.local.synth_cache import cached_entry, inputs_digest
from lightship.settings import REPO_ROOT, load_settings


def _repo_file(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    if origin is None or not origin.is_relative_to(REPO_ROOT) or ".venv" in origin.parts:
        return None
    return origin


def static_repo_imports(start: list[Path]) -> set[Path]:
    """Every repository file reachable from ``start`` by the import statements its modules hold (read from the source)."""
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module, *(f"{node.module}.{a.name}" for a in node.names)] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            for name in names:
                try:
                    found = _repo_file(name)
                except (ImportError, ValueError):
                    found = None  # ``from package import attribute``: not a module
                if found is not None:
                    todo.append(found)
    return seen


@pytest.fixture(scope="module")
def app_inputs() -> dict[str, list[str]]:
    inputs: dict[str, list[str]] = cached_entry(load_settings(), stack="app", synth_module="infra.synth_templates")["inputs"]
    return inputs


def test_every_module_the_synth_imports_directly_or_through_others_is_an_input(app_inputs: dict[str, list[str]]) -> None:
    expected = {str(p.relative_to(REPO_ROOT)) for p in static_repo_imports([REPO_ROOT / "infra" / "synth_templates.py"])}
    assert "lightship/release/checks.py" in expected  # infra/stacks/release.py builds its Choice states from it (on main)
    assert expected <= set(app_inputs["files"])


def test_every_lambda_requirements_file_and_dockerfile_is_an_input(app_inputs: dict[str, list[str]]) -> None:
    expected = {str(p.relative_to(REPO_ROOT)) for p in [*REPO_ROOT.glob("lambdas/*/requirements.txt"), *REPO_ROOT.glob("lambdas/*/Dockerfile")]}
    assert {"lambdas/serving/requirements.txt", "lambdas/batch_image/Dockerfile"} <= expected
    assert expected <= set(app_inputs["files"])


def _copy(inputs: dict[str, list[str]], root: Path) -> None:
    for name in inputs["files"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, root / name)
    for name in inputs["folders"]:
        (root / name).mkdir(parents=True, exist_ok=True)


def test_changing_any_module_the_synth_imports_changes_the_digest(app_inputs: dict[str, list[str]], tmp_path: Path) -> None:
    _copy(app_inputs, tmp_path)
    imported = sorted(str(p.relative_to(REPO_ROOT)) for p in static_repo_imports([REPO_ROOT / "infra" / "synth_templates.py"]))
    assert "lightship/release/checks.py" in imported
    digest = inputs_digest(app_inputs, tmp_path)
    for name in imported:
        with (tmp_path / name).open("a") as f:
            f.write("\n")
        changed = inputs_digest(app_inputs, tmp_path)
        assert changed != digest, name
        digest = changed


def test_changing_a_lambda_requirements_file_changes_the_digest(app_inputs: dict[str, list[str]], tmp_path: Path) -> None:
    _copy(app_inputs, tmp_path)
    before = inputs_digest(app_inputs, tmp_path)
    with (tmp_path / "lambdas/serving/requirements.txt").open("a") as f:
        f.write("extra==1\n")
    assert inputs_digest(app_inputs, tmp_path) != before
