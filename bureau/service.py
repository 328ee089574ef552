"""Application service: turns a validated event into store writes and notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from bureau.adapters.store import Store
from bureau.domain.matching import (
    Offer,
    Student,
    Suggestion,
    offers_for_student,
    students_for_offer,
)
from bureau.schemas.envelope import Envelope
from bureau.schemas.matches import MatchSuggested, MatchSuggestedData
from bureau.schemas.offers import InternshipOffered, InternshipOfferedData
from bureau.schemas.students import StudentRegistered, StudentRegisteredData

log = structlog.get_logger(__name__)

BUREAU_SOURCE = "bureau"
CANDIDATE_LIMIT = 5000
"""Upper bound of candidates read per event before ranking."""


class Publish(Protocol):
    """Sends one notification; raises if the broker did not acknowledge it."""

    async def __call__(self, event: MatchSuggested) -> None:
        """Publish ``event``."""
        ...


def offer_from(d: InternshipOfferedData) -> Offer:
    """Map an offer event's data to the domain's offer."""
    return Offer(
        offer_id=d.offer_id,
        company_id=d.company_id,
        title=d.title,
        levels=d.levels,
        skills=d.skills,
        region=d.region,
        capacity=d.capacity,
    )


def student_from(d: StudentRegisteredData) -> Student:
    """Map a student event's data to the domain's student."""
    return Student(
        student_id=d.student_id,
        school_id=d.school_id,
        level=d.level,
        skills=d.skills,
        region=d.region,
        consent=d.consent,
    )


@dataclass(kw_only=True)
class Exchange:
    """Keeps the projections and sends match suggestions."""

    store: Store
    publish: Publish
    top_k: int = 20

    async def on_internship_offered(self, event: InternshipOffered) -> list[MatchSuggested]:
        """Project the offer and suggest its best students."""
        offer = offer_from(event.data)
        applied = await self.store.record_offer(event.event_id, offer)
        candidates = await self.store.students_matching(offer, CANDIDATE_LIMIT)
        return await self._notify(event, students_for_offer(offer, candidates, self.top_k), applied)

    async def on_student_registered(self, event: StudentRegistered) -> list[MatchSuggested]:
        """Project the student and suggest them for the best open offers."""
        student = student_from(event.data)
        applied = await self.store.record_student(event.event_id, student)
        offers = await self.store.offers_matching(student, CANDIDATE_LIMIT)
        return await self._notify(event, offers_for_student(student, offers, self.top_k), applied)

    async def _notify(
        self, cause: Envelope, suggestions: Sequence[Suggestion], applied: bool
    ) -> list[MatchSuggested]:
        # Even a duplicate event re-checks the ledger: a crash between the projection
        # write and the publish must not lose the notifications.
        unsent = await self.store.unsent([s.suggestion_id for s in suggestions])
        sent = [_notification(cause, s) for s in suggestions if s.suggestion_id in unsent]
        for event in sent:
            await self.publish(event)
        # Recorded only after the broker acknowledged: a crash in between re-sends the
        # same ids, which readers deduplicate, instead of losing them.
        await self.store.mark_sent([e.event_id for e in sent])
        log.info("event_applied", duplicate=not applied, suggestions=len(sent))
        return sent


def _notification(cause: Envelope, s: Suggestion) -> MatchSuggested:
    # Every field derives from the cause, so a replay re-creates identical bytes.
    return MatchSuggested(
        event_id=s.suggestion_id,
        occurred_at=cause.occurred_at,
        source=BUREAU_SOURCE,
        data=MatchSuggestedData(
            offer_id=s.offer_id,
            company_id=s.company_id,
            student_id=s.student_id,
            school_id=s.school_id,
            score=s.score,
            reasons=s.reasons,
        ),
    )
