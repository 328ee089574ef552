"""Sealing an aggregate's outbox under each student's key, and shredding the key on erasure.

The pipeline seals every outbox before it commits it, and delivers what it committed:
so the copy at rest, the first delivery and every redelivery carry the same tokens
(nonces are synthetic: one value sealed twice under one key gives one token). Sealed:
the events of ``fields.EVENTS`` (MatchSuggested reasons; PlacementOutcome reason and
dates) and the views of ``fields.VIEWS`` (applications, placements). Left readable:
bureau's changelog records (entries with a ``table``), which every worker matches
from; those topics are compacted, and erasure writes the last record of the student.

A parked event rests sealed whole under the student it names (``park``) and is
opened only to be sent again (``unpark``, when an outbox is delivered): once the
student's key is gone it is never re-driven, and nobody can read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic_core import from_json, to_json

from bureau.adapters.store import Document
from bureau.privacy.fields import (
    EVENTS,
    VIEWS,
    owners,
    seal_in_place,
    seal_personal,
    student_named,
    unseal,
)
from bureau.privacy.keys import KeyMaking, KeyStore, write_keys


async def seal_bodies(bodies: Iterable[str], keys: KeyStore) -> dict[str, str]:
    """Events as JSON, each with its personal fields sealed (unchanged if it has none).

    The keys of all the students they name are asked for at once: an offer's twenty
    suggestions name twenty students, whose keys a cold cache fetches one round trip
    each.
    """
    # pydantic-core's JSON, not the standard library's: ~4x faster each way, once per
    # suggestion; the bytes are json.dumps(..., separators=(",", ":"), ensure_ascii=False)'s
    # (a test holds them to it).
    out: dict[str, str] = {}
    parsed: dict[str, tuple[dict[str, Any], str]] = {}
    for body in bodies:
        event = from_json(body)
        kind = event.get("event_type") if isinstance(event, dict) else None
        if isinstance(kind, str) and kind in EVENTS:
            parsed[body] = (event, kind)
        else:
            out[body] = body
    needed = set().union(*(owners(event, kind) for event, kind in parsed.values()))
    found = await write_keys(keys, needed)
    for body, (event, kind) in parsed.items():
        # The parsed event is ours alone: sealed where it lies, not copied first.
        out[body] = to_json(event).decode() if seal_in_place(event, kind, found) else body
    return out


class OutboxSealer:
    """Seals outbox entries with per-student keys; shreds a student's key on erasure."""

    def __init__(self, keys: KeyStore) -> None:
        """Seal with and shred in ``keys`` (a ``CachedKeyStore`` in a worker)."""
        self.keys = keys

    async def seal(self, outbox: Sequence[Document]) -> list[Document]:
        """The entries with their personal fields sealed; a shredded student's dropped."""
        values = {e["value"] for e in outbox if _publishes(e) and isinstance(e["value"], str)}
        bodies = await seal_bodies(values, self.keys)
        return [await self._entry(e, bodies) for e in outbox]

    async def shred(self, student_id: str) -> None:
        """Delete the student's key for good: every token sealed under it is noise."""
        await self.keys.delete(student_id)

    async def prepare(self, student_ids: Sequence[str]) -> None:
        """Make the keys of a poll batch's new students at once, and keep them at hand.

        Where the key store can make many at once (``KeyMaking``); the worker's cache
        (``CachedKeyStore``) then keeps them for the batch's sealing.
        """
        if student_ids and isinstance(self.keys, KeyMaking):
            await self.keys.get_or_create_many(student_ids)

    async def park(self, entry: Document) -> Document:
        """A parked event sealed whole under the student it names (as it is if none)."""
        value = entry.get("value")
        student = student_named(value) if isinstance(value, str) else None
        if student is None:
            return entry
        sealed = await seal_personal(entry, self.keys, kind="parked", student_id=student)
        return {**sealed, "student_id": student}

    async def unpark(self, outbox: Sequence[Document]) -> list[Document]:
        """Parked events opened for their re-drive; an erased student's are left out."""
        out: list[Document] = []
        for entry in outbox:
            if "topic" in entry and "value" not in entry:
                student = entry.get("student_id")
                entry = await unseal(entry, self.keys, kind="parked", student_id=student)
                if "value" not in entry:
                    continue  # the key is gone: nobody may read (or re-drive) it
            out.append(entry)
        return out

    async def _entry(self, entry: Document, bodies: dict[str, str]) -> Document:
        if "table" in entry:
            return entry
        view, doc = entry.get("view"), entry.get("doc")
        if isinstance(view, str) and view in VIEWS and doc is not None:
            return {**entry, "doc": await seal_personal(doc, self.keys, kind=view)}
        value = entry.get("value")
        if _publishes(entry) and isinstance(value, str):
            return {**entry, "value": bodies[value]}
        return entry


def _publishes(entry: Document) -> bool:
    """Whether an entry publishes a record (not a table's, which stays readable)."""
    return "table" not in entry and ("topic" in entry or "topics" in entry) and "value" in entry
