"""Writing, packing and loading a model bundle.

Layout of a bundle directory (SageMaker's ``SM_MODEL_DIR``, packed as ``model.tar.gz``)::

    bundle.json      manifest: format, scikit-learn/Python versions, sha256 of each file
    model.joblib     the fitted scikit-learn Pipeline (numpy rows in schema order)
    schema.json      the feature schema
    profile.json     the baseline profile for drift
    evaluation.json  metrics on the seeded holdout, and lineage
    calibration.json binary classifiers: Platt scaling fitted on the holdout (CBPE reads it;
                     optional: older bundles have none, and the manifest lists it when present)

The manifest is read *before* anything is unpickled, so a bundle made by another
scikit-learn version, or a file that does not match its checksum, fails with a
clear :class:`~lightship.errors.BundleError` instead of unpickling into surprises.
Training writes bundles; serving, batch scoring and the CLI load them.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from lightship.archive import targz_directory
from lightship.bundle.profile import BaselineProfile
from lightship.bundle.schema import FeatureSchema
from lightship.errors import BundleError

FORMAT_VERSION = 1
MANIFEST = "bundle.json"
MODEL_FILE = "model.joblib"
SCHEMA_FILE = "schema.json"
PROFILE_FILE = "profile.json"
EVALUATION_FILE = "evaluation.json"
CALIBRATION_FILE = "calibration.json"


@dataclass
class ModelBundle:
    pipeline: Any
    schema: FeatureSchema
    profile: BaselineProfile
    evaluation: dict[str, Any]
    manifest: dict[str, Any]
    calibration: dict[str, Any] | None = None

    @property
    def task(self) -> str:
        return self.schema.task

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions (and class probabilities for classifiers) for rows in schema order."""
        if self.schema.task == "classification":
            proba = self.pipeline.predict_proba(rows)
            classes = self.pipeline.classes_
            return classes[np.argmax(proba, axis=1)], proba
        return self.pipeline.predict(rows), None


def write_bundle(
    directory: Path,
    pipeline: Any,
    schema: FeatureSchema,
    profile: BaselineProfile,
    evaluation: dict[str, Any],
    calibration: dict[str, Any] | None = None,
) -> Path:
    """Write a bundle into ``directory`` (created if needed) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, directory / MODEL_FILE)
    _write_json(directory / SCHEMA_FILE, schema.to_dict())
    _write_json(directory / PROFILE_FILE, profile.to_dict())
    _write_json(directory / EVALUATION_FILE, evaluation)
    files = [MODEL_FILE, SCHEMA_FILE, PROFILE_FILE, EVALUATION_FILE]
    if calibration is not None:
        _write_json(directory / CALIBRATION_FILE, calibration)
        files.append(CALIBRATION_FILE)
    manifest = {
        "format_version": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "task": schema.task,
        "files": {name: _sha256(directory / name) for name in files},
    }
    _write_json(directory / MANIFEST, manifest)
    return directory


def load_bundle(source: Path | bytes) -> ModelBundle:
    """Load a bundle from a directory, a ``model.tar.gz`` path, or the bytes of one."""
    if isinstance(source, bytes):
        with tempfile.TemporaryDirectory() as tmp:
            _extract(io.BytesIO(source), Path(tmp))
            return _load_dir(Path(tmp))
    path = Path(source)
    if path.is_dir():
        return _load_dir(path)
    if not path.is_file():
        raise BundleError(f"{path}: no model bundle there")
    with tempfile.TemporaryDirectory() as tmp, path.open("rb") as fh:
        _extract(fh, Path(tmp))
        return _load_dir(Path(tmp))


def read_manifest(directory: Path) -> dict[str, Any]:
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{directory}: not a model bundle ({MANIFEST} is missing)")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as exc:
        raise BundleError(f"{manifest_path}: unreadable manifest ({exc})") from exc
    return manifest


def check_compatible(manifest: dict[str, Any], where: str) -> None:
    """Refuse a bundle whose format or scikit-learn version differs from this process's."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{where}: bundle format {manifest.get('format_version')} is not {FORMAT_VERSION}")
    trained_with = manifest.get("sklearn_version")
    if trained_with != sklearn.__version__:
        raise BundleError(
            f"{where}: bundle was trained with scikit-learn {trained_with}, this process has "
            f"{sklearn.__version__}; retrain, or install scikit-learn=={trained_with} to load it"
        )


def pack_bundle(directory: Path) -> bytes:
    """``model.tar.gz`` bytes of a bundle directory, as SageMaker packs ``SM_MODEL_DIR``."""
    return targz_directory(directory)


def _load_dir(directory: Path) -> ModelBundle:
    manifest = read_manifest(directory)
    check_compatible(manifest, str(directory))
    for name, digest in manifest.get("files", {}).items():
        if not (directory / name).is_file():
            raise BundleError(f"{directory}: {name} is missing from the bundle")
        if _sha256(directory / name) != digest:
            raise BundleError(f"{directory}: {name} does not match its checksum in {MANIFEST}")
    return ModelBundle(
        pipeline=joblib.load(directory / MODEL_FILE),
        schema=FeatureSchema.from_dict(json.loads((directory / SCHEMA_FILE).read_text())),
        profile=BaselineProfile.from_dict(json.loads((directory / PROFILE_FILE).read_text())),
        evaluation=json.loads((directory / EVALUATION_FILE).read_text()),
        manifest=manifest,
        calibration=json.loads((directory / CALIBRATION_FILE).read_text()) if CALIBRATION_FILE in manifest.get("files", {}) else None,
    )


def _extract(fileobj: Any, target: Path) -> None:
    try:
        with tarfile.open(fileobj=fileobj, mode="r:gz") as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"not a readable model.tar.gz ({exc})") from exc


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
