"""Aggregate statistics per region, theme, level and school: counts, never individuals.

Gender counts only for students who consented to statistics, and a share is shown
only for groups of at least ``MIN_GROUP`` such students, so nobody can be singled out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

MIN_GROUP = 10
MBO = frozenset({"mbo-1", "mbo-2", "mbo-3", "mbo-4"})


@dataclass(frozen=True, kw_only=True)
class OfferFacts:
    """What statistics need of an offer."""

    offer_id: str
    region: str
    themes: frozenset[str]
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
    """Compute every group's row, sorted by dimension and value."""
    offers, students, placements = list(offers), list(students), list(placements)
    rows = [*_offer_rows(offers), *_student_rows(students, placements)]
    return sorted(rows, key=lambda r: (r.dimension, r.value))


def _offer_rows(offers: list[OfferFacts]) -> list[Row]:
    groups: dict[tuple[str, str], list[OfferFacts]] = defaultdict(list)
    for o in offers:
        groups[("region", o.region)].append(o)
        for theme in o.themes:
            groups[("theme", theme)].append(o)
    rows = []
    for (dimension, value), members in groups.items():
        offered = sum(o.capacity for o in members)
        filled = sum(o.filled for o in members)
        rows.append(
            Row(
                dimension=dimension,
                value=value,
                places_offered=offered,
                places_filled=filled,
                placement_rate=_ratio(filled, offered),
            )
        )
    return rows


def _student_rows(students: list[StudentFacts], placements: list[PlacementFacts]) -> list[Row]:
    first: dict[str, PlacementFacts] = {}
    for p in sorted(placements, key=lambda p: p.decided_at):
        first.setdefault(p.student_id, p)
    groups: dict[tuple[str, str], list[StudentFacts]] = defaultdict(list)
    for s in students:
        groups[("level", s.level)].append(s)
        groups[("school", s.school_id)].append(s)
    rows = []
    for (dimension, value), members in groups.items():
        placed = [s for s in members if s.student_id in first]
        days = [
            (first[s.student_id].decided_at - first[s.student_id].submitted_at).total_seconds()
            / 86400
            for s in placed
        ]
        rows.append(
            Row(
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
        )
    return rows


def _female_share(placed: list[StudentFacts]) -> float | None:
    consented = [s for s in placed if s.gender is not None]
    if len(consented) < MIN_GROUP:
        return None
    return _ratio(sum(1 for s in consented if s.gender == "female"), len(consented))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
