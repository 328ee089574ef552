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

import base64
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

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
            await self._keys.insert_one(
                {
                    "_id": student_id,
                    "key_id": key.key_id,
                    "secret": base64.b64encode(key.secret).decode(),
                }
            )
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
        """Return the keys that exist among ``student_ids``, in one query."""
        query = {"_id": {"$in": list(student_ids)}, "shredded": {"$ne": True}}
        return {d["_id"]: _key(d) async for d in self._keys.find(query)}

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
        hit = self._cache.get(student_id)
        if hit is not None and hit[0] > self._clock():
            self._cache.move_to_end(student_id)
            return hit[1]
        key = await self.inner.get_or_create(student_id)
        self._cache[student_id] = (self._clock() + self._ttl, key)
        self._cache.move_to_end(student_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return key

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
