"""The demo's shared state and its runner: start the emulator, run each chapter, print a summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lightship.local.emulator import LocalEmulator
from lightship.resources import Resources
from lightship.settings import Settings

# In the workspace: what the in-process Lambda handlers printed (JSON logs, EMF), kept off the narrative.
FUNCTION_LOG = "lambda-functions.log"


@dataclass
class Story:
    settings: Settings
    workspace: Path
    console: Console
    emulator: LocalEmulator | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    # What chapters leave running for later ones (e.g. the local model server); closed before the emulator stops.
    cleanup: ExitStack = field(default_factory=ExitStack)

    @property
    def resources(self) -> Resources:
        assert self.emulator is not None and self.emulator.resources is not None
        return self.emulator.resources

    def fact(self, what: str, result: str) -> None:
        """A line for the closing summary, printed as it happens too."""
        self.facts.append((what, result))
        self.console.print(f"  [green]✓[/] {what}: {result}")


Chapter = Callable[[Story], None]


def run_story(settings: Settings, workspace: Path, console: Console, chapters: list[tuple[str, Chapter]]) -> Story:
    workspace.mkdir(parents=True, exist_ok=True)
    story = Story(settings=settings, workspace=workspace, console=console)
    started = time.perf_counter()
    function_log = workspace / FUNCTION_LOG
    with LocalEmulator(settings, function_log=function_log) as emulator, story.cleanup:
        story.emulator = emulator
        story.fact("AWS emulator", f"moto server at {emulator.endpoint_url} with the stacks' buckets, registry and record")
        for title, chapter in chapters:
            console.rule(f"[bold]{title}")
            chapter(story)
    elapsed = time.perf_counter() - started
    table = Table(title=f"Lightship demo: done in {elapsed:.0f} s, no AWS account used")
    table.add_column("step")
    table.add_column("result", overflow="fold")
    for what, result in story.facts:
        table.add_row(what, result)
    console.print(table)
    console.print(f"Logs of the Lambda handlers the emulator ran (rollback, batch), as CloudWatch Logs keeps them: {function_log}", soft_wrap=True)
    return story
