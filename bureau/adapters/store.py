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
    fields: frozenset[str] = frozenset()
    """Names of the top-level query fields it was stored with."""


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
        previous: Stored | None,
        event_id: UUID,
        state: Document,
        fields: Mapping[str, Any],
        outbox: Sequence[Document],
        also_applied: Sequence[UUID] = (),
    ) -> None:
        """Write the new state, the event id and the outbox in one single-document write.

        ``also_applied`` are ids of events the decision itself emitted onto this
        aggregate's topic: reading them back must change nothing.

        ``fields`` replace the top-level query fields (those of ``previous`` that are
        not among them are removed). Raises ConcurrentWriteError unless the stored
        aggregate is still at ``previous``'s version (``None``: not yet stored).
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

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Return the documents with these ``_id``s (missing ones are left out)."""
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

    async def claim(self, notifications: Mapping[UUID, str]) -> dict[UUID, str]:
        """Record each notification's body unless its id is recorded already.

        Returns the recorded body of each of them not yet marked sent: whoever records
        an id first decides its bytes, so one id never goes out with two bodies.
        """
        ...

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        """Mark recorded notifications as delivered (idempotent)."""
        ...
