"""An in-memory store for unit tests; it passes the same contract suite as MongoDB."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from bureau.domain.matching import Offer, Student


class InMemoryStore:
    """Dicts standing in for the projections; single-threaded, like one consumer."""

    def __init__(self) -> None:
        """Start empty."""
        self.offers: dict[str, Offer] = {}
        self.students: dict[str, Student] = {}
        self.sent: set[UUID] = set()
        self._applied: dict[str, set[UUID]] = {}

    def _apply(self, key: str, event_id: UUID) -> bool:
        applied = self._applied.setdefault(key, set())
        if event_id in applied:
            return False
        applied.add(event_id)
        return True

    async def record_offer(self, event_id: UUID, offer: Offer) -> bool:
        """Project an offer; False if this event was applied before."""
        if not self._apply(f"offer/{offer.offer_id}", event_id):
            return False
        self.offers[offer.offer_id] = offer
        return True

    async def record_student(self, event_id: UUID, student: Student) -> bool:
        """Project a student; False if this event was applied before."""
        if not self._apply(f"student/{student.student_id}", event_id):
            return False
        self.students[student.student_id] = student
        return True

    async def students_matching(self, offer: Offer, limit: int) -> list[Student]:
        """Candidates for ``offer``: an accepted level and a shared skill."""
        found = [
            s
            for s in sorted(self.students.values(), key=lambda s: s.student_id)
            if s.consent and s.level in offer.levels and s.skills & offer.skills
        ]
        return found[:limit]

    async def offers_matching(self, student: Student, limit: int) -> list[Offer]:
        """Open offers for ``student``: its level and a shared skill."""
        found = [
            o
            for o in sorted(self.offers.values(), key=lambda o: o.offer_id)
            if o.capacity > 0 and student.level in o.levels and o.skills & student.skills
        ]
        return found[:limit]

    async def unsent(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        """Return those of ``notification_ids`` not yet recorded as sent."""
        return set(notification_ids) - self.sent

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        """Record notifications as sent."""
        self.sent.update(notification_ids)
