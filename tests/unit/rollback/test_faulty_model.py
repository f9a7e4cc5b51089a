"""The demo's broken model fails on a stable share of inputs and survives pickling like any bundle."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from lightship.demo.faulty_model import FaultyModel, ModelDefect


def test_faulty_model_fails_on_about_its_share_of_rows_and_always_the_same_ones() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    model = FaultyModel(LogisticRegression().fit(x, (x[:, 0] > 0).astype(int)), failure_share=0.4)
    fails = [model.fails_on(row) for row in x]
    assert 0.3 < sum(fails) / len(fails) < 0.5
    assert fails == [model.fails_on(row) for row in x]
    good = x[[not f for f in fails]]
    assert model.predict_proba(good).shape == (len(good), 2)
    with pytest.raises(ModelDefect):
        model.predict_proba(x[[fails.index(True)]])
    restored = pickle.loads(pickle.dumps(model))
    assert list(restored.classes_) == [0, 1] and [restored.fails_on(r) for r in x] == fails


def test_failure_share_must_be_a_fraction() -> None:
    with pytest.raises(ValueError):
        FaultyModel(object(), failure_share=1.5)
