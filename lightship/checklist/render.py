"""The checklist as a rich table (the terminal) and as Markdown (``--format markdown``, for CI summaries)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from lightship.checklist.answers import Answer

STYLES = {"yes": "green", "no": "bold red", "unknown": "yellow"}


def table(version: int, answers: list[Answer], card_uri: str) -> Table:
    """Three columns, the evidence dimmed under each detail: an 80-column terminal keeps it readable."""
    out = Table(title=f"Go-live checklist, version {version}", caption=f"model card: {card_uri}", caption_justify="left", expand=True)
    out.add_column("question", ratio=2, overflow="fold")
    out.add_column("answer", no_wrap=True)
    out.add_column("detail [dim](evidence)[/]", ratio=5, overflow="fold")
    for a in answers:
        evidence = "".join(f"\n[dim]{escape(x)}[/]" for x in a.evidence)
        out.add_row(escape(a.question), f"[{STYLES[a.verdict]}]{a.verdict}[/]", escape(a.detail) + evidence)
    return out


def _md(text: str) -> str:
    """A table cell: pipes escaped, line breaks (any of them) as <br>."""
    return "<br>".join(text.replace("\\", "\\\\").replace("|", "\\|").splitlines())


def markdown(version: int, answers: list[Answer], card_uri: str) -> str:
    lines = [f"## Go-live checklist, version {version}", "", "| Question | Answer | Detail | Evidence |", "|---|---|---|---|"]
    for a in answers:
        evidence = "<br>".join(f"`{_md(x)}`" for x in a.evidence)
        lines.append(f"| {_md(a.question)} | **{a.verdict}** | {_md(a.detail)} | {evidence} |")
    lines += ["", f"Model card: `{card_uri}`", ""]
    return "\n".join(lines)
