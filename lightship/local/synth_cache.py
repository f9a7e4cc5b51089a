"""What a stack's synth produced for the emulator (its state machine and functions), cached.

A synth costs seconds (CDK runs in Node), so :mod:`lightship.local.stack_templates` keeps the
result under ``.lightship/``, keyed by a hash of the settings and of every source file whose
change can change a template (:func:`template_sources`), and in memory for the life of the process. The synth itself runs in a subprocess (``python -m <module> SETTINGS``,
printing JSON), so the CDK app's jsii runtime never lives in the caller.
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
# Besides a caller's own sources, every file that shapes any template: the stacks and constructs,
# the app's composition and nag rules, the settings, names and alarm definitions they read, the
# observability settings (log retention, tracing) and cdk.json's context.
SHARED_SOURCES = ("cdk.json", "lightship/settings.py", "lightship/resources.py", "lightship/observability.py",
                  "lightship/monitoring/alarms.py")
_memory: dict[str, dict[str, Any]] = {}


def template_sources(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The files a synth's cache key covers: every ``infra/**/*.py``, :data:`SHARED_SOURCES` and ``extra``."""
    infra = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "infra").rglob("*.py") if "__pycache__" not in p.parts)
    return tuple(sorted(set(infra) | set(SHARED_SOURCES) | set(extra)))


def cache_key(settings: Settings, *, stack: str, synth_module: str, sources: tuple[str, ...], root: Path = REPO_ROOT) -> str:
    """A hash of the settings, the synth module and the content of every file of :func:`template_sources`."""
    digest = hashlib.sha256(settings.model_dump_json().encode() + synth_module.encode())
    for name in template_sources(sources):
        path = root / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b""))
    return f"{stack}-stack-{digest.hexdigest()[:16]}"


def synthesized(settings: Settings, *, stack: str, synth_module: str, sources: tuple[str, ...]) -> dict[str, Any]:
    """The output of ``python -m synth_module``, from cache when the settings, ``sources`` and every
    file of :func:`template_sources` are unchanged."""
    key = cache_key(settings, stack=stack, synth_module=synth_module, sources=sources)
    if key in _memory:
        return _memory[key]
    cached = CACHE_DIR / f"{key}.json"
    if cached.is_file():
        data: dict[str, Any] = json.loads(cached.read_text())
    else:
        result = subprocess.run(
            [sys.executable, "-m", synth_module, settings.model_dump_json()],
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
