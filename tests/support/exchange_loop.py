"""Run the service's Exchange on a real store, with records bureau publishes fed back.

What bureau publishes onto its own inbound topics (team proposals, allocations of a
closed round, re-driven parked events) is applied in turn, as the worker would; the
rest (suggestions, outcomes) is kept in ``sent``. No broker: the projections are
written by the same service code the worker runs.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from bureau.adapters.store import Store
from bureau.schemas.applications import application_event
from bureau.schemas.lectures import lecture_event, specialist_event
from bureau.schemas.offers import offer_event
from bureau.schemas.organisations import organisation_event
from bureau.schemas.research import research_event
from bureau.schemas.rounds import round_event
from bureau.schemas.students import student_event
from bureau.service import Exchange
from bureau.topics import Topics


@dataclass
class ExchangeLoop:
    """An Exchange whose own inbound publications are applied like partner events."""

    store: Store
    topics: Topics = field(default_factory=Topics)
    sent: list[tuple[str, bytes, bytes | None]] = field(default_factory=list)
    _queue: deque[tuple[str, bytes]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.exchange = Exchange(store=self.store, publish=self._publish, topics=self.topics)
        t, x = self.topics, self.exchange
        self._routes: dict[str, tuple[TypeAdapter[Any], Callable[[Any], Awaitable[None]]]] = {
            t.organisations: (organisation_event, x.apply),
            t.students: (student_event, x.apply),
            t.offers: (offer_event, x.apply),
            t.applications: (application_event, x.apply),
            t.research: (research_event, x.apply),
            t.lectures: (lecture_event, x.apply),
            t.specialists: (specialist_event, x.apply),
            t.rounds: (round_event, x.apply),
        }

    async def _publish(self, topic: str, key: bytes, value: bytes | None) -> None:
        if topic in self._routes and value is not None:
            self._queue.append((topic, value))
        else:
            self.sent.append((topic, key, value))

    async def send(self, topic: str, events: Iterable[dict[str, Any]]) -> None:
        """Apply partner events to ``topic``, then whatever they made bureau publish inbound."""
        for event in events:
            self._queue.append((topic, json.dumps(event).encode()))
            while self._queue:
                where, body = self._queue.popleft()
                adapter, handler = self._routes[where]
                await handler(adapter.validate_json(body))
