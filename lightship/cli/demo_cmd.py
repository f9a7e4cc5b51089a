"""``lightship demo``: run the whole story locally on the embedded emulator."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lightship.cli.console import console
from lightship.settings import load_settings

if TYPE_CHECKING:
    from lightship.demo.story import Chapter


def chapters() -> list[tuple[str, Chapter]]:
    """The story's chapters, imported here: they pull in pandas, scikit-learn and the batch code,
    which every other command (and every usage error) would otherwise pay for at start-up."""
    from lightship.demo.batch_chapter import batch
    from lightship.demo.checklist_chapter import checklist
    from lightship.demo.quality_chapter import quality
    from lightship.demo.release_chapter import release
    from lightship.demo.retraining_chapter import retraining
    from lightship.demo.rollback_chapter import rollback
    from lightship.demo.serving_chapter import serving
    from lightship.demo.training_chapter import training

    return [
        ("1. Train, register with lineage, quality gate", training),
        ("2. Deploy the approved version and serve predictions over HTTP", serving),
        ("3. A broken version goes live: its alarm rolls it back", rollback),
        ("4. Batch scoring on Step Functions: outputs, drift, rejects, reruns", batch),
        ("5. Release gradually: a canary promoted, a faulty canary aborted by its alarm, a shadow and its report", release),
        ("6. Is the live model still right? Labels, realized quality, an estimate before labels, concept drift", quality),
        ("7. The go-live checklist for the live version: answers with evidence, a model card", checklist),
        ("8. Close the loop: concept drift, the quality alarm, retraining on fresh labels, the gate, a canary, promoted", retraining),
    ]


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(workspace: Path = typer.Option(None, help="Where the demo writes its data (default: a temporary folder)")) -> None:
        """The whole story on an embedded AWS emulator: train, gate, deploy, serve, roll back, batch-score, drift, quality, retrain."""
        from lightship.demo.story import run_story

        settings = load_settings()
        where = workspace or Path(tempfile.mkdtemp(prefix="lightship-demo-"))
        run_story(settings, where, console, chapters())
