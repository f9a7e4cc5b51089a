"""The emulator's synth cache is keyed on every file that shapes a template: a change to a construct,
to the observability settings or to cdk.json makes a new synth, never a stale template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lightship.local.synth_cache import cache_key, template_sources
from lightship.settings import REPO_ROOT, load_settings


def test_the_key_covers_constructs_observability_stacks_and_cdk_json() -> None:
    sources = template_sources()
    on_disk = {str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "infra").rglob("*.py") if "__pycache__" not in p.parts}
    assert on_disk <= set(sources)
    assert {"infra/constructs/python_zip.py", "infra/constructs/secure_bucket.py", "lightship/observability.py", "cdk.json"} <= set(sources)


@pytest.mark.parametrize("changed", ["infra/constructs/secure_bucket.py", "lightship/observability.py", "cdk.json", "infra/stacks/batch.py"])
def test_changing_any_shaping_file_changes_the_key(tmp_path: Path, changed: str) -> None:
    settings = load_settings()
    for name in template_sources():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, target)
    before = cache_key(settings, stack="app", synth_module="m", sources=(), root=tmp_path)
    with (tmp_path / changed).open("a") as f:
        f.write("\n")
    assert cache_key(settings, stack="app", synth_module="m", sources=(), root=tmp_path) != before


def test_other_settings_give_another_key() -> None:
    settings = load_settings()
    other = settings.model_copy(update={"project": "other"})
    assert cache_key(settings, stack="app", synth_module="m", sources=()) != cache_key(other, stack="app", synth_module="m", sources=())
