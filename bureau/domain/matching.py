"""The first matching rule: an eligible level and at least one shared skill.

Pure and synchronous: no I/O. The matching-engine work replaces the rule
(eligibility, score, reasons) without changing how it is called.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from bureau.schemas.common import Level

MATCH_NAMESPACE = uuid.UUID("6f1d7c3e-3c1a-4c55-9a59-3a4f0d2b8e10")
"""Namespace of suggestion ids; fixed forever so that a replay yields the same ids."""


@dataclass(frozen=True, kw_only=True)
class Offer:
    """An internship place as matching sees it."""

    offer_id: str
    company_id: str
    title: str
    levels: frozenset[Level]
    skills: frozenset[str]
    region: str
    capacity: int


@dataclass(frozen=True, kw_only=True)
class Student:
    """A pseudonymous student as matching sees it."""

    student_id: str
    school_id: str
    level: Level
    skills: frozenset[str]
    region: str
    consent: bool


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    """A student suggested for an offer, with a score and reasons a person can read."""

    suggestion_id: uuid.UUID
    offer_id: str
    company_id: str
    student_id: str
    school_id: str
    score: float
    reasons: tuple[str, ...]


def suggestion_id(offer_id: str, student_id: str) -> uuid.UUID:
    """Derive a suggestion's id from its cause, the (offer, student) pair."""
    return uuid.uuid5(MATCH_NAMESPACE, f"MatchSuggested/{offer_id}/{student_id}")


def suggest(offer: Offer, student: Student) -> Suggestion | None:
    """Return the suggestion of ``student`` for ``offer``, or None if they do not match."""
    if not student.consent or offer.capacity < 1 or student.level not in offer.levels:
        return None
    shared = sorted(offer.skills & student.skills)
    if not shared:
        return None
    reasons = (f"level {student.level.value} is accepted", f"shared skills: {', '.join(shared)}")
    return Suggestion(
        suggestion_id=suggestion_id(offer.offer_id, student.student_id),
        offer_id=offer.offer_id,
        company_id=offer.company_id,
        student_id=student.student_id,
        school_id=student.school_id,
        score=round(len(shared) / len(offer.skills), 4),
        reasons=reasons,
    )


def _ranked(suggestions: Iterable[Suggestion | None], limit: int) -> list[Suggestion]:
    found = [s for s in suggestions if s is not None]
    # Ties break on ids so that equal input always gives equal output.
    found.sort(key=lambda s: (-s.score, s.student_id, s.offer_id))
    return found[:limit]


def students_for_offer(offer: Offer, students: Iterable[Student], limit: int) -> list[Suggestion]:
    """Rank the students who match ``offer``, best first, at most ``limit``."""
    return _ranked((suggest(offer, s) for s in students), limit)


def offers_for_student(student: Student, offers: Iterable[Offer], limit: int) -> list[Suggestion]:
    """Rank the offers that match ``student``, best first, at most ``limit``."""
    return _ranked((suggest(o, student) for o in offers), limit)
