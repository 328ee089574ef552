"""What the pipeline asks of sealing (``bureau.privacy.outbox.OutboxSealer``), and none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bureau.adapters.store import Document


class Sealer(Protocol):
    """Seals an outbox's personal fields before it is committed; shreds a student's key."""

    async def seal(self, outbox: Sequence[Document]) -> list[Document]:
        """Return the entries with their personal fields sealed."""
        ...

    async def shred(self, student_id: str) -> None:
        """Make everything sealed for the student unreadable, for good."""
        ...

    async def park(self, entry: Document) -> Document:
        """Return a parked entry sealed whole under the student its event names."""
        ...

    async def unpark(self, outbox: Sequence[Document]) -> list[Document]:
        """Open sealed parked entries for delivery; leave out those nobody can open."""
        ...

    async def prepare(self, student_ids: Sequence[str]) -> None:
        """Make the keys of new students (a batch's registrations) at once."""
        ...


class Plain:
    """No sealing (unit tests of other rooms, the demo)."""

    async def seal(self, outbox: Sequence[Document]) -> list[Document]:
        """Return the entries as they are."""
        return list(outbox)

    async def shred(self, student_id: str) -> None:
        """Nothing was sealed: nothing to shred."""

    async def park(self, entry: Document) -> Document:
        """Return the entry as it is."""
        return entry

    async def unpark(self, outbox: Sequence[Document]) -> list[Document]:
        """Return the entries as they are."""
        return list(outbox)

    async def prepare(self, student_ids: Sequence[str]) -> None:
        """Nothing is sealed: no key is needed."""
