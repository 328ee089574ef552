"""Handlers on FastStream's in-memory broker, with the in-memory store."""

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from bureau.adapters.memory import InMemoryStore
from bureau.adapters.store import ConcurrentWriteError
from bureau.app import build_broker
from bureau.handlers.dead_letter import ORIGIN, REASON
from bureau.schemas.identity import KEY_FIELD_BY_TYPE
from bureau.service import Publish
from bureau.settings import Settings
from bureau.topics import Topics, dlq
from tests.support import events

TOPICS = Topics()


@dataclass
class Harness:
    broker: KafkaBroker
    store: InMemoryStore
    matches: list[dict[str, object]] = field(default_factory=list)
    dead: list[KafkaMessage] = field(default_factory=list)

    async def send(
        self, topic: str, payload: dict[str, object] | bytes, key: bytes | None = None
    ) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await self.broker.publish(body, topic=topic, key=key or key_of(body))


def key_of(body: bytes) -> bytes:
    """The key a partner sends with ``body``: its aggregate id (anything for non-events)."""
    try:
        raw = json.loads(body)
        return str(raw["data"][KEY_FIELD_BY_TYPE[raw["event_type"]]]).encode()
    except (ValueError, KeyError, TypeError):
        return b"k"


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    store = InMemoryStore()

    def through(broker: KafkaBroker) -> Publish:
        async def publish(topic: str, key: bytes, value: bytes | None) -> None:
            await broker.publish(value or b"", topic=topic, key=key)

        return publish

    settings = Settings(max_message_bytes=4096, retry_backoff_initial=0.001)
    broker = build_broker(settings, store, publish=through)
    h = Harness(broker, store)

    @broker.subscriber(TOPICS.matches)
    async def collect(body: dict[str, object]) -> None:
        h.matches.append(body)

    @broker.subscriber(dlq(TOPICS.offers))
    async def collect_dead(message: KafkaMessage) -> None:
        h.dead.append(message)

    async with TestKafkaBroker(broker):
        yield h


async def test_a_new_offer_suggests_matching_students(harness: Harness) -> None:
    await harness.send(TOPICS.students, events.student("s-1"))
    await harness.send(TOPICS.students, events.student("s-2", skills=("excel",)))
    await harness.send(TOPICS.offers, events.offer("o-1"))
    assert set(harness.store["offers"]) == {"o-1"}
    assert [m["data"]["student_id"] for m in harness.matches] == ["s-1"]  # type: ignore[index]
    assert harness.matches[0]["event_type"] == "MatchSuggested"


async def test_a_new_student_is_suggested_for_open_offers(harness: Harness) -> None:
    await harness.send(TOPICS.offers, events.offer("o-1"))
    await harness.send(TOPICS.students, events.student("s-1"))
    assert [m["data"]["offer_id"] for m in harness.matches] == ["o-1"]  # type: ignore[index]


async def test_a_redelivered_event_has_one_effect_and_no_new_notification(harness: Harness) -> None:
    """A redelivery may send the same notification again: same id, same bytes, never new."""
    await harness.send(TOPICS.students, events.student("s-1"))
    offer = events.offer("o-1", event_id=uuid.uuid4())
    for _ in range(3):
        await harness.send(TOPICS.offers, offer)
    assert len({json.dumps(m, sort_keys=True) for m in harness.matches}) == 1
    assert harness.store["offers"]["o-1"]["version"] == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({**events.offer(), "event_type": "Nope"}).encode(), "invalid event"),
        (json.dumps(events.offer(capacity=0)).encode(), "data.capacity"),
        (b"x" * 5000, "exceeds the 4096 limit"),
    ],
    ids=["not-json", "unknown-type", "invalid-field", "oversize"],
)
async def test_bad_input_is_dead_lettered_with_original_bytes(
    harness: Harness, body: bytes, reason: str
) -> None:
    await harness.send(TOPICS.offers, body, key=b"o-9")
    [dead] = harness.dead
    assert dead.body == body
    record = dead.raw_message
    assert not isinstance(record, tuple)
    assert record.key == b"o-9"
    assert reason in dead.headers[REASON]
    assert dead.headers[ORIGIN].startswith(f"{TOPICS.offers}/")
    # The consumer keeps going after a dead letter.
    await harness.send(TOPICS.offers, events.offer("o-ok"))
    assert "o-ok" in harness.store["offers"]


async def test_a_handler_bug_is_retried_then_dead_lettered(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    async def broken(*_: object) -> None:
        nonlocal calls
        calls += 1
        raise KeyError("bug")

    monkeypatch.setattr(harness.store, "load", broken)

    async def broken_ahead(*_: object) -> None:
        raise KeyError("bug")

    # A batch reads ahead too; that failing alone must not hold the record back.
    monkeypatch.setattr(harness.store, "load_many", broken_ahead)
    # A withdrawal reads its book (a new offer's book is taken as new, unread).
    body = json.dumps(events.withdrawal("o-bug")).encode()
    # The in-memory broker does not re-deliver a nacked message; each publish here
    # stands for one re-delivery of the same record (same topic, partition, offset).
    for _ in range(4):
        with pytest.raises(KeyError):
            await harness.send(TOPICS.offers, body)
        assert harness.dead == []
    await harness.send(TOPICS.offers, body)
    assert calls == 5
    [dead] = harness.dead
    assert dead.body == body
    assert "handler failed 5 times: KeyError('bug')" in dead.headers[REASON]


@pytest.mark.parametrize("control", [False, True], ids=["one-by-one", "control-always-grouped"])
async def test_a_batch_whose_one_write_fails_is_retried_event_by_event_then_dead_lettered(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, control: bool
) -> None:
    """A write that can never succeed must not block the partition: after the batch's
    grouped write failed, the retry writes each event at once, so the event at fault
    fails inside its own handling, is counted, and goes to the DLQ on its fifth time."""
    real = harness.store.commit_many

    async def refuses_the_bug(kind: str, commits: Any) -> None:
        if any(c.key == "o-bug" for c in commits):
            raise KeyError("bug")
        await real(kind, commits)

    monkeypatch.setattr(harness.store, "commit_many", refuses_the_bug)
    if control:
        from bureau.service import batch as batches

        grouped = batches.begin
        monkeypatch.setattr(batches, "begin", lambda **_: grouped(grouped=True))
    body = json.dumps(events.offer("o-bug")).encode()
    for _ in range(6):  # the grouped attempt, then five one by one
        with contextlib.suppress(KeyError):
            await harness.send(TOPICS.offers, body)
    if control:
        assert harness.dead == []  # the partition would be blocked for ever
        return
    [dead] = harness.dead
    assert dead.body == body
    assert "handler failed 5 times: KeyError('bug')" in dead.headers[REASON]
    await harness.send(TOPICS.offers, events.offer("o-ok"))
    assert "o-ok" in harness.store["offers"]  # and the consumer goes on


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    # capture_logs() drops the processors, the context merge among them; keep that one.
    capture = structlog.testing.LogCapture()
    previous = structlog.get_config()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
    yield capture.entries
    structlog.configure(**previous)


async def test_each_message_logs_with_its_event_and_correlation_ids(
    harness: Harness, logs: list[MutableMapping[str, Any]]
) -> None:
    event = events.offer("o-1")
    await harness.broker.publish(
        json.dumps(event).encode(), topic=TOPICS.offers, key=b"o-1", correlation_id="corr-42"
    )
    [applied] = [e for e in logs if e["event"] == "event_applied"]
    assert applied["event_id"] == event["event_id"]
    assert applied["event_type"] == "InternshipOffered"
    assert applied["correlation_id"] == "corr-42"
    assert applied["topic"] == TOPICS.offers


@pytest.mark.parametrize("control", [False, True], ids=["read-again", "control-no-retry"])
async def test_a_registration_taken_as_new_over_a_placeholder_is_applied_again_at_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, control: bool
) -> None:
    """A consent came before the profile and waits on a placeholder. The registration
    is taken as new, unread; its insert fails, and the batch is applied again at once
    from reads: the consent is re-driven. Control: without that retry the batch fails."""
    await harness.send(TOPICS.students, events.consent("s-1", given=True))
    assert harness.store["students"]["s-1"].get("state") is None  # a placeholder
    if control:
        from bureau.handlers import exchange as handlers

        monkeypatch.setattr(handlers, "PresumedAbsentError", LookupError)  # never raised
        with pytest.raises(ConcurrentWriteError):
            await harness.send(TOPICS.students, events.student("s-1"))
        return
    await harness.send(TOPICS.students, events.student("s-1"))
    stored = harness.store["students"]["s-1"]
    assert stored["state"]["profile"]["student_id"] == "s-1"
    assert stored["parked"] == []  # the consent was sent again (the test broker's
    # offsets are all 0, so here it reads as a redelivery; on Kafka it is applied)
