"""Erasure end to end on the in-memory store: the exchange seals, erasure scrubs and shreds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.app import topic_configs
from bureau.privacy.keys import InMemoryKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.schemas import application_event, offer_event, student_event
from bureau.schemas.outcomes import PlacementStatus as S
from bureau.service import Exchange, RejectedEventError
from bureau.service.sealing import Plain
from bureau.settings import Settings
from bureau.topics import Topics
from tests.support import events
from tests.support.erasure_proof import live_keys, scan_documents
from tests.support.scenarios import Candidacy

TOPICS = Topics()
SKILLS = ("quokka-forensics", "wombat-tuning")
"""One skill of the offer's for each student: the reasons of their suggestions quote it."""
ERASED = (
    "shared skills: quokka-forensics",
    "Zeppelin rigging XQ",
    "2031-07-13",
    "2031-12-29",
    "hums-while-soldering",
)
"""Values about s-1 that occur nowhere else: a reason, a programme, a placement's dates,
a remark in an event still waiting for its offer."""
KEPT = ("shared skills: wombat-tuning", "Kite repair QZ", "2032-03-03", "2032-05-27", "whistles")
"""The same for s-2, who is not erased."""


class Log:
    """bureau's publisher: every record, in order."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, str | None]] = []

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        self.records.append((topic, key.decode(), None if value is None else value.decode()))

    def after_compaction(self) -> dict[str, list[dict[str, Any]]]:
        """Per topic, what a reader finds once the compacted ones were cleaned."""
        compacted = {
            t for t, c in topic_configs(Settings()).items() if c.get("cleanup.policy") == "compact"
        }
        latest: dict[tuple[str, str], str | None] = {}
        kept: dict[str, list[dict[str, Any]]] = {}
        for n, (topic, key, value) in enumerate(self.records):
            if topic in compacted:
                latest[(topic, key)] = value
            elif value is not None:
                kept.setdefault(topic, []).append({"_id": n, "value": value})
        for (topic, key), value in latest.items():
            if value is not None:
                kept.setdefault(topic, []).append({"_id": key, "value": value})
        return kept


async def _candidacy(exchange: Exchange, student: str, start: str, end: str) -> None:
    c = Candidacy(
        application_id=f"a-{student}",
        offer_id="o-1",
        student_id=student,
        school_id="roc-amsterdam",
        company_id="acme-security",
    )
    for raw in c.path_to(S.COMPLETED):
        if raw["event_type"] == "PlacementConfirmed":
            raw["data"] |= {"start": start, "end": end}
        await exchange.apply(application_event.validate_python(raw))


async def _waiting(exchange: Exchange, student: str, remark: str) -> None:
    raw = events.application(
        "PlacementCompleted",
        f"late-{student}",
        offer_id="o-late",
        student_id=student,
        rating=2,
        remarks=remark,
    )
    await exchange.apply(application_event.validate_python(raw))


async def _register(exchange: Exchange, student: str, skill: str, programme: str) -> None:
    raw = events.student(student, skills=(skill,))
    raw["data"]["programme"] = programme
    await exchange.apply(student_event.validate_python(raw))


async def _run(*, sealing: bool) -> tuple[set[str], set[str], set[str]]:
    """Two students through suggestions and a placement; erase s-1.

    Returns where s-1's values were readable before the erasure, where after, and
    where s-2's are after (collection, or topic on the log after compaction).
    """
    store, keys, log = InMemoryStore(), InMemoryKeyStore(), Log()
    sealer = OutboxSealer(keys) if sealing else Plain()
    exchange = Exchange(store=store, publish=log, topics=TOPICS, sealer=sealer)
    offer = events.offer("o-1", skills=SKILLS, capacity=3)
    await exchange.apply(offer_event.validate_python(offer))
    await _register(exchange, "s-1", SKILLS[0], ERASED[1])
    await _register(exchange, "s-2", SKILLS[1], KEPT[1])
    await _candidacy(exchange, "s-1", ERASED[2], ERASED[3])
    await _candidacy(exchange, "s-2", KEPT[2], KEPT[3])
    await _waiting(exchange, "s-1", ERASED[4])
    await _waiting(exchange, "s-2", KEPT[4])

    async def where(needles: tuple[str, ...]) -> set[str]:
        places = {name: list(c.values()) for name, c in store.collections.items()}
        places |= log.after_compaction()
        found = scan_documents(places, needles, await live_keys(keys))
        return {f.where.split("/")[0] for f in found}

    before = await where(ERASED)
    await exchange.apply(student_event.validate_python(events.erasure("s-1")))
    return before, await where(ERASED), await where(KEPT)


async def test_after_erasure_no_value_of_the_student_is_readable_in_the_store_or_on_the_log() -> (
    None
):
    before, after, other = await _run(sealing=True)
    assert {"students", "offers", "applications", "placements"} <= before
    assert TOPICS.matches in before
    assert after == set()
    assert {"students", "offers", "applications", TOPICS.matches} <= other


async def test_control_without_sealing_the_records_bureau_sent_keep_them() -> None:
    """The store is scrubbed either way; what left bureau only sealing makes unreadable."""
    _, after, _ = await _run(sealing=False)
    assert after == {
        TOPICS.matches,
        TOPICS.suggestions("acme-security"),
        TOPICS.suggestions("roc-amsterdam"),
        TOPICS.outcomes("roc-amsterdam"),
        "offers",  # the event waiting for o-late, parked on its placeholder
    }


async def test_the_tombstone_keeps_no_outbox_of_parked_events_and_the_key_is_shredded() -> None:
    store, keys, log = InMemoryStore(), InMemoryKeyStore(), Log()
    exchange = Exchange(store=store, publish=log, topics=TOPICS, sealer=OutboxSealer(keys))
    await exchange.apply(offer_event.validate_python(events.offer("o-1")))
    await _register(exchange, "s-1", SKILLS[0], ERASED[1])
    await _candidacy(exchange, "s-1", ERASED[2], ERASED[3])
    assert await keys.get("s-1") is not None
    late = events.application("ApplicationSubmitted", "a-9", offer_id="o-1", student_id="s-9")
    await exchange.apply(application_event.validate_python(late))
    assert store["students"]["s-9"]["parked"] != []
    await exchange.apply(student_event.validate_python(events.erasure("s-9")))
    await exchange.apply(student_event.validate_python(events.erasure("s-1")))
    assert store["students"]["s-9"]["outbox"][-1]["value"] is None  # the Kafka tombstone only
    assert [e for e in store["students"]["s-9"]["outbox"] if "a-9" in json.dumps(e)] == []
    assert await keys.get("s-1") is None
    assert keys.shredded == {"s-1", "s-9"}


async def test_a_parked_event_rests_sealed_and_is_redriven_as_it_came_unless_erased() -> None:
    store, keys, log = InMemoryStore(), InMemoryKeyStore(), Log()
    exchange = Exchange(store=store, publish=log, topics=TOPICS, sealer=OutboxSealer(keys))
    for student in ("s-1", "s-2"):
        await _register(exchange, student, SKILLS[0], ERASED[1])
        await _waiting(exchange, student, ERASED[4])
    assert ERASED[4] not in json.dumps(store["offers"]["o-late"])
    await exchange.apply(student_event.validate_python(events.erasure("s-1")))
    await exchange.apply(offer_event.validate_python(events.offer("o-late")))
    redriven = [json.loads(v) for t, _, v in log.records if t == TOPICS.applications and v]
    assert [e["data"]["student_id"] for e in redriven] == ["s-2"]
    assert redriven[0]["data"]["remarks"] == ERASED[4]


async def test_a_late_event_about_an_erased_students_application_is_refused() -> None:
    store, keys, log = InMemoryStore(), InMemoryKeyStore(), Log()
    exchange = Exchange(store=store, publish=log, topics=TOPICS, sealer=OutboxSealer(keys))
    await exchange.apply(offer_event.validate_python(events.offer("o-1")))
    await _register(exchange, "s-1", SKILLS[0], ERASED[1])
    c = Candidacy(
        application_id="a-1",
        offer_id="o-1",
        student_id="s-1",
        school_id="roc-amsterdam",
        company_id="acme-security",
    )
    for raw in c.path_to(S.ACCEPTED):
        await exchange.apply(application_event.validate_python(raw))
    await exchange.apply(student_event.validate_python(events.erasure("s-1")))
    late = c.event("PlacementConfirmed")
    late["data"] |= {"start": ERASED[2], "end": ERASED[3]}
    with pytest.raises(RejectedEventError, match="erased"):
        await exchange.apply(application_event.validate_python(late))
    assert ERASED[2] not in json.dumps(store["offers"]["o-1"])
