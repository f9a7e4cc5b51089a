"""The emulator's synth cache is renewed whenever a file the synth was made from changes: every
module the synth imported, every file it read, every file and folder an asset holds. Nothing is
listed by hand. Shown here on a small synth module of the test's own; the app's synth
(imports from infra/, requirements files, Dockerfiles) is checked in tests/infra/test_synth_cache_inputs.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lightship.local.synth_cache import cached_entry
from lightship.settings import load_settings

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


def test_other_settings_give_another_entry(tmp_path: Path, fake_repo: Path) -> None:
    settings = load_settings()
    other = settings.model_copy(update={"project": "other"})
    _entry(fake_repo)
    entry = cached_entry(other, stack="fake", synth_module="fakesynth", root=fake_repo, cache_dir=fake_repo / "cache")
    assert entry["output"]["runs"] == 2
