"""Run a synth module and report, beside its output, every repository file the output was made from.

Run by :mod:`lightship.local.synth_cache` as ``python -m lightship.local.synth_run MODULE ROOT
SETTINGS``. It imports ``MODULE``, calls its ``synthesize(SETTINGS)`` and records the files under ``ROOT`` the process imported
(``sys.modules``) or opened for reading (an audit hook sees every ``open``, so ``cdk.json``
and the requirement files a construct reads count too), and what the output lists under its
own ``"assets"`` key (``{"files": [...], "folders": [...]}``: what CDK copied from the
repository into its assets, in Node, where no hook sees it). Prints
``{"output": ..., "inputs": {"files": [...], "folders": [...]}}``, paths relative to ``ROOT``.
The cache key covers exactly these (a folder by its listing, so a file added to an asset counts):
nothing is listed by hand.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

_opened: set[str] = set()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not isinstance(args[0], str | Path):
        return
    mode, flags = args[1], args[2]
    writes = any(c in mode for c in "wax+") if isinstance(mode, str) else isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
    if not writes:
        _opened.add(os.fspath(args[0]))


def inputs_under(root: Path, candidates: set[str], *, folders: bool = False) -> list[str]:
    """The ``candidates`` that are files (or ``folders``) under ``root``, relative to it, without
    bytecode or installed packages."""
    root = root.resolve()
    environments = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    out = set()
    for candidate in candidates:
        path = Path(candidate).resolve()
        if not path.is_relative_to(root) or any(path.is_relative_to(e) for e in environments):
            continue
        if "__pycache__" in path.parts or "site-packages" in path.parts or not (path.is_dir() if folders else path.is_file()):
            continue
        out.add(str(path.relative_to(root)))
    return sorted(out)


def main(module_name: str, root: str, settings_json: str) -> None:
    sys.addaudithook(_hook)
    output = importlib.import_module(module_name).synthesize(settings_json)
    imported = {m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
    assets = output.pop("assets", {})
    inputs = {"files": inputs_under(Path(root), {f for f in imported if f} | _opened | set(assets.get("files", []))),
              "folders": inputs_under(Path(root), set(assets.get("folders", [])), folders=True)}
    json.dump({"output": output, "inputs": inputs}, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:4])
