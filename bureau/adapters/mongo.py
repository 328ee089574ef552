"""The MongoDB projections, through PyMongo's async API (Motor is deprecated).

This is the only module that imports the driver: changing driver is a one-file change.
It also runs on FerretDB 1.x, so it avoids transactions, change streams and
``$lookup``; every write touches one document, which is atomic there too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from bureau.domain.matching import Offer, Student
from bureau.schemas.common import Level

Document = dict[str, Any]
_DUPLICATE_KEY = 11000


class MongoStore:
    """Projections ``offers`` and ``students`` and the ``notifications`` ledger."""

    def __init__(self, url: str, database: str, *, timeout_ms: int = 5000) -> None:
        """Create the client; it connects lazily on first use."""
        # A short server-selection timeout turns a store outage into a quick, retried
        # failure instead of a 30 s stall per message.
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, serverSelectionTimeoutMS=timeout_ms, uuidRepresentation="standard"
        )
        self.db: AsyncDatabase[Document] = self._client[database]
        self.offers: AsyncCollection[Document] = self.db["offers"]
        self.students: AsyncCollection[Document] = self.db["students"]
        self.notifications: AsyncCollection[Document] = self.db["notifications"]

    async def ensure_indexes(self) -> None:
        """Create the indexes candidate generation uses; safe to call on every start."""
        await self.students.create_index([("level", ASCENDING), ("skills", ASCENDING)])
        await self.offers.create_index([("skills", ASCENDING)])

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def _apply(
        self, collection: AsyncCollection[Document], key: str, event_id: UUID, fields: Document
    ) -> bool:
        # The event id is recorded in the same single-document write as its effect: if
        # it is already there the filter misses, the upsert collides on _id, and the
        # duplicate-key error means "already done".
        try:
            await collection.update_one(
                {"_id": key, "applied": {"$ne": str(event_id)}},
                {"$set": fields, "$addToSet": {"applied": str(event_id)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def record_offer(self, event_id: UUID, offer: Offer) -> bool:
        """Project an offer; False if this event was applied before."""
        return await self._apply(self.offers, offer.offer_id, event_id, _offer_doc(offer))

    async def record_student(self, event_id: UUID, student: Student) -> bool:
        """Project a student; False if this event was applied before."""
        return await self._apply(self.students, student.student_id, event_id, _student_doc(student))

    async def students_matching(self, offer: Offer, limit: int) -> list[Student]:
        """Candidates for ``offer`` by the (level, skills) index."""
        query = {
            "level": {"$in": sorted(level.value for level in offer.levels)},
            "skills": {"$in": sorted(offer.skills)},
            "consent": True,
        }
        cursor = self.students.find(query).sort("_id", ASCENDING).limit(limit)
        return [_student(doc) async for doc in cursor]

    async def offers_matching(self, student: Student, limit: int) -> list[Offer]:
        """Open offers for ``student`` by the skills index."""
        query = {
            "skills": {"$in": sorted(student.skills)},
            "levels": student.level.value,
            "capacity": {"$gt": 0},
        }
        cursor = self.offers.find(query).sort("_id", ASCENDING).limit(limit)
        return [_offer(doc) async for doc in cursor]

    async def unsent(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        """Return those of ``notification_ids`` not yet in the ledger."""
        wanted = [str(i) for i in notification_ids]
        cursor = self.notifications.find({"_id": {"$in": wanted}}, {"_id": 1})
        sent = {doc["_id"] async for doc in cursor}
        return {i for i in notification_ids if str(i) not in sent}

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        """Record notifications as sent; ids already there are left alone."""
        if not notification_ids:
            return
        ops = [
            UpdateOne({"_id": str(i)}, {"$setOnInsert": {"_id": str(i)}}, upsert=True)
            for i in notification_ids
        ]
        try:
            await self.notifications.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            # Two writers may upsert one id at once; the loser's collision is harmless.
            if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise


def _offer_doc(offer: Offer) -> Document:
    return {
        "company_id": offer.company_id,
        "title": offer.title,
        "levels": sorted(level.value for level in offer.levels),
        "skills": sorted(offer.skills),
        "region": offer.region,
        "capacity": offer.capacity,
    }


def _student_doc(student: Student) -> Document:
    return {
        "school_id": student.school_id,
        "level": student.level.value,
        "skills": sorted(student.skills),
        "region": student.region,
        "consent": student.consent,
    }


def _offer(doc: Mapping[str, Any]) -> Offer:
    return Offer(
        offer_id=doc["_id"],
        company_id=doc["company_id"],
        title=doc["title"],
        levels=frozenset(Level(v) for v in doc["levels"]),
        skills=frozenset(doc["skills"]),
        region=doc["region"],
        capacity=doc["capacity"],
    )


def _student(doc: Mapping[str, Any]) -> Student:
    return Student(
        student_id=doc["_id"],
        school_id=doc["school_id"],
        level=Level(doc["level"]),
        skills=frozenset(doc["skills"]),
        region=doc["region"],
        consent=doc["consent"],
    )
