"""The red-team table: each attack, the refusal expected, what the secure and open brokers did."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Row:
    """One attack: refused with security on, succeeding on the control broker."""

    attack: str
    expected: str
    secured: str
    control: str


@dataclass
class Table:
    """The rows of the session, printed at its end."""

    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        """Add (or replace) the row of one attack."""
        self.rows = [r for r in self.rows if r.attack != row.attack] + [row]

    def render(self) -> str:
        """The table as Markdown."""
        lines = [
            "| attack | expected refusal | security on (observed) | control: security off |",
            "|---|---|---|---|",
        ]
        lines += [f"| {r.attack} | {r.expected} | {r.secured} | {r.control} |" for r in self.rows]
        return "\n".join(lines)


TABLE = pytest.StashKey[Table]()
"""Where the session keeps the table (``config.stash``)."""
