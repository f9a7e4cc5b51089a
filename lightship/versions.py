"""The one pin of the scikit-learn version that trains, serves and scores.

Read by the training launcher (it ships the pin with the training code so the
SageMaker container installs it), by the bundle loader (a bundle made by another
version refuses to load) and by ``tests/unit/test_versions.py``, which checks it
agrees with ``requirements.txt`` and the installed library.
"""

SKLEARN_VERSION = "1.9.1"

# SageMaker's scikit-learn framework image the training job runs on. The image
# brings Python and the SageMaker training toolkit; the pinned scikit-learn above
# is installed over it from ``requirements.txt`` in the uploaded source directory.
SAGEMAKER_SKLEARN_FRAMEWORK_VERSION = "1.9-0"
