"""``lightship datasets customers|breast-cancer --out FILE``: the demo's data sets, written to a file.

The demo generates its data (:mod:`lightship.datasets`, nothing is downloaded); these
commands write the same tables so the README's commands outside the demo (``lightship
train --data customers.csv ...``, ``lightship drift``) have a file to read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lightship.cli.console import console
from lightship.errors import LightshipError

if TYPE_CHECKING:
    import pandas as pd

datasets_app = typer.Typer(help="Write the demo's data sets to CSV or Parquet files.", no_args_is_help=True)


def _write(frame: pd.DataFrame, out: Path) -> None:
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise LightshipError(f"--out {out}: name a .csv or .parquet file")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    console.print(f"wrote {len(frame):,} rows x {frame.shape[1]} columns to {out}", soft_wrap=True)  # a path stays whole


@datasets_app.command("customers")
def customers_command(
    out: Path = typer.Option(Path("customers.csv"), "--out", help="A .csv or .parquet file"),
    rows: int = typer.Option(5000, "--rows", min=1, help="How many rows"),
    seed: int = typer.Option(7, "--seed", help="Random seed (the demo trains on seed 7)"),
    shift: float = typer.Option(0.0, "--shift", min=0.0, max=1.0, help="Move the distribution (0: as trained; 1: the demo's drifted day)"),
    unlabelled: bool = typer.Option(False, "--unlabelled", help="Leave the target column 'churned' out (batch input)"),
) -> None:
    """A churn-like table (numbers, categories, missing values; target 'churned'), as the demo trains on."""
    from lightship.datasets import customers

    frame = customers(rows=rows, seed=seed, shift=shift)
    _write(frame.drop(columns=["churned"]) if unlabelled else frame, out)


@datasets_app.command("breast-cancer")
def breast_cancer_command(out: Path = typer.Option(Path("breast_cancer.csv"), "--out", help="A .csv or .parquet file")) -> None:
    """scikit-learn's bundled breast-cancer set (569 rows, 30 numbers; target 'target')."""
    from lightship.datasets import breast_cancer

    _write(breast_cancer(), out)


def register(app: typer.Typer) -> None:
    app.add_typer(datasets_app, name="datasets")
