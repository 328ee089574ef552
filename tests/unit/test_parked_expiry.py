"""Parked events past the TTL go to their DLQ, sealed, with a reason; younger ones stay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.privacy.dead_letters import open_dead_letter
from bureau.privacy.expiry import expire_parked
from bureau.privacy.keys import InMemoryKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.schemas import application_event, student_event
from bureau.service import Exchange
from bureau.service.documents import PARKING
from bureau.topics import Topics, dlq
from tests.support import events

TOPICS = Topics()
TTL = timedelta(days=30)


class Sent:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes, str]] = []

    async def __call__(self, topic: str, key: bytes, value: bytes, reason: str) -> None:
        self.records.append((topic, key, value, reason))


async def _parked(*, erase: bool = False) -> tuple[InMemoryStore, InMemoryKeyStore]:
    """s-1's completed placement waits for offer o-late, which never comes."""
    store, keys = InMemoryStore(), InMemoryKeyStore()

    async def publish(topic: str, key: bytes, value: bytes | None) -> None:
        """bureau's publisher: nothing read back here."""

    exchange = Exchange(store=store, publish=publish, topics=TOPICS, sealer=OutboxSealer(keys))
    await exchange.apply(student_event.validate_python(events.student("s-1")))
    late = events.application(
        "PlacementCompleted",
        "a-1",
        offer_id="o-late",
        student_id="s-1",
        rating=2,
        remarks="hums-xq",
    )
    await exchange.apply(application_event.validate_python(late))
    if erase:
        await exchange.apply(student_event.validate_python(events.erasure("s-1")))
    return store, keys


@pytest.mark.parametrize(("days", "expired"), [(31, 1), (29, 0)], ids=["past", "control"])
async def test_a_parked_event_past_the_ttl_goes_to_its_dlq_sealed_with_the_reason(
    days: int, expired: int
) -> None:
    store, keys = await _parked()
    sent = Sent()
    now = events.T0 + timedelta(days=days)
    n = await expire_parked(store, keys, sent, kinds=PARKING, now=now, ttl=TTL)
    assert n == expired
    assert len(sent.records) == expired
    assert (store["offers"]["o-late"]["parked"] == []) is bool(expired)
    if expired:
        [(topic, key, value, reason)] = sent.records
        assert (topic, key) == (dlq(TOPICS.applications), b"o-late")
        assert "waiting for offer:o-late" in reason
        assert "expires after 30 days" in reason
        assert b"hums-xq" not in value
        opened = await open_dead_letter(value, keys)
        assert opened is not None
        assert json.loads(opened)["data"]["remarks"] == "hums-xq"


async def test_an_erased_students_parked_event_expires_without_a_dead_letter() -> None:
    store, keys = await _parked(erase=True)
    sent = Sent()
    now = events.T0 + timedelta(days=31)
    assert await expire_parked(store, keys, sent, kinds=PARKING, now=now, ttl=TTL) == 1
    assert sent.records == []
    assert store["offers"]["o-late"]["parked"] == []
