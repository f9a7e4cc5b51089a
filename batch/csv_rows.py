"""Where a CSV file's logical rows begin, in bytes: what lets the plan cut a CSV into chunks
that a scorer reads with one ranged GET and parses on its own.

A *logical row* is a record as pandas' C parser (our reader) counts them: records end at
``\\n``, ``\\r\\n`` or a bare ``\\r`` outside double quotes (a quoted field may span lines,
``""`` is an escaped quote); records holding nothing but spaces, tabs and line ends are
blank and skipped (``skip_blank_lines``), before the header too; the first non-blank record
is the header (a UTF-8 BOM is part of it); the last record needs no final newline.

:class:`RowScanner` is fed the file's bytes in blocks as they stream past (the plan's
counting pass feeds it, so the file is downloaded once) and works on each block with numpy,
never per byte in Python. It keeps only the byte offsets where every ``every``-th row
ends. A quote inside an unquoted field (``5" screen``), which pandas keeps as text, would
throw its quote parity off: the plan therefore compares its row count with pandas' own and
quarantines the file if they differ, and each scorer checks that its byte range parses
to exactly the rows planned (:mod:`batch.read`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

QUOTE, LF, CR, SPACE, TAB = 34, 10, 13, 32, 9


@dataclass
class CsvRows:
    """The layout of one CSV file: its header ends at ``data_start``; ``rows`` logical rows
    follow; ``cuts[k]`` is the byte offset right after the ``(k + 1) * every``-th row."""

    data_start: int
    rows: int
    size: int
    every: int
    cuts: list[int] = field(default_factory=list)

    def ranges(self) -> list[tuple[int, int, int, int]]:
        """``(first_row, rows, byte_start, byte_stop)`` of each chunk of at most ``every`` rows."""
        bounds = [self.data_start, *[c for c in self.cuts if c < self.size], self.size]
        out = []
        for k in range(len(bounds) - 1):
            first = k * self.every
            rows = min(self.every, self.rows - first)
            if rows > 0:
                out.append((first, rows, bounds[k], bounds[k + 1]))
        if out:  # blank lines after the last row belong to the last chunk: the chunks tile the bytes
            first, rows, start, _ = out[-1]
            out[-1] = (first, rows, start, self.size)
        return out


class RowScanner:
    """Counts logical rows over bytes fed in order; see the module's docstring for the rules."""

    def __init__(self, every: int) -> None:
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = every
        self.offset = 0  # bytes consumed so far (of the file)
        self.quotes = 0  # quotes seen so far, mod 2: 1 = inside a quoted field
        self.content = False  # the record in progress holds a non-blank byte
        self.records = 0  # non-blank records ended (the header is record 1)
        self.data_start: int | None = None
        self.cuts: list[int] = []
        self._held = b""  # a block's last byte when it is "\r": a line end only if no "\n" follows

    def feed(self, data: bytes) -> None:
        if self._held:
            data, self._held = self._held + data, b""
        if data.endswith(b"\r"):
            data, self._held = data[:-1], b"\r"
        if data:
            self._scan(np.frombuffer(data, dtype=np.uint8))

    def finish(self, size: int | None = None) -> CsvRows:
        tail = self._held
        self._held = b""
        if tail:
            self._scan(np.frombuffer(tail, dtype=np.uint8))
        if self.content:  # a last record without a final newline
            self._ended(np.array([self.offset], dtype=np.int64))
            self.content = False
        total = self.offset if size is None else size
        start = self.data_start if self.data_start is not None else total
        rows = max(0, self.records - 1)
        return CsvRows(data_start=start, rows=rows, size=total, every=self.every, cuts=list(self.cuts))

    def _scan(self, block: np.ndarray) -> None:
        quote = block == QUOTE
        # Quotes before each byte (a line end is never a quote itself), starting from the carried parity.
        parity = (np.cumsum(quote, dtype=np.int64) + self.quotes) & 1
        lf = block == LF
        cr = block == CR
        bare_cr = cr.copy()
        bare_cr[:-1] &= ~lf[1:]  # "\r\n" ends at its "\n"; a held trailing "\r" arrives with what follows
        ends = np.flatnonzero((lf | bare_cr) & (parity == 0))
        nonblank = ~(lf | cr | (block == SPACE) | (block == TAB))
        seen = np.cumsum(nonblank, dtype=np.int64)
        if len(ends):
            before = np.concatenate(([0], seen[ends[:-1]]))
            has = (seen[ends] - before) > 0
            has[0] = has[0] or self.content
            self._ended(self.offset + ends[has] + 1)
            self.content = bool(seen[-1] - seen[ends[-1]] > 0)
        else:
            self.content = self.content or bool(seen[-1] > 0)
        self.quotes = int(parity[-1])
        self.offset += len(block)

    def _ended(self, end_offsets: np.ndarray) -> None:
        """Non-blank records ended at ``end_offsets`` (offsets right after their line end)."""
        if not len(end_offsets):
            return
        first_number = self.records + 1  # 1-based record number of end_offsets[0]
        if self.data_start is None:
            self.data_start = int(end_offsets[0])
        numbers = np.arange(first_number, first_number + len(end_offsets))
        # Data row r (0-based) is record r + 2; a cut follows every ``every``-th data row.
        rows = numbers - 1
        cut = (rows > 0) & (rows % self.every == 0)
        self.cuts.extend(int(x) for x in end_offsets[cut])
        self.records += len(end_offsets)
