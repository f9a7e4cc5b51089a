"""Fixtures for every tier: data sets made here (scikit-learn's bundled set and a seeded
generated table), never downloaded."""

from __future__ import annotations

import os

# Before anything loads OpenMP (scikit-learn's imports do): it reads the thread count once. Without it,
# on a busy 2-core machine, spinning OpenMP threads made one HistGradientBoosting fit take 111 s (0.4 s alone).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Quiet the jsii Node banner in every tier that synthesizes.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lightship.datasets import breast_cancer, customers  # noqa: E402


@pytest.fixture(scope="session")
def customers_frame() -> pd.DataFrame:
    return customers(rows=2000, seed=7)


@pytest.fixture(scope="session")
def cancer_frame() -> pd.DataFrame:
    return breast_cancer()


@pytest.fixture
def customers_csv(tmp_path: Path, customers_frame: pd.DataFrame) -> Path:
    path = tmp_path / "customers.csv"
    customers_frame.to_csv(path, index=False)
    return path


# The longest test files, started first: with one file per worker (--dist loadfile), a long file
# scheduled last keeps one core busy alone at the end of the run (the demo alone takes ~4 minutes).
# Longest first, so the two workers finish close together. xdist queues files in the collected order
# only with --no-loadscope-reorder (pyproject's addopts); by default it re-sorts them by test count,
# which ran the one-test demo last. An order, not a selection: a name missing here only runs in its
# collected place.
LONGEST_FIRST = (
    "tests/integration/test_demo.py",
    "tests/unit/test_static_checks.py",
    "tests/integration/test_checklist.py",
    "tests/integration/test_retraining_machine.py",
    "tests/integration/test_cli_segments.py",
    "tests/integration/test_serving_under_faults.py",
    "tests/integration/test_rollback_chapter.py",
    "tests/integration/test_release_machine.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    root = Path(str(config.rootpath))

    def key(item: pytest.Item) -> int:
        return rank.get(Path(str(item.path)).relative_to(root).as_posix(), len(rank))

    items.sort(key=key)  # stable: the collected order holds within a file and among the rest
