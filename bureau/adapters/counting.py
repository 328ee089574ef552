"""A Store wrapper that counts round trips, and can refuse queries on the event path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bureau.adapters.store import Commit, Document, Store, Stored


class QueryOnEventPathError(AssertionError):
    """A handler asked the store something other than a document by ``_id``."""


class CountingStore:
    """Counts each call by kind; with ``allow`` given, ``find`` elsewhere raises."""

    def __init__(self, inner: Store, *, allow: frozenset[str] | None = None) -> None:
        """Wrap ``inner``; ``allow``: the collections ``find`` may read (None: any)."""
        self.inner, self.allow = inner, allow
        self.calls: Counter[str] = Counter()

    @property
    def round_trips(self) -> int:
        """Calls that went to the store."""
        return sum(self.calls.values())

    async def load(self, kind: str, key: str) -> Stored | None:
        """Count and delegate."""
        self.calls["load"] += 1
        return await self.inner.load(kind, key)

    async def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Stored]:
        """Count (one call) and delegate."""
        self.calls["load_many"] += 1
        return await self.inner.load_many(kind, keys)

    async def commit(self, kind: str, key: str, **kw: Any) -> None:
        """Count and delegate."""
        self.calls["commit"] += 1
        await self.inner.commit(kind, key, **kw)

    async def commit_many(self, kind: str, commits: Sequence[Commit]) -> None:
        """Count one round trip, then write."""
        self.calls["commit_many"] += 1
        await self.inner.commit_many(kind, commits)

    async def park(self, kind: str, key: str, entry: Document) -> None:
        """Count and delegate."""
        self.calls["park"] += 1
        await self.inner.park(kind, key, entry)

    async def parked(self, kind: str) -> list[tuple[str, list[Document]]]:
        """Count and delegate (the expiry sweep's query, never the event path)."""
        self.calls["parked"] += 1
        return await self.inner.parked(kind)

    async def unpark(self, kind: str, key: str, entry: Document) -> None:
        """Count and delegate."""
        self.calls["unpark"] += 1
        await self.inner.unpark(kind, key, entry)

    async def put_view(self, view: str, key: str, doc: Document | None) -> None:
        """Count and delegate."""
        self.calls["put_view"] += 1
        await self.inner.put_view(view, key, doc)

    async def put_views(self, view: str, docs: Mapping[str, Document | None]) -> None:
        """Count (one call) and delegate."""
        self.calls["put_views"] += 1
        await self.inner.put_views(view, docs)

    async def insert_view(self, view: str, key: str, doc: Document) -> None:
        """Count and delegate."""
        self.calls["insert_view"] += 1
        await self.inner.insert_view(view, key, doc)

    async def insert_views(self, view: str, docs: Sequence[tuple[str, Document]]) -> None:
        """Count (one call) and delegate."""
        self.calls["insert_views"] += 1
        await self.inner.insert_views(view, docs)

    async def find(self, collection: str, where: Mapping[str, Any]) -> list[Document]:
        """Count, refuse where not allowed, and delegate."""
        self.calls["find"] += 1
        if self.allow is not None and collection not in self.allow:
            raise QueryOnEventPathError(f"find({collection!r}, {dict(where)!r}) on an event path")
        return await self.inner.find(collection, where)

    async def get_many(self, collection: str, ids: Sequence[str]) -> list[Document]:
        """Count and delegate (a lookup by ``_id``)."""
        self.calls["get_many"] += 1
        return await self.inner.get_many(collection, ids)
