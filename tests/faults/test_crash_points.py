"""A worker killed at the worst moments of one message, replayed deterministically.

kill -9 in the stream scenarios lands wherever it lands; these tests stop the service
exactly between its steps (with the in-memory store standing in for MongoDB) and then
redeliver the message, as Kafka does after a crash: the notification must still go
out, under the same id and with the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.domain.matching import suggestion_id
from bureau.schemas import offer_event, student_event
from bureau.service import Exchange
from bureau.topics import Topics
from tests.support import events

TOPICS = Topics()


class ProcessKilledError(Exception):
    """The process died here."""


class Recorder:
    """The matches topic, and a publisher that can die before sending."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes]] = []
        self.die_before_publish = False

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        if topic != TOPICS.matches:
            return
        if self.die_before_publish:
            raise ProcessKilledError("killed after the commit, before the notification was sent")
        assert value is not None
        self.records.append((key, value))


class DyingStore(InMemoryStore):
    """A store whose process dies once just before a notification is marked sent."""

    die_before_mark_sent = False

    async def mark_sent(self, notification_ids: Sequence[UUID]) -> None:
        if self.die_before_mark_sent and notification_ids:
            self.die_before_mark_sent = False
            raise ProcessKilledError("killed after the notification was sent, before it was marked")
        await super().mark_sent(notification_ids)


Apply = Callable[[Exchange], Awaitable[None]]


def _offer(exchange: Exchange) -> Awaitable[None]:
    return exchange.on_offer_event(offer_event.validate_python(OFFER))


def _student(exchange: Exchange) -> Awaitable[None]:
    return exchange.on_student_event(student_event.validate_python(STUDENT))


OFFER = events.offer("o-1", skills=("linux",))
STUDENT = events.student("s-1", skills=("linux",))


@pytest.mark.parametrize(("first", "cause"), [(_student, _offer), (_offer, _student)])
@pytest.mark.parametrize("moment", ["before publish", "before mark_sent"])
async def test_a_crash_between_steps_loses_no_notification_and_changes_no_byte(
    first: Apply, cause: Apply, moment: str
) -> None:
    store, topic = DyingStore(), Recorder()
    await first(Exchange(store=store, publish=topic, topics=TOPICS))
    assert topic.records == []

    topic.die_before_publish = moment == "before publish"
    store.die_before_mark_sent = moment == "before mark_sent"
    with pytest.raises(ProcessKilledError):
        await cause(Exchange(store=store, publish=topic, topics=TOPICS))
    # The offset was not committed: a new process gets the same message again.
    topic.die_before_publish = False
    await cause(Exchange(store=store, publish=topic, topics=TOPICS))
    await cause(Exchange(store=store, publish=topic, topics=TOPICS))

    bodies: set[bytes] = {value for _, value in topic.records}
    assert len(bodies) == 1, "one notification id, one body"
    [body] = bodies
    parsed: dict[str, Any] = json.loads(body)
    assert parsed["event_id"] == str(suggestion_id("o-1", "s-1"))
    # Sent at least once (twice if it died before marking it), never with other bytes.
    assert 1 <= len(topic.records) <= 2


async def test_another_cause_resending_an_unmarked_notification_sends_the_same_bytes() -> None:
    store, topic = DyingStore(), Recorder()
    await _student(Exchange(store=store, publish=topic, topics=TOPICS))
    store.die_before_mark_sent = True
    with pytest.raises(ProcessKilledError):
        await _offer(Exchange(store=store, publish=topic, topics=TOPICS))
    # Before the offer's message is redelivered, the school re-sends the student later
    # on: a second cause of the same suggestion, with another occurred_at.
    again = {**events.student("s-1", skills=("linux",)), "occurred_at": "2026-09-02T10:00:00Z"}
    await Exchange(store=store, publish=topic, topics=TOPICS).on_student_event(
        student_event.validate_python(again)
    )
    await _offer(Exchange(store=store, publish=topic, topics=TOPICS))
    assert len({value for _, value in topic.records}) == 1, "one notification id, one body"
