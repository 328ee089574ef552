"""Where students' data keys live: a port, a MongoDB collection, memory, and a cache.

Erasure deletes the key and leaves a tombstone, so no worker can create a fresh key
for an erased pseudonym and seal new (readable) data about them afterwards: late
events about an erased student are scrubbed instead (see ``bureau.privacy.fields``).

Caching across workers. Data about one student is sealed by whichever worker owns
the partition of the record being written (an offer's book, a round, a team), not
by the owner of the student's partition, so "cache only where the student lives"
does not hold. Instead the cache serves only ``get_or_create`` (the write path,
which seals) and ``get`` (the read path, which opens) always asks the store. A
stale cached key therefore can only *seal* more data under a key that no longer
exists anywhere but in that worker's memory, which nobody can open; it can never
*open* anything after ``delete`` has returned. Entries expire after ``ttl`` seconds,
which bounds how long an erased student's key material lingers in other workers'
memory. This holds because a pseudonym is never given a second key: after erasure
a school registers the student again under a new pseudonym.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from bureau.privacy.crypto import DataKey, new_key

KEYS = "keys"
"""The collection of data keys in the MongoDB key store."""


class KeyShreddedError(Exception):
    """The student was erased: their key is gone for good and no new one is made."""


class KeyStore(Protocol):
    """Per-student data keys; a KMS or Vault adapter can stand in for the default."""

    async def get_or_create(self, student_id: str) -> DataKey:
        """Return the student's key, made on first use; KeyShreddedError once erased."""
        ...

    async def get(self, student_id: str) -> DataKey | None:
        """Return the student's key, or None if there is none (never made, or shredded)."""
        ...

    async def delete(self, student_id: str) -> None:
        """Shred the student's key for good (idempotent)."""
        ...


@runtime_checkable
class KeyBatch(Protocol):
    """A key store that can fetch many keys in one round trip (reads of many documents)."""

    async def get_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Return the keys that exist among ``student_ids``."""
        ...


async def keys_for(keystore: KeyStore, student_ids: Iterable[str]) -> dict[str, DataKey | None]:
    """Each student's key or None (read path), in one round trip where the store can."""
    wanted = sorted(set(student_ids))
    if isinstance(keystore, KeyBatch):
        found = await keystore.get_many(wanted)
        return {s: found.get(s) for s in wanted}
    return {s: await keystore.get(s) for s in wanted}


@runtime_checkable
class KeyMaking(Protocol):
    """A key store that can make many keys in one round trip (a poll batch's new students)."""

    async def get_or_create_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Each student's key, made where missing; shredded students are left out."""
        ...


async def write_keys(keystore: KeyStore, students: Iterable[str]) -> dict[str, DataKey | None]:
    """Each student's key for sealing (made on first use); None for a shredded one."""
    wanted = sorted(set(students))
    if isinstance(keystore, CachedKeyStore):
        await keystore.warm(wanted)
    found: dict[str, DataKey | None] = {}
    for s in wanted:
        try:
            found[s] = await keystore.get_or_create(s)
        except KeyShreddedError:
            found[s] = None
    return found


class KeyListing(Protocol):
    """A key store that can list its keys: what the erasure proof decrypts with."""

    async def all_keys(self) -> list[DataKey]:
        """Return every key that still exists."""
        ...


class InMemoryKeyStore:
    """Keys in a dict, for unit tests and the demo."""

    def __init__(self) -> None:
        """Start empty."""
        self.keys: dict[str, DataKey] = {}
        self.shredded: set[str] = set()

    async def get_or_create(self, student_id: str) -> DataKey:
        """Return the student's key, made on first use; KeyShreddedError once erased."""
        if student_id in self.shredded:
            raise KeyShreddedError(student_id)
        if student_id not in self.keys:
            self.keys[student_id] = new_key(student_id)
        return self.keys[student_id]

    async def get(self, student_id: str) -> DataKey | None:
        """Return the student's key, or None."""
        return self.keys.get(student_id)

    async def get_or_create_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Each student's key, made where missing; shredded students are left out."""
        return {s: await self.get_or_create(s) for s in student_ids if s not in self.shredded}

    async def get_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Return the keys that exist among ``student_ids``."""
        return {s: self.keys[s] for s in student_ids if s in self.keys}

    async def delete(self, student_id: str) -> None:
        """Shred the student's key for good."""
        self.keys.pop(student_id, None)
        self.shredded.add(student_id)

    async def all_keys(self) -> list[DataKey]:
        """Return every key that still exists."""
        return list(self.keys.values())

    async def erased(self) -> set[str]:
        """Return every pseudonym whose key was shredded (a replay leaves them out)."""
        return set(self.shredded)


class MongoKeyStore:
    """Keys as documents ``{_id: student id, key_id, secret}`` in the ``keys`` collection."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        """Use ``db``'s ``keys`` collection."""
        self._keys = db[KEYS]

    async def get_or_create(self, student_id: str) -> DataKey:
        """Return the student's key; two workers creating it at once agree on the first."""
        found = await self.get(student_id)
        if found is not None:
            return found
        key = new_key(student_id)
        try:
            await self._keys.insert_one(_document(key))
        except DuplicateKeyError:
            again = await self.get(student_id)
            if again is None:
                raise KeyShreddedError(student_id) from None
            return again
        return key

    async def get(self, student_id: str) -> DataKey | None:
        """Return the student's key, or None."""
        doc = await self._keys.find_one({"_id": student_id})
        if doc is None:
            return None
        if doc.get("shredded"):
            return None
        return _key(doc)

    async def get_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Return the keys that exist among ``student_ids``, all asked at once."""
        found = await self._found(student_ids)
        return {s: _key(d) for s, d in found.items() if not d.get("shredded")}

    async def _found(self, student_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        # One find by _id each, all in flight, not one $in query: FerretDB 1.24 reads the
        # whole collection for $in (240 ms for 333 ids among 4,000 keys, growing with
        # it), and serves a find by _id from an index (``MongoStore.load_many``).
        docs = await asyncio.gather(*(self._keys.find_one({"_id": s}) for s in set(student_ids)))
        return {d["_id"]: d for d in docs if d is not None}

    async def get_or_create_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Keys for students who are new, as a batch of registrations names them.

        Made in one insert, not read first: a new student has none yet. If some have
        one (another worker's, a tombstone, a key made for a parked event), the insert
        fails for them and every key is read back; one missing then (the store stopped
        at the first clash) is made when it is needed (``get_or_create``).
        """
        made = {s: new_key(s) for s in sorted(set(student_ids))}
        if not made:
            return {}
        try:
            await self._keys.insert_many([_document(k) for k in made.values()], ordered=False)
        except BulkWriteError:
            found = await self._found(made)
            return {s: _key(d) for s, d in found.items() if not d.get("shredded")}
        return made

    async def delete(self, student_id: str) -> None:
        """Replace the key by a tombstone: the secret is gone, the refusal stays."""
        await self._keys.replace_one({"_id": student_id}, {"shredded": True}, upsert=True)

    async def all_keys(self) -> list[DataKey]:
        """Return every key that still exists."""
        return [_key(d) async for d in self._keys.find({"shredded": {"$ne": True}})]

    async def erased(self) -> set[str]:
        """Return every pseudonym whose key was shredded (a replay leaves them out)."""
        return {d["_id"] async for d in self._keys.find({"shredded": True}, {"_id": 1})}


def _key(doc: dict[str, Any]) -> DataKey:
    return DataKey(doc["key_id"], doc["_id"], base64.b64decode(doc["secret"]))


def _document(key: DataKey) -> dict[str, Any]:
    return {
        "_id": key.student_id,
        "key_id": key.key_id,
        "secret": base64.b64encode(key.secret).decode(),
    }


class CachedKeyStore:
    """Caches the write path's keys (``get_or_create``); reads always ask the store."""

    def __init__(
        self,
        inner: KeyStore,
        *,
        ttl: float = 300.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wrap ``inner``; keep at most ``max_entries`` keys for at most ``ttl`` seconds."""
        self.inner = inner
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, DataKey]] = OrderedDict()

    async def get_or_create(self, student_id: str) -> DataKey:
        """Return the cached key, else the store's (made on first use)."""
        hit = self._cached(student_id)
        if hit is not None:
            return hit
        key = await self.inner.get_or_create(student_id)
        self._keep(key)
        return key

    async def get_or_create_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """The cached keys, and the rest from the store at once where it can (then cached)."""
        found: dict[str, DataKey] = {}
        missing: list[str] = []
        for s in sorted(set(student_ids)):
            if (hit := self._cached(s)) is not None:
                found[s] = hit
            else:
                missing.append(s)
        if not missing:
            return found
        if isinstance(self.inner, KeyMaking):
            made = await self.inner.get_or_create_many(missing)
        else:
            made = {s: k for s, k in (await write_keys(self.inner, missing)).items() if k}
        for key in made.values():
            self._keep(key)
        return found | made

    async def warm(self, student_ids: Sequence[str]) -> None:
        """Fetch the keys the cache lacks all at once (an offer's twenty students, cold).

        Each is a round trip to the store: asked one after another they add up. A key
        that fails here (shredded, the store down) is left for ``get_or_create`` to say so.
        """
        missing = [s for s in student_ids if self._cached(s) is None]
        if len(missing) < 2:  # nothing to overlap
            return
        got = await asyncio.gather(
            *(self.inner.get_or_create(s) for s in missing), return_exceptions=True
        )
        for key in got:
            if isinstance(key, DataKey):
                self._keep(key)

    def _cached(self, student_id: str) -> DataKey | None:
        hit = self._cache.get(student_id)
        if hit is None or hit[0] <= self._clock():
            return None
        self._cache.move_to_end(student_id)
        return hit[1]

    def _keep(self, key: DataKey) -> None:
        self._cache[key.student_id] = (self._clock() + self._ttl, key)
        self._cache.move_to_end(key.student_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def get(self, student_id: str) -> DataKey | None:
        """Ask the store: opening must never outlive a deletion."""
        return await self.inner.get(student_id)

    async def get_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        """Ask the store (in one round trip where it can)."""
        found = await keys_for(self.inner, student_ids)
        return {s: k for s, k in found.items() if k is not None}

    async def delete(self, student_id: str) -> None:
        """Forget the key here and shred it in the store."""
        self._cache.pop(student_id, None)
        await self.inner.delete(student_id)

    def forget(self, student_id: str) -> None:
        """Drop a cached key (e.g. on hearing of an erasure handled elsewhere)."""
        self._cache.pop(student_id, None)

    def __len__(self) -> int:
        """Number of cached keys."""
        return len(self._cache)
