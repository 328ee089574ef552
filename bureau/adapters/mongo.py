"""The MongoDB projections, through PyMongo's async API (Motor is deprecated).

This is the only module that imports the driver: changing driver is a one-file change.
It also runs on FerretDB 1.x, so it avoids transactions, change streams and
``$lookup``: every write touches one document, which is atomic there too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pymongo import ASCENDING, AsyncMongoClient, DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from bureau.adapters.store import Commit, ConcurrentWriteError, Document, Stored

_INTERNAL = frozenset({"_id", "state", "version", "seen", "outbox", "parked"})


_DUPLICATE_KEY = 11000


def _written(c: Commit) -> Document:
    """The document ``c`` writes (without ``_id``)."""
    return {
        **c.fields,
        "state": c.state,
        "version": c.version,
        "seen": c.seen,
        "outbox": list(c.outbox),
        "parked": [],
    }


def _update(c: Commit, previous: Stored) -> tuple[Document, Document]:
    """Filter and update of a version-checked write over ``previous``."""
    update: Document = {"$set": _written(c)}
    # Fields the new state no longer has must go (an erasure removes the profile).
    stale = set(previous.fields or ()) - set(c.fields)
    if stale:
        update["$unset"] = dict.fromkeys(sorted(stale), "")
    return {"_id": c.key, "version": previous.version}, update


def _write(c: Commit) -> InsertOne[Document] | UpdateOne:
    """``c`` as a bulk write operation: an insert when nothing was stored."""
    if c.previous is None:
        return InsertOne({"_id": c.key, **_written(c)})
    return UpdateOne(*_update(c, c.previous))


class MongoStore:
    """Aggregates (with their parked events and outboxes) and derived views."""

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
        """Create the indexes queries use (never the event path); safe on every start."""
        await self.db["round_inputs"].create_index([("round_id", ASCENDING)])
        # an erasure finds the student's applications (then their books) by this
        await self.db["applications"].create_index([("student_id", ASCENDING)])
        await self.db["team_members"].create_index([("student_id", ASCENDING)])

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def load(self, kind: str, key: str) -> Stored | None:
        """Return the aggregate ``kind``/``key``, or None if nothing is stored under it."""
        doc = await self.db[kind].find_one({"_id": key})
        return None if doc is None else stored_from(doc)

    async def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Stored]:
        """``load`` for many keys, all in flight at once; keys with nothing stored are left out."""
        # Not one ``$in`` query: FerretDB 1.24 pushes only equality down to PostgreSQL, so
        # ``$in`` reads the whole collection (3.7 s for 200 keys of 10k documents, growing
        # with it); concurrent finds by ``_id`` use the index (docs/store.md).
        docs = await asyncio.gather(*(self.db[kind].find_one({"_id": k}) for k in keys))
        return {doc["_id"]: stored_from(doc) for doc in docs if doc is not None}

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
        """Write state, seen-record and outbox in one single-document, version-checked write."""
        c = Commit(
            key, previous, state, fields, seen, outbox, (previous.version if previous else 0) + 1
        )
        if previous is None:
            try:
                await self.db[kind].insert_one({"_id": key, **_written(c)})
            except DuplicateKeyError as exc:
                raise ConcurrentWriteError(f"{kind}/{key} was created meanwhile") from exc
            return
        result = await self.db[kind].update_one(*_update(c, previous))
        if result.matched_count == 0:
            raise ConcurrentWriteError(f"{kind}/{key} changed since version {previous.version}")

    async def commit_many(self, kind: str, commits: Sequence[Commit]) -> None:
        """``commit`` for many aggregates in one unordered bulk write."""
        if not commits:
            return
        updates = sum(1 for c in commits if c.previous is not None)
        matched = refused = 0
        for part in _commands([_write(c) for c in commits]):
            try:
                result = await self.db[kind].bulk_write(part, ordered=False)
                matched += result.matched_count
            except BulkWriteError as exc:
                # Unordered: the others were written; a duplicate key is a creation raced.
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                    raise
                matched += exc.details.get("nMatched", 0)
                refused += len(errors)
        if refused or matched < updates:
            raise ConcurrentWriteError(
                f"{refused + updates - matched} of {len(commits)} {kind} changed meanwhile"
            )

    async def park(self, kind: str, key: str, entry: Document) -> None:
        """Keep ``entry`` on ``kind``/``key`` (a placeholder if absent); idempotent."""
        try:
            await self.db[kind].update_one(
                {"_id": key},
                {"$addToSet": {"parked": entry}, "$inc": {"version": 1}},
                upsert=True,
            )
        except DuplicateKeyError:
            # Two parkers created the placeholder at once: the second one adds to it.
            await self.db[kind].update_one(
                {"_id": key}, {"$addToSet": {"parked": entry}, "$inc": {"version": 1}}
            )

    async def parked(self, kind: str) -> list[tuple[str, list[Document]]]:
        """Aggregates of ``kind`` with events parked on them, with those (expiry sweep)."""
        found = self.db[kind].find({"parked": {"$exists": True, "$ne": []}}, {"parked": 1})
        docs = [d async for d in found]
        return sorted((d["_id"], list(d["parked"])) for d in docs if d.get("parked"))

    async def unpark(self, kind: str, key: str, entry: Document) -> None:
        """Take one parked ``entry`` off ``kind``/``key`` (it expired); moves the version."""
        # Read, then write if the version is still the one read (FerretDB has no $pull of
        # a document); a park in between moves the version: read again.
        while (doc := await self.db[kind].find_one({"_id": key})) is not None:
            parked = doc.get("parked") or []
            if entry not in parked:
                return
            done = await self.db[kind].update_one(
                {"_id": key, "version": doc.get("version", 0)},
                {"$set": {"parked": [e for e in parked if e != entry]}, "$inc": {"version": 1}},
            )
            if done.matched_count:
                return

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Replace (or with None delete) one document of a derived view."""
        if doc is None:
            await self.db[view].delete_one({"_id": key})
        else:
            await self.db[view].replace_one({"_id": key}, doc, upsert=True)

    async def put_views(self, view: str, docs: Mapping[str, Document | None]) -> None:
        """``put_view`` for many keys of one view, in one unordered bulk write."""
        writes = [
            DeleteOne({"_id": key}) if doc is None else ReplaceOne({"_id": key}, doc, upsert=True)
            for key, doc in docs.items()
        ]
        for part in _commands(writes):
            await self.db[view].bulk_write(part, ordered=False)

    async def insert_view(self, view: str, key: str, doc: Document) -> None:
        """Add a document to an append-only view; an existing ``key`` is left as it is."""
        # An insert does not scan the collection on FerretDB, where an upsert does.
        with contextlib.suppress(DuplicateKeyError):
            await self.db[view].insert_one({**doc, "_id": key})

    async def insert_views(self, view: str, docs: Sequence[tuple[str, Document]]) -> None:
        """``insert_view`` for many documents, in one round trip."""
        if not docs:
            return
        try:
            await self.db[view].insert_many(
                [{**doc, "_id": key} for key, doc in docs], ordered=False
            )
        except BulkWriteError as exc:
            # Keys inserted before (a redelivered batch) are left as they are.
            if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", ())):
                raise

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Return the documents whose fields equal ``where``'s, in ``_id`` order (queries)."""
        return await self.db[collection].find(dict(where)).sort("_id", ASCENDING).to_list()

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Return the documents with these ``_id``s (missing ones are left out)."""
        if len(ids) <= _FEW:  # as load_many: a few keys by the index, not by a scan
            found = await asyncio.gather(*(self.db[collection].find_one({"_id": i}) for i in ids))
            return [doc for doc in found if doc is not None]
        # Many keys (a round's books): one ``$in`` reads the collection once.
        return await self.db[collection].find({"_id": {"$in": list(ids)}}).to_list()


_W = TypeVar("_W")
_STATEMENTS = 32
"""Most writes sent in one command (the proxy lets one write command through at a time).

FerretDB 1.24 keeps a connection from its pool (50) open for each statement of an
update or delete command until the whole command ends, and each statement's write
takes one more: a command of 50 wedges the store for every client (docs/store.md).
"""


def _commands(writes: Sequence[_W]) -> Iterator[list[_W]]:
    """``writes`` in commands of at most ``_STATEMENTS``, in order."""
    for start in range(0, len(writes), _STATEMENTS):
        yield list(writes[start : start + _STATEMENTS])


_FEW = 200
"""Up to this many keys, ``get_many`` finds each by ``_id`` (200 of 10k: 2.7 s vs 3.7 s)."""


def stored_from(doc: Mapping[str, Any]) -> Stored:
    """The port's view of a stored aggregate document."""
    return Stored(
        state=doc.get("state"),
        version=doc.get("version", 0),
        seen=doc.get("seen") or {},
        outbox=tuple(doc.get("outbox", ())),
        parked=tuple(doc.get("parked", ())),
        fields={k: v for k, v in doc.items() if k not in _INTERNAL},
    )
