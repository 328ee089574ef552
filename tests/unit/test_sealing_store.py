"""The sealing store around today's service: what an erasure leaves readable, and where."""

import json
from typing import Any

from pydantic import TypeAdapter

from bureau.adapters.memory import InMemoryStore
from bureau.privacy.keys import InMemoryKeyStore
from bureau.privacy.sealing_store import SealingStore, sealing_publisher
from bureau.schemas import StudentEvent, application_event, offer_event
from bureau.schemas.outcomes import PlacementStatus as S
from bureau.service import Exchange
from bureau.topics import Topics
from tests.support import events
from tests.support.erasure_proof import live_keys, scan_documents
from tests.support.scenarios import Candidacy

SKILL, PROGRAMME, REMARK, START = (
    "quokka-forensics",
    "Zeppelin rigging XQ",
    "hums-at-work",
    "2031-07-13",
)
NEEDLES = (SKILL, PROGRAMME, REMARK, START)
student_event: TypeAdapter[StudentEvent] = TypeAdapter(StudentEvent)


async def _drive(*, sealing: bool) -> set[str]:
    """Run one student through the service, erase them, return where values remain."""
    inner, keys = InMemoryStore(), InMemoryKeyStore()
    log: list[dict[str, Any]] = []

    async def publish(topic: str, key: bytes, value: bytes | None) -> None:
        log.append({"_id": f"{topic}/{len(log)}", "value": (value or b"").decode()})

    store = SealingStore(inner, keys) if sealing else inner
    out = sealing_publisher(publish, keys) if sealing else publish
    exchange = Exchange(store=store, publish=out, topics=Topics())  # type: ignore[arg-type]
    await exchange.on_offer_event(offer_event.validate_python(events.offer("o-1", skills=(SKILL,))))
    waiting = events.application(
        "PlacementCompleted",
        "a-9",
        offer_id="o-missing",
        student_id="s-1",
        rating=2,
        remarks=REMARK,
    )
    await exchange.on_application_event(application_event.validate_python(waiting))
    student = events.student("s-1", skills=(SKILL,))
    student["data"]["programme"] = PROGRAMME
    await exchange.on_student_event(student_event.validate_python(student))
    c = Candidacy(
        application_id="a-1",
        offer_id="o-1",
        student_id="s-1",
        school_id="roc-amsterdam",
        company_id="acme-security",
    )
    for e in c.path_to(S.COMPLETED):
        if e["event_type"] == "PlacementConfirmed":
            e["data"] |= {"start": START, "end": "2031-12-31"}
        if e["event_type"] == "PlacementCompleted":
            e["data"]["remarks"] = REMARK
        await exchange.on_application_event(application_event.validate_python(e))
    await exchange.on_student_event(student_event.validate_python(events.erasure("s-1")))
    await keys.delete("s-1")
    docs = {name: list(c.values()) for name, c in inner.collections.items()} | {"kafka": log}
    found = scan_documents(docs, NEEDLES, await live_keys(keys))
    return {f.where.split("/")[0] for f in found}


async def test_sealed_at_rest_only_the_offer_book_still_holds_the_erased_students_values() -> None:
    assert await _drive(sealing=True) == {"offers"}  # the lead's scrub_book on erasure


async def test_control_without_sealing_the_views_ledger_parked_events_and_topics_hold_them() -> (
    None
):
    assert await _drive(sealing=False) == {
        "offers",
        "applications",
        "placements",
        "notifications",
        "parked",
        "kafka",
    }


async def test_a_parked_event_rests_sealed_and_is_redriven_as_it_came() -> None:
    inner, keys = InMemoryStore(), InMemoryKeyStore()
    sent: list[tuple[str, bytes | None]] = []

    async def publish(topic: str, key: bytes, value: bytes | None) -> None:
        sent.append((topic, value))

    store = SealingStore(inner, keys)
    exchange = Exchange(store=store, publish=publish, topics=Topics())
    await exchange.on_offer_event(offer_event.validate_python(events.offer("o-1")))
    early = events.application("ApplicationSubmitted", "a-1", offer_id="o-1", student_id="s-1")
    submitted = application_event.validate_python(early)
    await exchange.on_application_event(submitted)
    [entry] = inner["parked"].values()
    assert "value" not in entry
    assert entry["student_id"] == "s-1"
    await exchange.on_student_event(student_event.validate_python(events.student("s-1")))
    assert (Topics().applications, submitted.model_dump_json().encode()) in sent
    assert inner["parked"] == {}


async def test_round_preferences_rest_sealed_per_student_and_read_back_plain() -> None:
    inner, keys = InMemoryStore(), InMemoryKeyStore()
    store = SealingStore(inner, keys)
    entries = {"s-1": ["o-1", "o-2"], "s-2": ["o-2"]}
    doc = {"round_id": "r", "entries": json.dumps(entries)}
    await store.put_view("round_preferences", "r:roc", doc)
    assert "o-1" not in inner["round_preferences"]["r:roc"]["entries"]
    [back] = await store.get_many("round_preferences", ["r:roc"])
    assert json.loads(back["entries"]) == entries
    await keys.delete("s-1")
    [after] = await store.find("round_preferences", {"round_id": "r"})
    assert json.loads(after["entries"]) == {"s-2": ["o-2"]}


class _Counting(InMemoryKeyStore):
    """Counts read round trips."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, student_id: str) -> Any:
        self.reads += 1
        return await super().get(student_id)

    async def get_many(self, student_ids: Any) -> Any:
        self.reads += 1
        return await super().get_many(student_ids)


async def test_reading_many_sealed_documents_fetches_their_keys_at_once() -> None:
    keys = _Counting()
    store = SealingStore(InMemoryStore(), keys)
    for n in range(50):
        doc = {"student_id": f"s-{n}", "status": "confirmed", "start": "2031-07-13"}
        await store.put_view("placements", f"a-{n}", doc)
    keys.reads = 0
    found = await store.find("placements", {})
    assert {d["start"] for d in found} == {"2031-07-13"}
    assert keys.reads == 1
