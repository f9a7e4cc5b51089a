"""Serving package: build the serving function's zip exactly as ``cdk synth``/``deploy`` does and measure it.

Runs :class:`infra.constructs.lean_python_zip.LeanPipBundling` (pip for manylinux x86_64,
Python 3.12, test folders pruned, bytecode compiled) into a temporary folder, then reports
the unzipped size against Lambda's 250 MiB limit, the zip size, the largest packages, and
what pruning saved. Needs PyPI (or pip's cache).

    python bench/serving_package.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.constructs.lean_python_zip import LeanPipBundling, read_requirements
from infra.stacks.serving import REQUIREMENTS_FILE, RUNTIME, SERVING_SOURCES

LAMBDA_UNZIPPED_LIMIT_MIB = 250


def size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    version = RUNTIME.name.removeprefix("python")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "asset"
        out.mkdir()
        LeanPipBundling(read_requirements(REQUIREMENTS_FILE), SERVING_SOURCES, version).try_bundle(str(out))
        unzipped = size_mib(out)
        pyc = sum(f.stat().st_size for f in out.rglob("*.pyc")) / 2**20
        archive = Path(tmp) / "asset.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(out.rglob("*")):
                if f.is_file():
                    zf.write(f, f.relative_to(out))
        zipped = archive.stat().st_size / 2**20
        top = sorted(((size_mib(p), p.name) for p in out.iterdir() if p.is_dir()), reverse=True)[:8]
    print(f"serving zip for {RUNTIME.name}: {unzipped:.0f} MiB unzipped ({pyc:.0f} MiB of it bytecode), "
          f"{zipped:.0f} MiB zipped; Lambda's limit is {LAMBDA_UNZIPPED_LIMIT_MIB} MiB unzipped "
          f"({unzipped / LAMBDA_UNZIPPED_LIMIT_MIB:.0%} used)")
    print("largest: " + ", ".join(f"{name} {mib:.0f}" for mib, name in top))


if __name__ == "__main__":
    main()
