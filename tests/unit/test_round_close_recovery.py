"""A round close whose publish breaks half-way completes on redelivery, each allocation once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from bureau.adapters.memory import InMemoryStore
from bureau.schemas import application_event, offer_event, organisation_event, student_event
from bureau.schemas.rounds import round_event
from bureau.service import Exchange
from bureau.topics import Topics
from tests.support import events

TOPICS = Topics()


class FlakyLog:
    """Records what is published; the n-th allocation times out once, like a slow broker."""

    def __init__(self, fail_at: int | None) -> None:
        self.records: list[tuple[str, bytes, bytes | None]] = []
        self.fail_at = fail_at
        self.allocations = 0

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        if value is not None and b'"PlacementAllocated"' in value:
            self.allocations += 1
            if self.allocations == self.fail_at:
                self.fail_at = None
                raise KafkaTimeoutError("batch expired")
        self.records.append((topic, key, value))


def _round(event_type: str, source: str, **data: Any) -> Any:
    return round_event.validate_python(events.envelope(event_type, source, data))


@pytest.mark.parametrize("fail_at", [None, 1, 7])
async def test_a_close_that_times_out_midway_allocates_everyone_exactly_once(
    fail_at: int | None,
) -> None:
    log = FlakyLog(fail_at)
    exchange = Exchange(store=InMemoryStore(), publish=log, topics=TOPICS)
    await exchange.apply(
        organisation_event.validate_python(events.organisation("coord", "coordinator"))
    )
    students = [f"s-{i}" for i in range(12)]
    for s in students:
        await exchange.apply(student_event.validate_python(events.student(s)))
    for o in ("o-1", "o-2", "o-3"):
        await exchange.apply(offer_event.validate_python(events.offer(o, capacity=4)))
    await exchange.apply(
        _round(
            "MatchingRoundOpened",
            "coord",
            round_id="r",
            coordinator_id="coord",
            offer_ids=["o-1", "o-2", "o-3"],
        )
    )
    for s in students:
        await exchange.apply(
            _round(
                "PreferencesSubmitted",
                "roc-amsterdam",
                round_id="r",
                student_id=s,
                offer_ids=["o-1", "o-2", "o-3"],
            )
        )
    for o in ("o-1", "o-2", "o-3"):
        await exchange.apply(
            _round(
                "ApplicantsRanked", "acme-security", round_id="r", offer_id=o, student_ids=students
            )
        )
    close = _round("MatchingRoundClosed", "coord", round_id="r")
    if fail_at is not None:
        with pytest.raises(KafkaTimeoutError):
            await exchange.apply(close)  # the offset is not committed: Kafka redelivers
    await exchange.apply(close)
    await exchange.apply(close)  # a redelivery after success changes nothing

    allocated = [json.loads(v) for t, _, v in log.records if t == TOPICS.applications and v]
    # Every allocation went out (some twice, with the same id), then each applies once.
    assert len({a["event_id"] for a in allocated}) == 12
    for record in allocated:
        await exchange.apply(application_event.validate_python(record))
    placed = exchange.store.collections["placements"]  # type: ignore[attr-defined]
    assert sorted(d["student_id"] for d in placed.values()) == sorted(students)
    runs = [v for t, _, v in log.records if t == TOPICS.rounds and v]
    assert len(set(runs)) == 1
