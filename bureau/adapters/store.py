"""The storage port: aggregates with version-checked commits, views, parking, ledger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from bureau.domain.matching import Offer, Student

Document = dict[str, Any]


class ConcurrentWriteError(Exception):
    """Another writer changed the aggregate since it was loaded; load and decide again."""


@dataclass(frozen=True)
class Stored:
    """An aggregate as stored: its state, version, applied event ids and unsent outbox."""

    state: Document
    version: int
    applied: frozenset[str]
    outbox: tuple[Document, ...]


class Store(Protocol):
    """What the exchange needs from a projection store."""

    async def load(self, kind: str, key: str) -> Stored | None:
        """Return the aggregate ``kind``/``key``, or None if it does not exist."""
        ...

    async def commit(
        self,
        kind: str,
        key: str,
        *,
        expected_version: int,
        event_id: UUID,
        state: Document,
        fields: Mapping[str, Any],
        outbox: Sequence[Document],
    ) -> None:
        """Write the new state, the event id and the outbox in one single-document write.

        ``fields`` are copied to the top level for queries. Raises ConcurrentWriteError
        unless the stored version is still ``expected_version`` (0: not yet stored).
        """
        ...

    async def clear_outbox(self, kind: str, key: str, version: int) -> None:
        """Empty the outbox once everything in it was delivered."""
        ...

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Replace (or with None delete) one document of a derived view."""
        ...

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Return the documents whose fields equal ``where``'s, in ``_id`` order."""
        ...

    async def park(self, ref: str, event_id: UUID, entry: Document) -> None:
        """Keep an event until ``ref`` exists (idempotent by event id)."""
        ...

    async def parked(self, ref: str) -> list[Document]:
        """Return the events waiting for ``ref``, oldest first."""
        ...

    async def unpark(self, event_ids: Sequence[str]) -> None:
        """Forget parked events once they were re-driven."""
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
