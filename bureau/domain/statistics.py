"""Aggregate statistics per region, theme, level and school: counts, never individuals.

Gender counts only for students who consented to statistics, and a share is shown
only for groups of at least ``MIN_GROUP`` such students, so nobody can be singled out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

MIN_GROUP = 10
MBO = frozenset({"mbo-1", "mbo-2", "mbo-3", "mbo-4"})


@dataclass(frozen=True, kw_only=True)
class OfferFacts:
    """What statistics need of an offer."""

    offer_id: str
    region: str
    themes: frozenset[str]
    levels: frozenset[str]
    capacity: int
    filled: int


@dataclass(frozen=True, kw_only=True)
class StudentFacts:
    """What statistics need of a student; ``gender`` only with statistics consent."""

    student_id: str
    school_id: str
    level: str
    levels_seen: frozenset[str]
    gender: str | None


@dataclass(frozen=True, kw_only=True)
class PlacementFacts:
    """A confirmed (or completed) placement."""

    student_id: str
    offer_id: str
    submitted_at: datetime
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class Row:
    """One group's figures; None where a figure does not apply or is suppressed."""

    dimension: str
    value: str
    places_offered: int | None = None
    places_filled: int | None = None
    students: int | None = None
    students_placed: int | None = None
    placement_rate: float | None = None
    median_days_to_placement: float | None = None
    continued_mbo_to_hbo: int | None = None
    female_share_of_placed: float | None = None


def compute(
    offers: Iterable[OfferFacts],
    students: Iterable[StudentFacts],
    placements: Iterable[PlacementFacts],
) -> list[Row]:
    """Compute every group's row, sorted by dimension and value.

    A level row carries both its students' figures and the places of the offers open to
    that level (0 where none is), so every level has one row and one key on the feed.
    """
    offers, students, placements = list(offers), list(students), list(placements)
    first: dict[str, PlacementFacts] = {}
    for p in sorted(placements, key=lambda p: p.decided_at):
        first.setdefault(p.student_id, p)
    groups: dict[tuple[str, str], list[StudentFacts]] = defaultdict(list)
    for s in students:
        groups[("level", s.level)].append(s)
        groups[("school", s.school_id)].append(s)
    # A level that has places but no students still gets its row (its student figures
    # then fall under the suppression of groups under MIN_GROUP).
    for o in offers:
        for level in o.levels:
            groups.setdefault(("level", level), [])
    rows = {key: _student_row(*key, members, first) for key, members in groups.items()}
    places = _places(offers)
    for key, row in rows.items():
        if row.dimension == "level":
            offered, filled = places.pop(key, (0, 0))
            # The level row's placement rate stays the students' one (placed / students).
            rows[key] = replace(row, places_offered=offered, places_filled=filled)
    for (dimension, value), (offered, filled) in places.items():
        rows[dimension, value] = Row(
            dimension=dimension,
            value=value,
            places_offered=offered,
            places_filled=filled,
            placement_rate=_ratio(filled, offered),
        )
    return sorted(rows.values(), key=lambda r: (r.dimension, r.value))


def _places(offers: list[OfferFacts]) -> dict[tuple[str, str], tuple[int, int]]:
    """(offered, filled) per region, theme and level; an offer counts in each of its groups."""
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    for o in offers:
        keys = [
            ("region", o.region),
            *(("theme", t) for t in o.themes),
            *(("level", v) for v in o.levels),
        ]
        for key in keys:
            offered, filled = totals.get(key, (0, 0))
            totals[key] = (offered + o.capacity, filled + o.filled)
    return totals


def _student_row(
    dimension: str, value: str, members: list[StudentFacts], first: dict[str, PlacementFacts]
) -> Row:
    placed = [s for s in members if s.student_id in first]
    days = [
        (first[s.student_id].decided_at - first[s.student_id].submitted_at).total_seconds() / 86400
        for s in placed
    ]
    return Row(
        dimension=dimension,
        value=value,
        students=len(members),
        students_placed=len(placed),
        placement_rate=_ratio(len(placed), len(members)),
        median_days_to_placement=round(statistics.median(days), 1) if days else None,
        continued_mbo_to_hbo=sum(
            1 for s in members if s.levels_seen & MBO and "hbo" in s.levels_seen
        ),
        female_share_of_placed=_female_share(placed),
    )


def _female_share(placed: list[StudentFacts]) -> float | None:
    consented = [s for s in placed if s.gender is not None]
    if len(consented) < MIN_GROUP:
        return None
    return _ratio(sum(1 for s in consented if s.gender == "female"), len(consented))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
