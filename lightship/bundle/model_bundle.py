"""Writing, packing and loading a model bundle.

Layout of a bundle directory (SageMaker's ``SM_MODEL_DIR``, packed as ``model.tar.gz``)::

    bundle.json      manifest: format, scikit-learn/Python versions, sha256 of each file, which runtime
    model.onnx       the pipeline converted to ONNX (absent when conversion or parity failed: the
                     manifest's ``onnx_fallback`` and evaluation.json's ``onnx`` say why)
    model.joblib     the fitted scikit-learn Pipeline (numpy rows in schema order): the reference
                     and the fallback
    schema.json      the feature schema
    profile.json     the baseline profile for drift
    evaluation.json  metrics on the seeded holdout, lineage, and the ONNX parity evidence
    calibration.json binary classifiers: Platt scaling fitted on the holdout (CBPE reads it;
                     optional: older bundles have none, and the manifest lists it when present)

The manifest is read *before* anything is loaded, and every file must match its checksum.
A bundle with ``model.onnx`` is served by ONNX Runtime: nothing is unpickled and
scikit-learn, scipy and joblib are not imported, so the scikit-learn version does not
matter. Otherwise (or when ONNX Runtime cannot load it) the pipeline is unpickled, and
only by the scikit-learn version that made it: another version fails with a clear
:class:`~lightship.errors.BundleError` instead of unpickling into surprises.
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
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lightship.archive import targz_directory
from lightship.bundle.predictors import OnnxPredictor, Predictor, Runtime, SklearnPredictor
from lightship.bundle.profile import BaselineProfile
from lightship.bundle.schema import FeatureSchema
from lightship.errors import BundleError

FORMAT_VERSION = 1
MANIFEST = "bundle.json"
MODEL_FILE = "model.joblib"
ONNX_FILE = "model.onnx"
SCHEMA_FILE = "schema.json"
PROFILE_FILE = "profile.json"
EVALUATION_FILE = "evaluation.json"
NO_ONNX = "the bundle has no model.onnx (made before ONNX conversion)"

RuntimeChoice = Literal["auto", "onnx", "sklearn"]
CALIBRATION_FILE = "calibration.json"


@dataclass
class ModelBundle:
    predictor: Predictor
    schema: FeatureSchema
    profile: BaselineProfile
    evaluation: dict[str, Any]
    manifest: dict[str, Any]
    # Why this bundle is served by scikit-learn rather than ONNX (None when ONNX, or when asked for scikit-learn).
    fallback_reason: str | None = None
    calibration: dict[str, Any] | None = None

    @property
    def task(self) -> str:
        return self.schema.task

    @property
    def runtime(self) -> Runtime:
        return self.predictor.runtime

    @property
    def classes(self) -> np.ndarray | None:
        """Classifiers: the classes, in the order of the probabilities' columns."""
        return self.predictor.classes

    @property
    def pipeline(self) -> Any:
        """The scikit-learn pipeline, when that is what this bundle was loaded with (``runtime="sklearn"``)."""
        if isinstance(self.predictor, SklearnPredictor):
            return self.predictor.pipeline
        raise AttributeError("this bundle was loaded with ONNX Runtime; load_bundle(..., runtime='sklearn') for the pipeline")

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions (and class probabilities for classifiers) for rows in schema order."""
        return self.predictor.predict_rows(rows)


def write_bundle(
    directory: Path,
    pipeline: Any,
    schema: FeatureSchema,
    profile: BaselineProfile,
    evaluation: dict[str, Any],
    onnx_model: bytes | None = None,
    onnx_output: str | None = None,
    onnx_fallback: str | None = None,
    calibration: dict[str, Any] | None = None,
) -> Path:
    """Write a bundle into ``directory`` (created if needed) and return it.

    ``onnx_model`` (with the name of its output to read) is the converted pipeline that passed
    parity; without it, ``onnx_fallback`` says why there is none."""
    import joblib
    import sklearn

    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, directory / MODEL_FILE)
    _write_json(directory / SCHEMA_FILE, schema.to_dict())
    _write_json(directory / PROFILE_FILE, profile.to_dict())
    _write_json(directory / EVALUATION_FILE, evaluation)
    names = [MODEL_FILE, SCHEMA_FILE, PROFILE_FILE, EVALUATION_FILE]
    if calibration is not None:
        _write_json(directory / CALIBRATION_FILE, calibration)
        names.append(CALIBRATION_FILE)
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "task": schema.task,
        "runtime": "onnx" if onnx_model is not None else "sklearn",
    }
    if schema.task == "classification":
        # The probabilities' column order, for a runtime that has no pipeline to ask.
        manifest["classes"] = [_plain(c) for c in pipeline.classes_]
    if onnx_model is not None:
        if not onnx_output:
            raise ValueError("an ONNX model needs the name of its output")
        (directory / ONNX_FILE).write_bytes(onnx_model)
        names.append(ONNX_FILE)
        manifest["onnx"] = {"file": ONNX_FILE, "output": onnx_output}
    else:
        manifest["onnx_fallback"] = onnx_fallback or "no ONNX model was given"
    manifest["files"] = {name: _sha256(directory / name) for name in names}
    _write_json(directory / MANIFEST, manifest)
    return directory


def load_bundle(source: Path | bytes, runtime: RuntimeChoice = "auto") -> ModelBundle:
    """Load a bundle from a directory, a ``model.tar.gz`` path, or the bytes of one.

    ``runtime``: ``auto`` uses ONNX Runtime when the bundle has ``model.onnx`` and falls back to
    the scikit-learn pipeline otherwise (:attr:`ModelBundle.fallback_reason` says why); ``onnx``
    and ``sklearn`` insist (a bundle that cannot be loaded so is a :class:`BundleError`)."""
    if isinstance(source, bytes):
        with tempfile.TemporaryDirectory() as tmp:
            _extract(io.BytesIO(source), Path(tmp))
            return _load_dir(Path(tmp), runtime)
    path = Path(source)
    if path.is_dir():
        return _load_dir(path, runtime)
    if not path.is_file():
        raise BundleError(f"{path}: no model bundle there")
    with tempfile.TemporaryDirectory() as tmp, path.open("rb") as fh:
        _extract(fh, Path(tmp))
        return _load_dir(Path(tmp), runtime)


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
    """Refuse a bundle whose format differs from this process's."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{where}: bundle format {manifest.get('format_version')} is not {FORMAT_VERSION}")


def check_sklearn(manifest: dict[str, Any], where: str, why: str | None = None) -> None:
    """Refuse to unpickle a pipeline made by another scikit-learn version than this process's (or without one).

    Read from the package metadata, so a process without scikit-learn finds out without importing it."""
    trained_with = manifest.get("sklearn_version")
    because = f" ({why})" if why else ""
    try:
        installed = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        raise BundleError(
            f"{where}: this bundle needs scikit-learn {trained_with}{because}, and it is not installed here"
        ) from None
    if trained_with != installed:
        raise BundleError(
            f"{where}: bundle was trained with scikit-learn {trained_with}, this process has "
            f"{installed}; retrain, or install scikit-learn=={trained_with} to load it"
        )


def pack_bundle(directory: Path) -> bytes:
    """``model.tar.gz`` bytes of a bundle directory, as SageMaker packs ``SM_MODEL_DIR``."""
    return targz_directory(directory)


def _load_dir(directory: Path, runtime: RuntimeChoice = "auto") -> ModelBundle:
    where = str(directory)
    manifest = read_manifest(directory)
    check_compatible(manifest, where)
    for name, digest in manifest.get("files", {}).items():
        if not (directory / name).is_file():
            raise BundleError(f"{directory}: {name} is missing from the bundle")
        if _sha256(directory / name) != digest:
            raise BundleError(f"{directory}: {name} does not match its checksum in {MANIFEST}")
    schema = FeatureSchema.from_dict(json.loads((directory / SCHEMA_FILE).read_text()))
    predictor: Predictor | None = None
    fallback: str | None = None
    onnx = manifest.get("onnx")
    if runtime != "sklearn":
        if onnx is None or onnx.get("file") not in manifest.get("files", {}):
            fallback = manifest.get("onnx_fallback") or NO_ONNX
        else:
            try:
                predictor = OnnxPredictor((directory / onnx["file"]).read_bytes(), schema, manifest.get("classes"), onnx["output"])
            except Exception as exc:  # noqa: BLE001 - ONNX Runtime missing or refusing the model: say why, use the pipeline
                fallback = f"ONNX Runtime could not load {onnx['file']}: {type(exc).__name__}: {_first_line(exc)}"
        if predictor is None and runtime == "onnx":
            raise BundleError(f"{where}: no ONNX model to serve ({fallback})")
    if predictor is None:
        check_sklearn(manifest, where, fallback)
        try:
            import joblib  # only on the fallback path: unpickling imports scikit-learn and scipy

            predictor = SklearnPredictor(joblib.load(directory / MODEL_FILE), schema.task)
        except ImportError as exc:
            because = f" ({fallback})" if fallback else ""
            raise BundleError(
                f"{where}: this bundle needs scikit-learn {manifest.get('sklearn_version')}{because}, "
                f"and it cannot be imported here ({exc})"
            ) from exc
    return ModelBundle(
        predictor=predictor,
        schema=schema,
        profile=BaselineProfile.from_dict(json.loads((directory / PROFILE_FILE).read_text())),
        evaluation=json.loads((directory / EVALUATION_FILE).read_text()),
        manifest=manifest,
        fallback_reason=fallback,
        calibration=json.loads((directory / CALIBRATION_FILE).read_text()) if CALIBRATION_FILE in manifest.get("files", {}) else None,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


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
