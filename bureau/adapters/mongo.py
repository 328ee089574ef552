"""The MongoDB projections, through PyMongo's async API (Motor is deprecated).

This is the only module that imports the driver: changing driver is a one-file change.
It also runs on FerretDB 1.x, so it avoids transactions, change streams and
``$lookup``: every write touches one document, which is atomic there too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from bureau.adapters.store import ConcurrentWriteError, Document, Stored
from bureau.domain.matching import Offer, Student
from bureau.schemas.common import Level, Period

_DUPLICATE_KEY = 11000
_INTERNAL = frozenset({"_id", "state", "version", "applied", "outbox"})


class MongoStore:
    """Aggregates, derived views, parked events and the notification ledger."""

    def __init__(self, url: str, database: str, *, timeout_ms: int = 5000) -> None:
        """Create the client; it connects lazily on first use."""
        # A short server-selection timeout turns a store outage into a quick, retried
        # failure instead of a 30 s stall per message.
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, serverSelectionTimeoutMS=timeout_ms, uuidRepresentation="standard"
        )
        self.db: AsyncDatabase[Document] = self._client[database]

    def __getitem__(self, name: str) -> AsyncCollection[Document]:
        """Return the collection ``name``."""
        return self.db[name]

    async def ensure_indexes(self) -> None:
        """Create the indexes candidate generation and re-driving use; safe on every start."""
        await self.db["students"].create_index([("level", ASCENDING), ("skills", ASCENDING)])
        await self.db["offers"].create_index([("skills", ASCENDING)])
        await self.db["parked"].create_index([("ref", ASCENDING), ("seq", ASCENDING)])

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def load(self, kind: str, key: str) -> Stored | None:
        """Return the aggregate ``kind``/``key``, or None if it does not exist."""
        doc = await self.db[kind].find_one({"_id": key})
        if doc is None:
            return None
        return Stored(
            state=doc["state"],
            version=doc["version"],
            applied=frozenset(doc.get("applied", ())),
            outbox=tuple(doc.get("outbox", ())),
            fields=frozenset(doc) - _INTERNAL,
        )

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
        """Write state, event id and outbox in one single-document, version-checked write."""
        version = previous.version if previous else 0
        applied = [str(i) for i in (event_id, *also_applied)]
        new = {**fields, "state": state, "version": version + 1, "outbox": list(outbox)}
        if previous is None:
            try:
                await self.db[kind].insert_one({"_id": key, **new, "applied": applied})
            except DuplicateKeyError as exc:
                raise ConcurrentWriteError(f"{kind}/{key} was created meanwhile") from exc
            return
        update: Document = {"$set": new, "$push": {"applied": {"$each": applied}}}
        # Fields the new state no longer has must go (an erasure removes the profile).
        stale = previous.fields - set(fields)
        if stale:
            update["$unset"] = dict.fromkeys(sorted(stale), "")
        result = await self.db[kind].update_one({"_id": key, "version": version}, update)
        if result.matched_count == 0:
            raise ConcurrentWriteError(f"{kind}/{key} changed since version {version}")

    async def clear_outbox(self, kind: str, key: str, version: int) -> None:
        """Empty the outbox, unless a newer write replaced it meanwhile."""
        await self.db[kind].update_one({"_id": key, "version": version}, {"$set": {"outbox": []}})

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Replace (or with None delete) one document of a derived view."""
        if doc is None:
            await self.db[view].delete_one({"_id": key})
        else:
            await self.db[view].replace_one({"_id": key}, doc, upsert=True)

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Return the documents whose fields equal ``where``'s, in ``_id`` order."""
        return await self.db[collection].find(dict(where)).sort("_id", ASCENDING).to_list()

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Return the documents with these ``_id``s (missing ones are left out)."""
        return await self.db[collection].find({"_id": {"$in": list(ids)}}).to_list()

    async def park(self, ref: str, event_id: UUID, entry: Document) -> None:
        """Keep an event until ``ref`` exists; parking it twice keeps one copy."""
        # Events of one aggregate are parked by one consumer, in order: a clock suffices.
        await self.db["parked"].update_one(
            {"_id": str(event_id)},
            {"$setOnInsert": {**entry, "ref": ref, "seq": time.time_ns()}},
            upsert=True,
        )

    async def parked(self, ref: str) -> list[Document]:
        """Return the events waiting for ``ref``, oldest first."""
        return await self.db["parked"].find({"ref": ref}).sort("seq", ASCENDING).to_list()

    async def unpark(self, event_ids: Sequence[str]) -> None:
        """Forget parked events once they were re-driven."""
        if event_ids:
            await self.db["parked"].delete_many({"_id": {"$in": list(event_ids)}})

    async def students_matching(self, offer: Offer, limit: int) -> list[Student]:
        """Candidates for ``offer`` by the (level, skills) index."""
        query = {
            "level": {"$in": sorted(level.value for level in offer.levels)},
            "skills": {"$in": sorted(offer.skills)},
            "consent": True,
        }
        cursor = self.db["students"].find(query).sort("_id", ASCENDING).limit(limit)
        return [student_from_fields(doc) async for doc in cursor]

    async def offers_matching(self, student: Student, limit: int) -> list[Offer]:
        """Open offers for ``student`` by the skills index."""
        query = {
            "skills": {"$in": sorted(student.skills)},
            "levels": student.level.value,
            "capacity": {"$gt": 0},
        }
        cursor = self.db["offers"].find(query).sort("_id", ASCENDING).limit(limit)
        return [offer_from_fields(doc) async for doc in cursor]

    async def claim(self, notifications: Mapping[UUID, str]) -> dict[UUID, str]:
        """Record bodies first-writer-wins; return the recorded bodies not yet sent."""
        if not notifications:
            return {}
        ops = [
            UpdateOne({"_id": str(i)}, {"$setOnInsert": {"body": b, "sent": False}}, upsert=True)
            for i, b in notifications.items()
        ]
        try:
            await self.db["notifications"].bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            # Two writers may upsert one id at once; the loser's collision is harmless.
            if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
        wanted = {"_id": {"$in": [str(i) for i in notifications]}, "sent": False}
        return {UUID(d["_id"]): d["body"] async for d in self.db["notifications"].find(wanted)}

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        """Mark recorded notifications as delivered."""
        if notification_ids:
            await self.db["notifications"].update_many(
                {"_id": {"$in": [str(i) for i in notification_ids]}}, {"$set": {"sent": True}}
            )


def offer_from_fields(doc: Mapping[str, Any]) -> Offer:
    """Build the matching view of an offer from its top-level query fields."""
    return Offer(
        offer_id=doc["_id"],
        company_id=doc["company_id"],
        title=doc["title"],
        levels=frozenset(Level(v) for v in doc["levels"]),
        skills=frozenset(doc["skills"]),
        region=doc["region"],
        capacity=doc["capacity"],
        period=Period.model_validate(period) if (period := doc.get("period")) else None,
        remote=doc.get("remote", False),
        themes=frozenset(doc.get("themes", ())),
    )


def student_from_fields(doc: Mapping[str, Any]) -> Student:
    """Build the matching view of a student from its top-level query fields."""
    return Student(
        student_id=doc["_id"],
        school_id=doc["school_id"],
        level=Level(doc["level"]),
        skills=frozenset(doc["skills"]),
        region=doc["region"],
        consent=doc["consent"],
        available=Period.model_validate(available) if (available := doc.get("available")) else None,
        themes=frozenset(doc.get("themes", ())),
    )
