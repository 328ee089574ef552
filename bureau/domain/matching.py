"""Continuous matching: suggest eligible students for an offer and offers for a student.

Pure and synchronous: no I/O. Eligibility lives in ``eligibility``, the score and its
reasons in ``scoring``; this module ranks and names the suggestions. These functions
rank the candidates they are given (a full scan of them); ``index.CandidateIndex``
finds the same top-K without looking at every student.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha1

from bureau.domain.eligibility import (
    DEFAULT_RULES,
    Rules,
    offer_is_open,
    travel_km,
    why_ineligible,
)
from bureau.domain.model import Offer, Student
from bureau.domain.scoring import DEFAULT_WEIGHTS, OfferScorer, Weights, explain, score_value

__all__ = [
    "MATCH_NAMESPACE",
    "Offer",
    "Student",
    "Suggestion",
    "offers_for_student",
    "students_for_offer",
    "suggest",
    "suggestion_for",
    "suggestion_id",
    "told_id",
]

MATCH_NAMESPACE = uuid.UUID("6f1d7c3e-3c1a-4c55-9a59-3a4f0d2b8e10")
"""Namespace of suggestion ids; fixed forever so that a replay yields the same ids."""

_NAMESPACE = MATCH_NAMESPACE.bytes
_KEEP = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_5 = (0x8000 << 48) | (5 << 76)  # RFC 4122 variant, version 5: as uuid.uuid5 sets


def _uuid5(namespace: bytes, name: str) -> int:
    """``uuid.uuid5(namespace, name).int``.

    A told suggestion's id needs two of these (the pair's, then the versions' under it):
    this skips the UUID objects and the ``bytes`` property between them, a third of the
    cost.
    """
    digest = sha1(namespace + name.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:16]) & _KEEP | _VERSION_5


@dataclass(frozen=True, kw_only=True, slots=True)
class Suggestion:
    """A student suggested for an offer, with a score and reasons a person can read."""

    offer_id: str
    company_id: str
    student_id: str
    school_id: str
    score: float
    reasons: tuple[str, ...]


def suggestion_id(offer_id: str, student_id: str) -> uuid.UUID:
    """Derive a suggestion's id from its cause, the (offer, student) pair."""
    return uuid.UUID(int=_uuid5(_NAMESPACE, f"MatchSuggested/{offer_id}/{student_id}"))


def suggestion_for(
    offer: Offer,
    student: Student,
    weights: Weights = DEFAULT_WEIGHTS,
    scorer: OfferScorer | None = None,
) -> Suggestion:
    """The suggestion of a pair already known to be eligible (``scorer``: the offer's)."""
    score = explain(offer, student, weights, scorer)
    return Suggestion(
        offer_id=offer.offer_id,
        company_id=offer.company_id,
        student_id=student.student_id,
        school_id=student.school_id,
        score=score.value,
        reasons=score.reasons,
    )


def suggest(
    offer: Offer,
    student: Student,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    rules: Rules = DEFAULT_RULES,
) -> Suggestion | None:
    """Return the suggestion of ``student`` for ``offer``, or None if they do not match."""
    if why_ineligible(offer, student, rules) is not None:
        return None
    return suggestion_for(offer, student, weights)


def students_for_offer(
    offer: Offer,
    students: Iterable[Student],
    limit: int,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    rules: Rules = DEFAULT_RULES,
) -> list[Suggestion]:
    """Rank the students who match ``offer``, best first, at most ``limit``."""
    if limit < 1 or not offer_is_open(offer):
        return []
    scorer = OfferScorer(offer, weights)
    scored = [
        (-scorer.value(s, len(offer.skills & s.skills), travel_km(offer, s)), s.student_id, s)
        for s in students
        if why_ineligible(offer, s, rules) is None
    ]
    # Ties break on ids so that equal input always gives equal output.
    best = heapq.nsmallest(limit, scored, key=lambda t: (t[0], t[1]))
    return [suggestion_for(offer, s, weights, scorer) for _, _, s in best]


def offers_for_student(
    student: Student,
    offers: Iterable[Offer],
    limit: int,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    rules: Rules = DEFAULT_RULES,
) -> list[Suggestion]:
    """Rank the offers that match ``student``, best first, at most ``limit``."""
    if limit < 1 or not student.consent:
        return []
    scored = [
        (
            -score_value(
                o,
                student,
                shared=len(o.skills & student.skills),
                km=travel_km(o, student),
                weights=weights,
            ),
            o.offer_id,
            o,
        )
        for o in offers
        if why_ineligible(o, student, rules) is None
    ]
    best = heapq.nsmallest(limit, scored, key=lambda t: (t[0], t[1]))
    return [suggestion_for(o, student, weights) for _, _, o in best]


def told_id(offer_id: str, student_id: str, offer_version: int, student_version: int) -> uuid.UUID:
    """The id of a pair's suggestion made from these versions of the offer and student.

    Whichever side tells the pair, equal versions give the same id and the same body,
    so two workers racing to tell one pair publish one notification, not two.
    """
    pair = _uuid5(_NAMESPACE, f"MatchSuggested/{offer_id}/{student_id}")
    return uuid.UUID(int=_uuid5(pair.to_bytes(16), f"{offer_version}/{student_version}"))
