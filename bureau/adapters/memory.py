"""An in-memory store for unit tests; it passes the same contract suite as MongoDB."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from bureau.adapters.mongo import offer_from_fields, student_from_fields
from bureau.adapters.store import ConcurrentWriteError, Document, Stored
from bureau.domain.matching import Offer, Student


class InMemoryStore:
    """Dicts of documents standing in for collections; single-threaded, like one consumer."""

    def __init__(self) -> None:
        """Start empty."""
        self.collections: dict[str, dict[str, Document]] = {}
        self._seq = itertools.count()

    def __getitem__(self, name: str) -> dict[str, Document]:
        """Return the collection ``name`` as a dict by ``_id``."""
        return self.collections.setdefault(name, {})

    async def load(self, kind: str, key: str) -> Stored | None:
        """Return the aggregate ``kind``/``key``, or None if it does not exist."""
        doc = self[kind].get(key)
        if doc is None:
            return None
        return Stored(
            state=copy.deepcopy(doc["state"]),
            version=doc["version"],
            applied=frozenset(doc["applied"]),
            outbox=tuple(copy.deepcopy(doc["outbox"])),
            fields=frozenset(doc) - {"_id", "state", "version", "applied", "outbox"},
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
        """Write state, event id and outbox at once, if the version is still expected."""
        old = self[kind].get(key)
        expected_version = previous.version if previous else 0
        if (old["version"] if old else 0) != expected_version:
            raise ConcurrentWriteError(f"{kind}/{key} changed since version {expected_version}")
        applied = [*(old["applied"] if old else []), *(str(i) for i in (event_id, *also_applied))]
        self[kind][key] = copy.deepcopy(
            {
                "_id": key,
                **fields,
                "state": state,
                "version": expected_version + 1,
                "applied": applied,
                "outbox": list(outbox),
            }
        )

    async def clear_outbox(self, kind: str, key: str, version: int) -> None:
        """Empty the outbox, unless a newer write replaced it meanwhile."""
        doc = self[kind].get(key)
        if doc is not None and doc["version"] == version:
            doc["outbox"] = []

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Replace (or with None delete) one document of a derived view."""
        if doc is None:
            self[view].pop(key, None)
        else:
            self[view][key] = copy.deepcopy({**doc, "_id": key})

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Return the documents whose fields equal ``where``'s, in ``_id`` order."""
        docs = sorted(self[collection].values(), key=lambda d: d["_id"])
        return [copy.deepcopy(d) for d in docs if all(d.get(k) == v for k, v in where.items())]

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Return the documents with these ``_id``s (missing ones are left out)."""
        docs = self[collection]
        return [copy.deepcopy(docs[i]) for i in ids if i in docs]

    async def park(self, ref: str, event_id: UUID, entry: Document) -> None:
        """Keep an event until ``ref`` exists; parking it twice keeps one copy."""
        self["parked"].setdefault(
            str(event_id), {**entry, "_id": str(event_id), "ref": ref, "seq": next(self._seq)}
        )

    async def parked(self, ref: str) -> list[Document]:
        """Return the events waiting for ``ref``, oldest first."""
        found = [d for d in self["parked"].values() if d["ref"] == ref]
        return sorted(found, key=lambda d: d["seq"])

    async def unpark(self, event_ids: Sequence[str]) -> None:
        """Forget parked events once they were re-driven."""
        for event_id in event_ids:
            self["parked"].pop(event_id, None)

    async def students_matching(self, offer: Offer, limit: int) -> list[Student]:
        """Candidates for ``offer``: an accepted level and a shared skill."""
        levels = {level.value for level in offer.levels}
        found = [
            student_from_fields(d)
            for d in sorted(self["students"].values(), key=lambda d: d["_id"])
            if d.get("consent") and d.get("level") in levels and set(d["skills"]) & offer.skills
        ]
        return found[:limit]

    async def offers_matching(self, student: Student, limit: int) -> list[Offer]:
        """Open offers for ``student``: its level and a shared skill."""
        found = [
            offer_from_fields(d)
            for d in sorted(self["offers"].values(), key=lambda d: d["_id"])
            if d["capacity"] > 0
            and student.level.value in d["levels"]
            and set(d["skills"]) & student.skills
        ]
        return found[:limit]

    async def claim(self, notifications: Mapping[UUID, str]) -> dict[UUID, str]:
        """Record bodies first-writer-wins; return the recorded bodies not yet sent."""
        ledger = self["notifications"]
        for i, body in notifications.items():
            ledger.setdefault(str(i), {"_id": str(i), "body": body, "sent": False})
        return {i: ledger[str(i)]["body"] for i in notifications if not ledger[str(i)]["sent"]}

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        """Mark recorded notifications as delivered."""
        for i in notification_ids:
            self["notifications"][str(i)]["sent"] = True
