"""The requirement files the deployed functions install, exported from ``uv.lock``.

``pyproject.toml`` declares every dependency once (the project's own, and one dependency
group per deployed function); ``uv.lock`` resolves them together, so the serving zip, the
rollback zip and the batch image pin exactly the versions the tests run. The files below are
views of that lock, written by ``make lock`` (re-resolve) or ``python -m infra.locked_requirements``
(re-export only), and ``tests/unit/test_lock.py`` checks each still equals a fresh export.

Read by :mod:`infra.stacks.serving`, :mod:`infra.stacks.monitoring` and the batch image's Dockerfile.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lightship.settings import REPO_ROOT

# Group in pyproject.toml → the file its function installs (relative to the repository root).
EXPORTS: dict[str | None, str] = {
    "serving": "lambdas/serving/requirements.txt",
    "rollback": "lambdas/rollback/requirements.txt",
    "batch": "lambdas/batch_image/requirements.txt",
    None: "requirements.txt",  # the project and its dev group, for those who install with pip
}

HEADER = "# Exported from uv.lock by `make lock` (infra/locked_requirements.py): do not edit by hand.\n"


def uv() -> str:
    """The uv beside this interpreter (the dev group pins it), else the one on PATH."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise RuntimeError("uv is not installed: run `make test` or `make demo` once to create .venv")
    return found


def export(group: str | None) -> str:
    """The pinned requirements of one dependency group (``None``: the project with its dev group)."""
    selection = ["--only-group", group] if group else ["--no-default-groups", "--group", "dev"]
    command = [uv(), "export", "--frozen", "--no-hashes", "--no-annotate", "--no-header", "--no-emit-project",
               "--format", "requirements-txt", *selection]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return HEADER + result.stdout


def read_pins(text: str, *, applicable_here: bool = False) -> dict[str, str]:
    """``{distribution name: version}`` of an exported file; with ``applicable_here``, only the
    requirements whose environment marker holds for this interpreter."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        if applicable_here and requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (specifier,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def main() -> None:
    for group, relative in EXPORTS.items():
        (REPO_ROOT / relative).write_text(export(group))
        print(f"wrote {relative}")


if __name__ == "__main__":
    main()
