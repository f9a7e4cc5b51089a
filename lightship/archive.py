"""``.tar.gz`` archives of a folder, as SageMaker packs ``SM_MODEL_DIR`` into ``model.tar.gz``."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path


def targz_directory(directory: Path) -> bytes:
    """The folder's entries at the archive's root, in name order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for item in sorted(directory.iterdir()):
            tar.add(item, arcname=item.name)
    return buffer.getvalue()
