"""The storage port: what bureau's handlers need from a projection store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from bureau.domain.matching import Offer, Student


class Store(Protocol):
    """Projections and ledgers; every write is idempotent by event or notification id."""

    async def record_offer(self, event_id: UUID, offer: Offer) -> bool:
        """Project an offer; False if this event was applied before."""
        ...

    async def record_student(self, event_id: UUID, student: Student) -> bool:
        """Project a student; False if this event was applied before."""
        ...

    async def students_matching(self, offer: Offer, limit: int) -> list[Student]:
        """Candidates for ``offer`` found by index: an accepted level and a shared skill."""
        ...

    async def offers_matching(self, student: Student, limit: int) -> list[Offer]:
        """Open offers for ``student`` found by index: its level and a shared skill."""
        ...

    async def unsent(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        """Return those of ``notification_ids`` not yet recorded as sent."""
        ...

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        """Record notifications as sent (idempotent)."""
        ...
