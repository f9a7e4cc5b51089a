"""Lambda zip code built without Docker: our packages plus pinned wheels for the Lambda platform.

:func:`python_zip_code` returns a ``Code.from_asset`` whose bundling runs locally
(:class:`LocalPipBundling`): ``pip install --platform manylinux... --only-binary=:all:
--python-version X --target <asset>`` for the function's requirements, then copies
the named source folders of this repository into the asset. No Docker is needed at
synth or deploy. The asset hash is computed from those sources and requirements, so
the asset changes exactly when the code does (hashing the whole repository would read
``.venv``). Tests skip bundling (``aws:cdk:bundling-stacks: []``). Used by the
monitoring stack's rollback function; reusable by any small zip function.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from lightship.settings import REPO_ROOT

PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")  # several: manylinux2014 alone picks old releases
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")


@jsii.implements(cdk.ILocalBundling)
class LocalPipBundling:
    def __init__(self, requirements: Sequence[str], sources: Sequence[str], python_version: str) -> None:
        self.requirements = list(requirements)
        self.sources = list(sources)
        self.python_version = python_version

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        out = Path(output_dir)
        if self.requirements:
            command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                       *(arg for p in PLATFORMS for arg in ("--platform", p)), "--only-binary=:all:",
                       "--implementation", "cp", "--python-version", self.python_version, "--target", str(out),
                       *self.requirements]
            subprocess.run(command, check=True)
        for source in self.sources:
            src = REPO_ROOT / source
            if src.is_dir():
                shutil.copytree(src, out / source, ignore=IGNORED, dirs_exist_ok=True)
            else:
                (out / source).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, out / source)
        # Namespace folders (lambdas/) need no __init__; boto3 comes with the runtime.
        return True


def source_hash(sources: Sequence[str], requirements: Sequence[str], python_version: str) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join([*requirements, python_version]).encode())
    for source in sources:
        root = REPO_ROOT / source
        files = sorted(p for p in (root.rglob("*.py") if root.is_dir() else [root]) if "__pycache__" not in p.parts)
        for path in files:
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def python_zip_code(*, requirements: Sequence[str], sources: Sequence[str], runtime: lambda_.Runtime) -> lambda_.Code:
    python_version = runtime.name.removeprefix("python")
    return lambda_.Code.from_asset(
        str(REPO_ROOT / "lambdas"),  # a small folder to stage; the bundler adds the real content
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=source_hash(sources, requirements, python_version),
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,
            local=LocalPipBundling(requirements, sources, python_version),
            # Only used if local bundling were to refuse (it does not): the same steps in SAM's image.
            command=["bash", "-c", "echo local bundling is required for this asset >&2; exit 1"],
        ),
    )


def read_requirements(path: Path) -> list[str]:
    """The requirement lines of a file exported from uv.lock (:mod:`infra.locked_requirements`)."""
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
