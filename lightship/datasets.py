"""Data sets for the demo, the tests and the benchmarks; nothing is downloaded.

* :func:`breast_cancer` is scikit-learn's bundled breast-cancer set (569 rows, 30 numbers).
* :func:`customers` is a seeded, generated churn-like table with numbers, categories and
  missing values; ``shift`` moves its distribution so drift checks have something to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

PLANS = ("basic", "standard", "premium")
REGIONS = ("north", "south", "east", "west")


def breast_cancer() -> pd.DataFrame:
    """Features with spaces in their names replaced by underscores, and a 0/1 ``target``."""
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame


def customers(rows: int = 5000, seed: int = 7, shift: float = 0.0, missing_rate: float = 0.05) -> pd.DataFrame:
    """A churn-like table: ``churned`` (0/1) depends on tenure, spend, plan and support calls."""
    rng = np.random.default_rng(seed)
    tenure = rng.gamma(2.0, 12.0, rows) * (1 - 0.5 * shift)
    spend = rng.normal(70 + 30 * shift, 20, rows)
    calls = rng.poisson(1.5 + 2 * shift, rows).astype(float)
    age = rng.normal(45, 12, rows).round()
    plan_p = np.array([0.5, 0.3, 0.2]) if shift == 0 else np.array([0.2, 0.3, 0.5])
    plan = rng.choice(PLANS, rows, p=plan_p)
    region = rng.choice(REGIONS, rows)
    logit = -1.0 - 0.05 * tenure + 0.02 * (spend - 70) + 0.6 * calls + np.where(plan == "basic", 0.8, -0.3)
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "tenure_months": tenure.round(1),
            "monthly_spend": spend.round(2),
            "support_calls": calls,
            "age": age,
            "plan": plan,
            "region": region,
            "churned": churned,
        }
    )
    for column in ("monthly_spend", "age", "plan", "region"):
        holes = rng.random(rows) < missing_rate
        frame[column] = frame[column].astype(object).where(~holes, None) if frame[column].dtype == object else frame[column].mask(holes)
    return frame
