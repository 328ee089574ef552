"""The open statistics feed: suppressed rows as JSON, CSV and on ``bureau.statistics.v1``.

Small groups are suppressed, not rounded: a figure about students is published only
for groups of at least ``MIN_GROUP`` students, and the share of women only where at
least ``MIN_GROUP`` placed students consented to statistics (the domain sees to that).
A suppressed figure is ``null`` with its name listed in ``suppressed``; a figure that
does not apply is ``null`` and not listed. docs/open-data.md documents the schema.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from bureau.domain.statistics import MIN_GROUP, Row
from bureau.schemas.statistics import SCHEMA, StatisticsRow
from bureau.service import Publish
from bureau.topics import Topics

STUDENT_DIMENSIONS = frozenset({"level", "school"})
STUDENT_FIGURES = (
    "students_placed",
    "placement_rate",
    "median_days_to_placement",
    "continued_mbo_to_hbo",
    "female_share_of_placed",
)
COLUMNS = (*(f.name for f in fields(Row)), "suppressed")


@dataclass(frozen=True)
class PublicRow:
    """A row fit for publication, and the names of its suppressed figures."""

    row: Row
    suppressed: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The row's key on the feed: ``<dimension>:<value>``."""
        return f"{self.row.dimension}:{self.row.value}"

    def is_suppressed(self, figure: str) -> bool:
        """Whether ``figure`` was withheld."""
        return figure in self.suppressed

    def record(self) -> StatisticsRow:
        """The row as the feed's record (the schema in the AsyncAPI document)."""
        return StatisticsRow.model_validate(
            {"schema": SCHEMA, **asdict(self.row), "suppressed": self.suppressed}
        )

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready values."""
        return {**asdict(self.row), "suppressed": list(self.suppressed)}


def public(rows: Iterable[Row]) -> list[PublicRow]:
    """Withhold every figure that could single out a student."""
    return [_public(r) for r in rows]


def _public(row: Row) -> PublicRow:
    if row.dimension not in STUDENT_DIMENSIONS:
        return PublicRow(row)
    if (row.students or 0) < MIN_GROUP:
        withheld = replace(
            row,
            students_placed=None,
            placement_rate=None,
            median_days_to_placement=None,
            continued_mbo_to_hbo=None,
            female_share_of_placed=None,
        )
        return PublicRow(withheld, STUDENT_FIGURES)
    if row.female_share_of_placed is None:
        return PublicRow(row, ("female_share_of_placed",))
    return PublicRow(row)


def as_json(rows: Sequence[PublicRow]) -> bytes:
    """The feed as one JSON document."""
    doc = {"schema": SCHEMA, "min_group": MIN_GROUP, "rows": [r.as_dict() for r in rows]}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def as_csv(rows: Sequence[PublicRow]) -> str:
    """The feed as CSV: a header line, ``suppressed`` in withheld cells, empty where n/a."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        values = asdict(r.row)
        writer.writerow(
            [
                "suppressed" if r.is_suppressed(c) else _cell(values[c])
                for c in COLUMNS
                if c != "suppressed"
            ]
            + [" ".join(r.suppressed)]
        )
    return out.getvalue()


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def statistics_topic(topics: Topics) -> str:
    """The compacted topic of the open statistics feed."""
    return topics.statistics


async def publish_statistics(
    publish: Publish, topics: Topics, rows: Iterable[Row], *, retired: Iterable[str] = ()
) -> int:
    """Publish each suppressed row keyed ``<dimension>:<value>``; tombstone ``retired`` keys.

    Returns how many records were sent. The values carry no timestamp, so publishing
    unchanged figures again writes identical bytes, which compaction folds away.
    """
    topic = statistics_topic(topics)
    sent = 0
    keys = set()
    for r in public(rows):
        body = json.dumps(r.record().wire(), sort_keys=True).encode()
        await publish(topic, r.key.encode(), body)
        keys.add(r.key)
        sent += 1
    for key in sorted(set(retired) - keys):
        await publish(topic, key.encode(), None)
        sent += 1
    return sent


async def refresh_forever(
    refresh: Callable[[], Awaitable[list[Row]]],
    publish: Publish,
    topics: Topics,
    *,
    every: float,
) -> None:
    """Refresh the statistics view and publish the feed every ``every`` seconds, until cancelled.

    ``refresh`` is the service's ``Exchange.refresh_statistics``. Groups that vanished
    since the previous refresh are tombstoned on the topic.
    """
    previous: set[str] = set()
    while True:
        rows = await refresh()
        await publish_statistics(publish, topics, rows, retired=previous)
        previous = {f"{r.dimension}:{r.value}" for r in rows}
        await asyncio.sleep(every)


__all__ = [
    "PublicRow",
    "as_csv",
    "as_json",
    "public",
    "publish_statistics",
    "refresh_forever",
    "statistics_topic",
]
