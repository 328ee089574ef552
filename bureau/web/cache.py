"""A short-lived, shared cache in front of the read model.

Every open page asks again every few seconds; with many viewers, the store would
answer the same query many times a second. Each answer is kept for ``ttl`` seconds
and concurrent askers share one query in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from bureau.domain.statistics import Row
from bureau.web.queries import (
    DeadLetterGroup,
    LectureView,
    OfferFilter,
    OfferView,
    Page,
    QuestionView,
    ReadModel,
    RoundView,
    SchoolView,
)

T = TypeVar("T")


class CachedReadModel:
    """A ReadModel whose answers live ``ttl`` seconds."""

    def __init__(self, inner: ReadModel, ttl: float, clock: Callable[[], float] = time.monotonic):
        """Cache ``inner``'s answers for ``ttl`` seconds by ``clock``."""
        self.inner, self.ttl, self.clock = inner, ttl, clock
        self._entries: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}

    async def _get(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        now = self.clock()
        found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            result: T = await asyncio.shield(found[1])
            return result
        if len(self._entries) > 1000:
            self._entries = {k: e for k, e in self._entries.items() if now - e[0] < self.ttl}
        future: asyncio.Future[T] = asyncio.ensure_future(fetch())
        self._entries[key] = (now, future)
        try:
            return await asyncio.shield(future)
        except BaseException:
            # A failed answer is not kept: the next asker tries again.
            if self._entries.get(key, (0.0, None))[1] is future:
                del self._entries[key]
            raise

    async def statistics(self) -> list[Row]:
        """Cached ``statistics``."""
        return await self._get("statistics", self.inner.statistics)

    async def offers(self, which: OfferFilter, page: int = 1) -> Page[OfferView]:
        """Cached ``offers``."""
        return await self._get(("offers", which, page), lambda: self.inner.offers(which, page))

    async def companies(self) -> list[str]:
        """Cached ``companies``."""
        return await self._get("companies", self.inner.companies)

    async def offer(self, offer_id: str) -> OfferView | None:
        """Cached ``offer``."""
        return await self._get(("offer", offer_id), lambda: self.inner.offer(offer_id))

    async def rounds(self) -> list[RoundView]:
        """Cached ``rounds``."""
        return await self._get("rounds", self.inner.rounds)

    async def round(self, round_id: str) -> RoundView | None:
        """Cached ``round``."""
        return await self._get(("round", round_id), lambda: self.inner.round(round_id))

    async def questions(self) -> list[QuestionView]:
        """Cached ``questions``."""
        return await self._get("questions", self.inner.questions)

    async def lectures(self) -> list[LectureView]:
        """Cached ``lectures``."""
        return await self._get("lectures", self.inner.lectures)

    async def school(self, school_id: str, status: str | None = None, page: int = 1) -> SchoolView:
        """Cached ``school``."""
        return await self._get(
            ("school", school_id, status, page), lambda: self.inner.school(school_id, status, page)
        )

    async def dead_letters(self) -> list[DeadLetterGroup]:
        """Cached ``dead_letters``."""
        return await self._get("dead_letters", self.inner.dead_letters)


__all__ = ["CachedReadModel"]
