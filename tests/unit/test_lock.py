"""One source for every dependency: pyproject.toml declares, uv.lock resolves, and each requirement
file a deployed function installs is an export of that lock, never a second hand-kept list."""

from __future__ import annotations

import re
import tomllib

import pytest

from infra.locked_requirements import EXPORTS, export, read_pins
from lightship.settings import REPO_ROOT


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return {package["name"]: package["version"] for package in lock["package"] if "version" in package}


@pytest.mark.parametrize("group", list(EXPORTS), ids=[str(g) for g in EXPORTS])
def test_each_requirement_file_is_a_fresh_export_of_the_lock(group: str | None) -> None:
    committed = (REPO_ROOT / EXPORTS[group]).read_text()
    assert committed == export(group), f"{EXPORTS[group]} differs from uv.lock: run `make lock`"


@pytest.mark.parametrize("group", list(EXPORTS), ids=[str(g) for g in EXPORTS])
def test_every_exported_pin_is_the_locked_version(group: str | None) -> None:
    locked = locked_versions()
    pins = read_pins((REPO_ROOT / EXPORTS[group]).read_text())
    assert pins
    assert {name: locked.get(name) for name in pins} == pins


def test_the_makefile_bootstraps_the_locked_uv() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    (bootstrap,) = re.findall(r"^UV_VERSION := (\S+)$", makefile, flags=re.MULTILINE)
    assert bootstrap == locked_versions()["uv"]


def test_the_lock_holds_one_version_of_each_package() -> None:
    # fork-strategy = "fewest": the 3.11 tests and the 3.12+ functions resolve to the same versions.
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    names = [package["name"] for package in lock["package"]]
    assert sorted({n for n in names if names.count(n) > 1}) == []
