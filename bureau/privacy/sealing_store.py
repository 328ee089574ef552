"""A store decorator that seals personal fields at rest and opens them on the way back.

Wrapping the store port (``SealingStore(MongoStore(...), keys)``) and the publisher
(``sealing_publisher(publish, keys)``) seals, without a change to the service's
logic: the views of ``fields.VIEWS`` and their copies in an aggregate's outbox, the
events of ``fields.EVENTS`` in an outbox, in the notification ledger and on their
topics, parked events, and each student's round preferences. Reads of those views
and of parked events come back opened; what a shredded key sealed comes back
without those fields. Aggregate states are left alone (the domain reads them;
erasure scrubs them).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from bureau.adapters.store import Document, Store, Stored
from bureau.privacy.crypto import is_token
from bureau.privacy.fields import (
    BY_STUDENT,
    EVENTS,
    VIEWS,
    seal_by_student,
    seal_personal,
    student_named,
    unseal,
    unseal_by_student,
    unseal_many,
)
from bureau.privacy.keys import KeyStore


async def seal_body(body: str, keys: KeyStore) -> str:
    """An event as JSON with its personal fields sealed (unchanged if it has none)."""
    event = json.loads(body)
    if not isinstance(event, dict) or event.get("event_type") not in EVENTS:
        return body
    sealed = await seal_personal(event, keys)
    if sealed == event:
        return body
    return json.dumps(sealed, separators=(",", ":"), ensure_ascii=False)


Publish = Callable[[str, bytes, bytes | None], Awaitable[None]]


def sealing_publisher(publish: Publish, keys: KeyStore) -> Publish:
    """Wrap the service's publish: events of ``fields.EVENTS`` leave bureau sealed.

    The outbox is delivered from memory right after the commit, so sealing it in the
    store alone would not reach the first delivery; sealing is idempotent, so what the
    store sealed already goes out byte for byte.
    """

    async def sealed(topic: str, key: bytes, value: bytes | None) -> None:
        if value is not None:
            value = (await seal_body(value.decode(), keys)).encode()
        await publish(topic, key, value)

    return sealed


class SealingStore:
    """The store port, with personal fields sealed under each student's key at rest."""

    def __init__(self, inner: Store, keys: KeyStore) -> None:
        """Wrap ``inner``; seal and open with ``keys``."""
        self.inner = inner
        self.keys = keys

    def __getattr__(self, name: str) -> Any:
        # Everything that carries no personal field passes through unchanged.
        return getattr(self.inner, name)

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
        """Commit with the outbox's events and views sealed (the state as it is)."""
        sealed = [await self._seal_entry(e) for e in outbox]
        await self.inner.commit(
            kind,
            key,
            previous=previous,
            event_id=event_id,
            state=state,
            fields=fields,
            outbox=sealed,
            also_applied=also_applied,
        )

    async def load(self, kind: str, key: str) -> Stored | None:
        """Load an aggregate; its outbox stays sealed (it is delivered as it is)."""
        return await self.inner.load(kind, key)

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Write a view document, sealed if the view holds personal fields."""
        await self.inner.put_view(
            view, key, None if doc is None else await self._seal_view(view, doc)
        )

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Find documents, opened (their keys fetched at once)."""
        return await self._open_views(collection, await self.inner.find(collection, where))

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Get documents by id, opened (their keys fetched at once)."""
        return await self._open_views(collection, await self.inner.get_many(collection, ids))

    async def park(self, ref: str, event_id: UUID, entry: Document) -> None:
        """Park an event sealed whole under the student it names (if it names one)."""
        student = student_named(entry.get("value", ""))
        if student is not None:
            sealed = await seal_personal(entry, self.keys, kind="parked", student_id=student)
            entry = {**sealed, "student_id": student}
        await self.inner.park(ref, event_id, entry)

    async def parked(self, ref: str) -> list[Document]:
        """Events waiting for ``ref``, opened; one whose student was erased is left out."""
        out = []
        for entry in await self.inner.parked(ref):
            if "sealed" in entry:
                student = entry.get("student_id")
                entry = await unseal(entry, self.keys, kind="parked", student_id=student)
            if "value" in entry:
                out.append(entry)
        return out

    async def claim(self, notifications: Mapping[UUID, str]) -> dict[UUID, str]:
        """Record the notifications sealed; the recorded (sealed) bodies come back."""
        sealed = {i: await self._seal_body(body) for i, body in notifications.items()}
        return await self.inner.claim(sealed)

    async def _seal_entry(self, entry: Document) -> Document:
        if "view" in entry and entry.get("doc") is not None:
            return {**entry, "doc": await self._seal_view(entry["view"], entry["doc"])}
        if "value" in entry:
            return {**entry, "value": await self._seal_body(entry["value"])}
        return entry

    async def _seal_body(self, body: str) -> str:
        return await seal_body(body, self.keys)

    async def _seal_view(self, view: str, doc: Document) -> Document:
        if view in BY_STUDENT:
            field = BY_STUDENT[view]
            entries = json.loads(doc[field])
            plain = {s: v for s, v in entries.items() if not is_token(v)}
            sealed = await seal_by_student(plain, self.keys)
            kept = {s: v for s, v in entries.items() if is_token(v)}
            return {**doc, field: json.dumps(kept | sealed, sort_keys=True)}
        if view in VIEWS:
            return await seal_personal(doc, self.keys, kind=view)
        return doc

    async def _open_views(self, view: str, docs: list[Document]) -> list[Document]:
        if view in BY_STUDENT:
            field = BY_STUDENT[view]
            return [
                {
                    **d,
                    field: json.dumps(
                        await unseal_by_student(json.loads(d[field]), self.keys), sort_keys=True
                    ),
                }
                for d in docs
            ]
        if view in VIEWS:
            return await unseal_many(docs, self.keys, kind=view)
        return docs
