"""A worker killed at the worst moments of one message, replayed deterministically.

kill -9 in the stream scenarios lands wherever it lands; these tests stop the service
exactly between its steps (with the in-memory store standing in for MongoDB, and the
tables of each new process restored from the changelog records published so far) and
then redeliver the message, as Kafka does after a crash: the notification must still
go out, under the same id and with the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.domain.matching import told_id
from bureau.schemas import offer_event, student_event
from bureau.service import Exchange, Tables
from bureau.topics import Table, Topics
from tests.support import events

TOPICS = Topics()


class ProcessKilledError(Exception):
    """The process died here."""


class Recorder:
    """Every published record, and a publisher that can die before or during a delivery."""

    def __init__(self) -> None:
        self.log: list[tuple[str, bytes, bytes | None]] = []
        self.die_after: int | None = None

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        if self.die_after is not None:
            if self.die_after == 0:
                raise ProcessKilledError("killed after the commit, mid-delivery")
            self.die_after -= 1
        self.log.append((topic, key, value))

    @property
    def records(self) -> list[tuple[bytes, bytes]]:
        """What went out on the matches topic."""
        return [(k, v) for t, k, v in self.log if t == TOPICS.matches and v is not None]

    def process(self, store: InMemoryStore) -> Exchange:
        """A new worker process: its tables restored from the changelogs."""
        tables = Tables()
        for table in Table.ALL:
            for topic, key, value in self.log:
                if topic == TOPICS.state(table):
                    tables.apply(table, key.decode(), value)
        return Exchange(store=store, publish=self, topics=TOPICS, tables=tables)


Apply = Callable[[Exchange], Awaitable[None]]


def _offer(exchange: Exchange) -> Awaitable[None]:
    return exchange.apply(offer_event.validate_python(OFFER))


def _student(exchange: Exchange) -> Awaitable[None]:
    return exchange.apply(student_event.validate_python(STUDENT))


OFFER = events.offer("o-1", skills=("linux",))
STUDENT = events.student("s-1", skills=("linux",))


@pytest.mark.parametrize(("first", "cause"), [(_student, _offer), (_offer, _student)])
@pytest.mark.parametrize("sent", [0, 1, 2])
async def test_a_crash_between_steps_loses_no_notification_and_changes_no_byte(
    first: Apply, cause: Apply, sent: int
) -> None:
    """Killed after the commit with 0, 1 or 2 of its records out, then redelivered twice."""
    store, topic = InMemoryStore(), Recorder()
    await first(topic.process(store))
    assert topic.records == []

    topic.die_after = sent
    with pytest.raises(ProcessKilledError):
        await cause(topic.process(store))
    # The offset was not committed: a new process gets the same message again.
    topic.die_after = None
    await cause(topic.process(store))
    await cause(topic.process(store))

    bodies: set[bytes] = {value for _, value in topic.records}
    assert len(bodies) == 1, "one notification id, one body"
    [body] = bodies
    parsed: dict[str, Any] = json.loads(body)
    assert parsed["event_id"] == str(told_id("o-1", "s-1", 1, 1))
    assert len(topic.records) >= 1


async def test_another_cause_of_the_same_pair_sends_the_same_bytes_or_nothing() -> None:
    store, topic = InMemoryStore(), Recorder()
    await _student(topic.process(store))
    topic.die_after = 0
    with pytest.raises(ProcessKilledError):
        await _offer(topic.process(store))
    # Before the offer's message is redelivered, the school re-sends the student later
    # on: a second cause of the same pair, with another occurred_at.
    topic.die_after = None
    again = {**events.student("s-1", skills=("linux",)), "occurred_at": "2026-09-02T10:00:00Z"}
    await topic.process(store).apply(student_event.validate_python(again))
    await _offer(topic.process(store))
    assert len({value for _, value in topic.records}) == 1, "one notification id, one body"
