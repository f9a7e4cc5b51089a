"""The scikit-learn that trains is the one that serves: one pin, checked everywhere it appears."""

import re
from pathlib import Path

import sklearn

from lightship.settings import REPO_ROOT, load_settings
from lightship.training.launcher import source_tarball
from lightship.versions import SAGEMAKER_SKLEARN_FRAMEWORK_VERSION, SKLEARN_VERSION


def test_requirements_pin_the_same_scikit_learn_as_versions_module() -> None:
    text = (REPO_ROOT / "requirements.txt").read_text()
    pins = re.findall(r"^scikit-learn==([\d.]+)$", text, flags=re.MULTILINE)
    assert pins == [SKLEARN_VERSION]


def test_installed_scikit_learn_is_the_pinned_one() -> None:
    assert sklearn.__version__ == SKLEARN_VERSION


def test_training_source_ships_the_pin_for_the_container_to_install() -> None:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(source_tarball()), mode="r:gz") as tar:
        pin = tar.extractfile("requirements.txt").read().decode()  # type: ignore[union-attr]
    assert pin.splitlines()[0] == f"scikit-learn=={SKLEARN_VERSION}"
    assert pin.splitlines()[1].startswith("pyarrow==")


def test_framework_image_version_is_known_to_the_sagemaker_catalogue() -> None:
    from sagemaker.core import image_uris

    uri = image_uris.retrieve("sklearn", region="eu-west-1", version=SAGEMAKER_SKLEARN_FRAMEWORK_VERSION, instance_type="ml.m5.large")
    assert uri.endswith(f"sagemaker-scikit-learn:{SAGEMAKER_SKLEARN_FRAMEWORK_VERSION}-cpu-py3")
    assert load_settings(context={}).training.framework_version == SAGEMAKER_SKLEARN_FRAMEWORK_VERSION
    assert Path(REPO_ROOT / "training_jobs" / "train.py").is_file()
