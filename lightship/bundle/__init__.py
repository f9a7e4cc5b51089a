"""The model bundle: the one contract between training, serving, batch scoring and drift.

A bundle is a directory (``model.tar.gz`` once packed) holding the fitted pipeline,
its feature schema, the baseline profile for drift and the evaluation report.
"""

from lightship.bundle.model_bundle import ModelBundle, load_bundle, write_bundle
from lightship.bundle.profile import BaselineProfile, CategoricalProfile, NumericProfile
from lightship.bundle.schema import Feature, FeatureSchema

__all__ = [
    "BaselineProfile",
    "CategoricalProfile",
    "Feature",
    "FeatureSchema",
    "ModelBundle",
    "NumericProfile",
    "load_bundle",
    "write_bundle",
]
