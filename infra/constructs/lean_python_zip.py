"""A Lambda zip for a heavy-but-lean function: :mod:`infra.constructs.python_zip`'s bundling, then pruned and compiled.

Two things matter once scientific wheels are in a zip (the serving function's numpy,
scipy and scikit-learn):

* the 250 MiB unzipped limit: the wheels' own test suites are removed, and the parts of
  ONNX Runtime the request path never imports (its transformer optimiser, quantisation and
  conversion tools, ~4 MiB);
* cold start: ``/var/task`` is read-only, so a zip without bytecode makes Python compile
  every imported module on every cold start. The bundler compiles the asset with an
  interpreter of the function's runtime version (``python3.12`` on PATH, or pyenv's),
  with ``--invalidation-mode unchecked-hash`` because file times do not survive zipping.
  Without one it says so on stderr and ships sources only (correct, slower to start).

Used by :mod:`infra.stacks.serving`; figures in bench/README.md ("Serving package").
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from infra.constructs.python_zip import LocalPipBundling, read_requirements, source_hash

__all__ = ["LeanPipBundling", "lean_python_zip_code", "prune", "read_requirements"]
from lightship.settings import REPO_ROOT


@jsii.implements(cdk.ILocalBundling)
class LeanPipBundling(LocalPipBundling):
    def try_bundle(self, output_dir: str, *, image: Any = None, **kwargs: Any) -> bool:
        super().try_bundle(output_dir, image=image, **kwargs)
        prune(Path(output_dir))
        interpreter = find_interpreter(self.python_version)
        if interpreter is None:
            print(f"no python{self.python_version} found: the serving zip ships without bytecode (slower cold starts)", file=sys.stderr)
        else:
            compile_tree(interpreter, Path(output_dir))
        return True


UNUSED = ("onnxruntime/transformers", "onnxruntime/quantization", "onnxruntime/tools", "onnxruntime/datasets")


def prune(root: Path) -> int:
    """Remove the wheels' test folders and :data:`UNUSED`; returns the bytes freed."""
    freed = 0
    for relative in UNUSED:
        path = root / relative
        if path.is_dir():
            freed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_dir() and path.name in {"tests", "__pycache__"} and path.exists():
            freed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
    return freed


def find_interpreter(version: str) -> str | None:
    """A working ``python<version>``: pyenv's installs first (its shims on PATH may point nowhere), then PATH."""
    candidates = sorted(glob.glob(str(Path.home() / f".pyenv/versions/{version}.*/bin/python{version}")), reverse=True)
    on_path = shutil.which(f"python{version}")
    for candidate in [*candidates, *([on_path] if on_path else [])]:
        try:
            probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def compile_tree(interpreter: str, root: Path) -> None:
    subprocess.run(
        [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(root)],
        check=True,
    )


def lean_python_zip_code(*, requirements: Sequence[str], sources: Sequence[str], runtime: lambda_.Runtime) -> lambda_.Code:
    python_version = runtime.name.removeprefix("python")
    return lambda_.Code.from_asset(
        str(REPO_ROOT / "lambdas"),  # a small folder to stage; the bundler adds the real content
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=source_hash(sources, [*requirements, "lean"], python_version),
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,
            local=LeanPipBundling(requirements, sources, python_version),
            command=["bash", "-c", "echo local bundling is required for this asset >&2; exit 1"],
        ),
    )
