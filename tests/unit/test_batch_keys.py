"""A poll batch makes its students' data keys at once, not two key-store trips per student."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.privacy import outbox
from bureau.privacy.crypto import DataKey
from bureau.privacy.keys import CachedKeyStore, InMemoryKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.schemas import offer_event, student_event
from bureau.service import Exchange
from bureau.topics import Topics
from tests.support import events
from tests.support.publisher import Log

TOPICS = Topics()


class CountingKeys(InMemoryKeyStore):
    """The key store a worker's cache sits on, counting what it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    async def get_or_create(self, student_id: str) -> DataKey:
        self.calls["get_or_create"] += 1
        return await super().get_or_create(student_id)

    async def get_or_create_many(self, student_ids: Iterable[str]) -> dict[str, DataKey]:
        self.calls["get_or_create_many"] += 1
        made = {}
        for s in student_ids:
            if s not in self.shredded:
                made[s] = await super().get_or_create(s)
        return made


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "control-one-by-one"])
async def test_a_batch_of_new_students_makes_their_keys_in_one_call(prepared: bool) -> None:
    keys, log = CountingKeys(), Log()
    exchange = Exchange(
        store=InMemoryStore(),
        publish=log,
        topics=TOPICS,
        sealer=OutboxSealer(CachedKeyStore(keys)),
    )
    offers = [offer_event.validate_python(events.offer(f"o-{i}")) for i in range(3)]
    for offer in offers:
        await exchange.apply(offer)
    students = [student_event.validate_python(events.student(f"s-{i}")) for i in range(30)]
    async with exchange.batch():
        if prepared:
            await exchange.prefetch(students)
        for event in students:
            await exchange.apply(event)
    told = {m["data"]["student_id"] for m in log.events(TOPICS.matches)}
    assert told == {f"s-{i}" for i in range(30)}, "every student is suggested, sealed"
    assert set(keys.keys) == told
    expected = {"get_or_create_many": 1} if prepared else {"get_or_create": 30}
    assert keys.calls == expected


async def test_a_shredded_students_key_is_not_made_again_by_a_batch() -> None:
    keys = CountingKeys()
    await keys.get_or_create("s-1")
    await keys.delete("s-1")
    cached = CachedKeyStore(keys)
    assert set(await cached.get_or_create_many(["s-1", "s-2"])) == {"s-2"}
    assert "s-1" not in keys.keys


class SlowKeys(InMemoryKeyStore):
    """A key store a round trip away: each call yields to the loop before it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = self.most_in_flight = 0

    async def get_or_create(self, student_id: str) -> DataKey:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0)  # a yield, as an awaited reply is: not a timed wait
        self.in_flight -= 1
        return await super().get_or_create(student_id)


@pytest.mark.parametrize("together", [True, False], ids=["together", "control-one-by-one"])
async def test_an_offers_suggestions_ask_for_their_students_keys_at_once(
    together: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold cache (a restart, an expired key): twenty students, one wait, not twenty."""
    if not together:

        async def one_by_one(keystore: Any, students: Iterable[str]) -> dict[str, Any]:
            return {s: await keystore.get_or_create(s) for s in sorted(set(students))}

        monkeypatch.setattr(outbox, "write_keys", one_by_one)
    keys, log = SlowKeys(), Log()
    exchange = Exchange(
        store=InMemoryStore(), publish=log, topics=TOPICS, sealer=OutboxSealer(CachedKeyStore(keys))
    )
    for i in range(20):
        await exchange.apply(student_event.validate_python(events.student(f"s-{i}")))
    keys.most_in_flight = 0
    await exchange.apply(offer_event.validate_python(events.offer("o-new")))
    told = [m for m in log.events(TOPICS.matches) if m["data"]["offer_id"] == "o-new"]
    assert len(told) == 20
    assert all(m["data"]["sealed"] for m in told)
    assert keys.most_in_flight == (20 if together else 1)
