"""What a stack's synth produced for the emulator (its state machine and functions), cached.

A synth costs seconds (CDK runs in Node), so :mod:`lightship.local.batch` and
:mod:`lightship.local.release` keep the result under ``.lightship/``, keyed by a hash of the
settings and of the source files whose change can change the template, and in memory for the
life of the process. The synth itself runs in a subprocess (``python -m <module> SETTINGS``,
printing JSON), so the CDK app's jsii runtime never lives in the caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from typing import Any

from lightship.errors import LightshipError
from lightship.settings import REPO_ROOT, Settings

CACHE_DIR = REPO_ROOT / ".lightship"
_memory: dict[str, dict[str, Any]] = {}


def synthesized(settings: Settings, *, stack: str, synth_module: str, sources: tuple[str, ...],
                args: tuple[str, ...] = ()) -> dict[str, Any]:
    """The output of ``python -m synth_module *args SETTINGS``, from cache when ``sources`` and the settings are unchanged."""
    digest = hashlib.sha256(settings.model_dump_json().encode())
    digest.update("\0".join(args).encode())
    for name in sources:
        path = REPO_ROOT / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b""))
    key = f"{stack}-stack-{digest.hexdigest()[:16]}"
    if key in _memory:
        return _memory[key]
    cached = CACHE_DIR / f"{key}.json"
    if cached.is_file():
        data: dict[str, Any] = json.loads(cached.read_text())
    else:
        result = subprocess.run(
            [sys.executable, "-m", synth_module, *args, settings.model_dump_json()],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
        )
        if result.returncode != 0:
            raise LightshipError(f"synthesizing the {stack} stack failed:\n{result.stderr[-3000:]}")
        data = json.loads(result.stdout)
        CACHE_DIR.mkdir(exist_ok=True)
        # Whole or not at all: another process (a second test worker) may read it meanwhile.
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(data))
        partial.replace(cached)
    _memory[key] = data
    return data
