"""The emulator's synth cache is renewed whenever a file the synth was made from changes: every
module the synth imported, every file it read, every file and folder an asset holds. Nothing is
listed by hand, so a module that infra/ starts importing, a requirements file or a Dockerfile
cannot leave a stale template behind."""

from __future__ import annotations

import ast
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

from lightship.local.synth_cache import cached_entry, inputs_digest
from lightship.settings import REPO_ROOT, load_settings

FAKE_SYNTH = '''
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synthesize(settings_json: str) -> dict:
    from fakesynth import dep  # imported only during the synth, as infra/ is

    with (ROOT / "runs.log").open("a") as log:  # written, not read: not an input
        log.write("run\\n")
    runs = len((ROOT / "runs.log").read_text().splitlines())
    return {"value": dep.VALUE + (ROOT / "data.txt").read_text(), "runs": runs,
            "assets": {"files": [str(ROOT / "asset" / "Dockerfile")], "folders": [str(ROOT / "asset" / "src")]}}
'''


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    (tmp_path / "fakesynth").mkdir()
    (tmp_path / "fakesynth" / "__init__.py").write_text(FAKE_SYNTH)
    (tmp_path / "fakesynth" / "dep.py").write_text('VALUE = "a"\n')
    (tmp_path / "data.txt").write_text("1")
    (tmp_path / "asset" / "src").mkdir(parents=True)
    (tmp_path / "asset" / "Dockerfile").write_text("FROM x\n")
    return tmp_path


def _entry(root: Path) -> dict[str, Any]:
    return cached_entry(load_settings(), stack="fake", synth_module="fakesynth", root=root, cache_dir=root / "cache")


def test_an_unchanged_synth_is_served_from_the_cache(fake_repo: Path) -> None:
    first = _entry(fake_repo)
    assert first["output"] == {"value": "a1", "runs": 1}
    assert _entry(fake_repo)["output"]["runs"] == 1


def test_the_inputs_are_what_the_synth_imported_read_and_listed_as_assets(fake_repo: Path) -> None:
    inputs = _entry(fake_repo)["inputs"]
    assert {"fakesynth/__init__.py", "fakesynth/dep.py", "data.txt", "asset/Dockerfile"} <= set(inputs["files"])
    assert inputs["folders"] == ["asset/src"]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda root: (root / "fakesynth" / "dep.py").write_text('VALUE = "b"\n'), "b1"),  # a module imported during the synth
    (lambda root: (root / "data.txt").write_text("2"), "a2"),  # a file it read
    (lambda root: (root / "asset" / "Dockerfile").write_text("FROM y\n"), "a1"),  # an asset's file
    (lambda root: (root / "asset" / "src" / "new.py").write_text(""), "a1"),  # a file added to an asset's folder
])
def test_changing_any_input_synthesizes_again(fake_repo: Path, change: Any, expected: str) -> None:
    _entry(fake_repo)
    change(fake_repo)
    assert _entry(fake_repo)["output"] == {"value": expected, "runs": 2}


# -- the app's own synth -------------------------------------------------------------------------

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


def test_changing_a_module_imported_by_infra_changes_the_digest(app_inputs: dict[str, list[str]], tmp_path: Path) -> None:
    _copy(app_inputs, tmp_path)
    before = inputs_digest(app_inputs, tmp_path)
    with (tmp_path / "lightship/release/checks.py").open("a") as f:
        f.write("\n")
    assert inputs_digest(app_inputs, tmp_path) != before


def test_changing_a_lambda_requirements_file_changes_the_digest(app_inputs: dict[str, list[str]], tmp_path: Path) -> None:
    _copy(app_inputs, tmp_path)
    before = inputs_digest(app_inputs, tmp_path)
    with (tmp_path / "lambdas/serving/requirements.txt").open("a") as f:
        f.write("extra==1\n")
    assert inputs_digest(app_inputs, tmp_path) != before


def test_other_settings_give_another_entry(tmp_path: Path, fake_repo: Path) -> None:
    settings = load_settings()
    other = settings.model_copy(update={"project": "other"})
    _entry(fake_repo)
    entry = cached_entry(other, stack="fake", synth_module="fakesynth", root=fake_repo, cache_dir=fake_repo / "cache")
    assert entry["output"]["runs"] == 2
