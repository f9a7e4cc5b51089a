"""The checklist as a rich table (the terminal) and as Markdown (``--format markdown``, for CI summaries)."""

from __future__ import annotations

from rich.table import Table

from lightship.checklist.answers import Answer

STYLES = {"yes": "green", "no": "bold red", "unknown": "yellow"}


def table(version: int, answers: list[Answer], card_uri: str) -> Table:
    out = Table(title=f"Go-live checklist, version {version}", caption=f"model card: {card_uri}", caption_justify="left")
    out.add_column("question", ratio=2, overflow="fold")
    out.add_column("answer", no_wrap=True)
    out.add_column("detail", ratio=3, overflow="fold")
    out.add_column("evidence", ratio=2, overflow="fold")
    for a in answers:
        out.add_row(a.question, f"[{STYLES[a.verdict]}]{a.verdict}[/]", a.detail, "\n".join(a.evidence))
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
