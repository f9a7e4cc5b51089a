"""What a stack's synth produced for the emulator (its state machine and functions), cached.

A synth costs seconds (CDK runs in Node), so :mod:`lightship.local.stack_templates` keeps the
result under ``.lightship/`` and in memory for the life of the process. The synth runs in a
subprocess (:mod:`lightship.local.synth_run`), so the CDK app's jsii runtime never lives in the
caller, and that subprocess reports the repository files the output was made from: every
module it imported, every file it read, every file and folder CDK copied into an asset. The
cached entry is named by the settings and the synth module, and holds those inputs with a
digest of their content (:func:`inputs_digest`); it is used only while that digest still
holds. No list of "files that shape a template" is kept by hand, so none can go stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from lightship.errors import LightshipError
from lightship.settings import REPO_ROOT, Settings

CACHE_DIR = REPO_ROOT / ".lightship"
_memory: dict[str, dict[str, Any]] = {}  # entry name -> the entry (inputs, digest, output)


def entry_name(settings: Settings, *, stack: str, synth_module: str) -> str:
    digest = hashlib.sha256(settings.model_dump_json().encode() + synth_module.encode())
    return f"{stack}-stack-{digest.hexdigest()[:16]}"


def _listing(folder: Path) -> list[str]:
    """A folder's entries as an asset would see new ones: hidden names and bytecode left out."""
    if not folder.is_dir():
        return []
    return sorted(n for n in os.listdir(folder) if not n.startswith(".") and n != "__pycache__" and not n.endswith(".pyc"))


def inputs_digest(inputs: dict[str, list[str]], root: Path = REPO_ROOT) -> str:
    """A hash of the content of every input file and the listing of every input folder (paths relative to ``root``)."""
    digest = hashlib.sha256()
    for name in inputs.get("files", []):
        path = root / name
        digest.update(b"file\0" + name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"\0missing"))
    for name in inputs.get("folders", []):
        digest.update(b"folder\0" + name.encode() + b"\0" + "\0".join(_listing(root / name)).encode())
    return digest.hexdigest()


def _fresh(entry: dict[str, Any] | None, root: Path) -> bool:
    return entry is not None and entry.get("digest") == inputs_digest(entry["inputs"], root)


def synthesize(settings: Settings, *, synth_module: str, root: Path = REPO_ROOT) -> dict[str, Any]:
    """Run ``synth_module`` in a subprocess; its output, the inputs it was made from and their digest."""
    result = subprocess.run(
        [sys.executable, "-m", "lightship.local.synth_run", synth_module, str(root), settings.model_dump_json()],
        cwd=root, capture_output=True, text=True, timeout=600, check=False,
    )
    if result.returncode != 0:
        raise LightshipError(f"synthesizing with {synth_module} failed:\n{result.stderr[-3000:]}")
    reported = json.loads(result.stdout)
    return {"inputs": reported["inputs"], "digest": inputs_digest(reported["inputs"], root), "output": reported["output"]}


def cached_entry(settings: Settings, *, stack: str, synth_module: str, root: Path = REPO_ROOT,
                 cache_dir: Path = CACHE_DIR) -> dict[str, Any]:
    """The synth's entry (``inputs``, ``digest``, ``output``), synthesized again when any input changed."""
    name = entry_name(settings, stack=stack, synth_module=synth_module)
    memory_key = f"{cache_dir}/{name}"
    entry = _memory.get(memory_key)
    if not _fresh(entry, root):
        cached = cache_dir / f"{name}.json"
        entry = json.loads(cached.read_text()) if cached.is_file() else None
        if not _fresh(entry, root):
            entry = synthesize(settings, synth_module=synth_module, root=root)
            cache_dir.mkdir(parents=True, exist_ok=True)
            # Whole or not at all: another process (a second test worker) may read it meanwhile.
            partial = cached.with_suffix(f".{os.getpid()}.partial")
            partial.write_text(json.dumps(entry))
            partial.replace(cached)
    assert entry is not None
    _memory[memory_key] = entry
    return entry


def synthesized(settings: Settings, *, stack: str, synth_module: str) -> dict[str, Any]:
    """The output of ``synth_module``'s ``synthesize``, from cache while none of its inputs changed."""
    output: dict[str, Any] = cached_entry(settings, stack=stack, synth_module=synth_module)["output"]
    return output
