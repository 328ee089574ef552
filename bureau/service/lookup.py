"""Reads of single view documents on the write path, by ``_id``, batch-aware.

A view is written when the change that made it is delivered: in a batch, at the
batch's end. Until then an event later in the same batch must see it too, so a read
looks at what the batch holds for delivery first, then at what it read ahead, then
at the store (one ``get_many`` per view and batch when read ahead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bureau.adapters.store import Document, Store
from bureau.service import batch as batches

_GROUP = 100
"""Keys per ``get_many``: few enough for ``MongoStore`` to find each by ``_id``."""


@dataclass(kw_only=True)
class ViewLookup:
    """Finds view documents by key, as the batch's next event should see them."""

    store: Store

    async def prefetch(self, view: str, keys: Sequence[str]) -> None:
        """Read the documents of ``keys`` ahead, in one round trip (in a batch only)."""
        batch = batches.current()
        if batch is None:
            return
        wanted = sorted({k for k in keys if (view, k) not in batch.views})
        if not wanted:
            return
        found: dict[str, Document] = {}
        # In groups the store finds key by key (its index), not by scanning the view.
        for start in range(0, len(wanted), _GROUP):
            docs = await self.store.get_many(view, wanted[start : start + _GROUP])
            found.update((d["_id"], d) for d in docs)
        batch.views.update(((view, k), found.get(k)) for k in wanted)

    async def get(self, view: str, key: str) -> Document | None:
        """The document ``view``/``key`` as it is once what is held is delivered."""
        batch = batches.current()
        if batch is None:
            found = await self.store.get_many(view, [key])
            return found[0] if found else None
        for entry, _ in reversed(batch.held):
            if entry.get("view") == view and entry.get("key") == key:
                doc: Document | None = entry["doc"]
                return doc
        if (view, key) not in batch.views:
            await self.prefetch(view, [key])
        return batch.views[(view, key)]
