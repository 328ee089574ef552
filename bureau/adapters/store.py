"""The storage port: aggregates written once per event by ``_id``, views, and queries.

On the event path the store is read and written by ``_id`` only: one ``load`` and one
``commit`` per event (``park`` and ``put_view`` where a rule needs them). ``find`` is
for queries (statistics, pages, a round's close), never for an event's hot path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Document = dict[str, Any]


class ConcurrentWriteError(Exception):
    """Another writer changed the aggregate since it was loaded; load and decide again."""


@dataclass(frozen=True)
class Stored:
    """An aggregate as stored.

    ``state`` is None for a placeholder that only holds events parked for it.
    ``seen`` is the bounded record of applied events (see ``service.pipeline``);
    ``outbox`` what the last applied event sends; ``parked`` events waiting for it.
    """

    state: Document | None
    version: int
    seen: Document
    outbox: tuple[Document, ...] = ()
    parked: tuple[Document, ...] = ()
    fields: Mapping[str, Any] | None = None
    """The top-level query fields it was stored with."""


@dataclass(frozen=True)
class Commit:
    """One aggregate's write for ``commit_many``: ``commit``'s arguments, and the version.

    ``version`` is the one written: ``previous``'s plus the events applied since, so a
    batch that applied three events to an aggregate writes it once, three versions on.
    """

    key: str
    previous: Stored | None
    state: Document
    fields: Mapping[str, Any]
    seen: Document
    outbox: Sequence[Document]
    version: int


class Store(Protocol):
    """What the exchange needs from a projection store."""

    async def load(self, kind: str, key: str) -> Stored | None:
        """Return the aggregate ``kind``/``key``, or None if nothing is stored under it."""
        ...

    async def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Stored]:
        """``load`` for many keys in one call (one round trip of time); missing keys left out."""
        ...

    async def commit(
        self,
        kind: str,
        key: str,
        *,
        previous: Stored | None,
        state: Document,
        fields: Mapping[str, Any],
        seen: Document,
        outbox: Sequence[Document],
    ) -> None:
        """Write state, seen-record and outbox in one single-document write; clear parked.

        ``fields`` replace the top-level query fields (those of ``previous`` that are
        not among them are removed). Raises ConcurrentWriteError unless the stored
        aggregate is still at ``previous``'s version (``None``: nothing stored yet).
        """
        ...

    async def commit_many(self, kind: str, commits: Sequence[Commit]) -> None:
        """``commit`` for many aggregates of ``kind``, in one round trip.

        Each is checked against its ``previous`` version on its own and the others are
        written anyway; then ConcurrentWriteError is raised if any was refused.
        """
        ...

    async def park(self, kind: str, key: str, entry: Document) -> None:
        """Keep ``entry`` (an event) on aggregate ``kind``/``key`` until it exists.

        Idempotent: the same entry twice is kept once. Creates a placeholder when
        nothing is stored, and moves the version on, so a concurrent commit retries.
        """
        ...

    async def parked(self, kind: str) -> list[tuple[str, list[Document]]]:
        """Aggregates of ``kind`` with events parked on them, with those (expiry sweep)."""
        ...

    async def unpark(self, kind: str, key: str, entry: Document) -> None:
        """Take one parked ``entry`` off ``kind``/``key`` (it expired); moves the version."""
        ...

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Replace (or with None delete) one document of a derived view."""
        ...

    async def put_views(self, view: str, docs: Mapping[str, Document | None]) -> None:
        """``put_view`` for many keys of one view, in one round trip."""
        ...

    async def insert_view(self, view: str, key: str, doc: Document) -> None:
        """Add a document to an append-only view; an existing ``key`` is left as it is."""
        ...

    async def insert_views(self, view: str, docs: Sequence[tuple[str, Document]]) -> None:
        """``insert_view`` for many documents, in one round trip."""
        ...

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Return the documents whose fields equal ``where``'s, in ``_id`` order (queries)."""
        ...

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Return the documents with these ``_id``s (missing ones are left out)."""
        ...
