"""One behaviour suite for every Store: run against the fake and against MongoDB."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bureau.adapters.store import ConcurrentWriteError, Store, Stored
from bureau.domain.matching import Offer, Student
from bureau.schemas.common import Level


def make_offer(offer_id: str = "o-1", **kw: Any) -> Offer:
    fields: dict[str, Any] = {
        "offer_id": offer_id,
        "company_id": "acme",
        "title": "Pentest intern",
        "levels": frozenset({Level.MBO_4, Level.HBO}),
        "skills": frozenset({"linux", "python"}),
        "region": "1012",
        "capacity": 1,
    }
    return Offer(**(fields | kw))


def make_student(student_id: str = "s-1", **kw: Any) -> Student:
    fields: dict[str, Any] = {
        "student_id": student_id,
        "school_id": "roc",
        "level": Level.MBO_4,
        "skills": frozenset({"linux"}),
        "region": "1013",
        "consent": True,
    }
    return Student(**(fields | kw))


def offer_fields(o: Offer) -> dict[str, Any]:
    return {
        "company_id": o.company_id,
        "title": o.title,
        "levels": sorted(v.value for v in o.levels),
        "skills": sorted(o.skills),
        "region": o.region,
        "capacity": o.capacity,
    }


def student_fields(s: Student) -> dict[str, Any]:
    return {
        "school_id": s.school_id,
        "level": s.level.value,
        "skills": sorted(s.skills),
        "region": s.region,
        "consent": s.consent,
    }


async def write(
    store: Store,
    kind: str,
    key: str,
    fields: dict[str, Any],
    outbox: list[dict[str, Any]] | None = None,
) -> uuid.UUID:
    """Commit on top of whatever is stored now; return the event id used."""
    event_id = uuid.uuid4()
    previous = await store.load(kind, key)
    await store.commit(
        kind,
        key,
        previous=previous,
        event_id=event_id,
        state=dict(fields),
        fields=fields,
        outbox=outbox or [],
    )
    return event_id


async def put_offer(store: Store, o: Offer) -> None:
    await write(store, "offers", o.offer_id, offer_fields(o))


async def put_student(store: Store, s: Student) -> None:
    await write(store, "students", s.student_id, student_fields(s))


class StoreContract:
    """Subclasses provide a ``store`` fixture yielding an empty Store."""

    async def test_commit_records_state_event_id_and_outbox_in_one_write(
        self, store: Store
    ) -> None:
        assert await store.load("things", "k") is None
        entry = {"topic": "t", "key": "k", "value": "{}"}
        first = await write(store, "things", "k", {"n": 1}, [entry])
        second = await write(store, "things", "k", {"n": 2}, [entry, entry])
        stored = await store.load("things", "k")
        assert stored is not None
        assert (stored.state, stored.version) == ({"n": 2}, 2)
        assert stored.applied == {str(first), str(second)}
        assert stored.outbox == (entry, entry)
        assert [d["n"] for d in await store.find("things", {})] == [2]

    async def test_fields_the_new_state_lacks_are_removed(self, store: Store) -> None:
        await write(store, "things", "k", {"level": "mbo-4", "gender": "female", "school": "x"})
        await write(store, "things", "k", {"school": "x", "erased": True})
        [doc] = await store.find("things", {})
        assert {
            k: v for k, v in doc.items() if k not in ("state", "applied", "outbox", "version")
        } == {
            "_id": "k",
            "school": "x",
            "erased": True,
        }

    async def test_a_stale_version_is_refused(self, store: Store) -> None:
        await write(store, "things", "k", {})
        stale = Stored(state={}, version=5, applied=frozenset(), outbox=())
        for previous in (None, stale):
            with pytest.raises(ConcurrentWriteError):
                await store.commit(
                    "things",
                    "k",
                    previous=previous,
                    event_id=uuid.uuid4(),
                    state={},
                    fields={},
                    outbox=[],
                )

    async def test_clear_outbox_only_for_its_version(self, store: Store) -> None:
        entry = {"topic": "t", "key": "k", "value": "{}"}
        await write(store, "things", "k", {}, [entry])
        await store.clear_outbox("things", "k", version=7)
        stored = await store.load("things", "k")
        assert stored is not None
        assert stored.outbox == (entry,)
        await store.clear_outbox("things", "k", version=1)
        stored = await store.load("things", "k")
        assert stored is not None
        assert stored.outbox == ()

    async def test_views_are_replaced_and_deleted(self, store: Store) -> None:
        await store.put_view("applications", "a-1", {"status": "submitted", "school_id": "x"})
        await store.put_view("applications", "a-1", {"status": "offered", "school_id": "x"})
        await store.put_view("applications", "a-2", {"status": "offered", "school_id": "y"})
        found = await store.find("applications", {"school_id": "x"})
        assert [(d["_id"], d["status"]) for d in found] == [("a-1", "offered")]
        await store.put_view("applications", "a-1", None)
        assert [d["_id"] for d in await store.find("applications", {})] == ["a-2"]

    async def test_get_many_returns_the_existing_ones(self, store: Store) -> None:
        for key in ("a", "b", "c"):
            await write(store, "things", key, {"k": key})
        found = await store.get_many("things", ["c", "a", "zz"])
        assert sorted(d["k"] for d in found) == ["a", "c"]

    async def test_parking_keeps_one_copy_in_order_until_unparked(self, store: Store) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        await store.park("offer:o-1", a, {"topic": "t", "key": "o-1", "value": "A"})
        await store.park("offer:o-1", b, {"topic": "t", "key": "o-1", "value": "B"})
        await store.park("offer:o-1", a, {"topic": "t", "key": "o-1", "value": "A"})
        await store.park("offer:o-2", uuid.uuid4(), {"topic": "t", "key": "o-2", "value": "C"})
        waiting = await store.parked("offer:o-1")
        assert [d["value"] for d in waiting] == ["A", "B"]
        await store.unpark([d["_id"] for d in waiting])
        assert await store.parked("offer:o-1") == []
        assert len(await store.parked("offer:o-2")) == 1

    async def test_candidates_need_level_shared_skill_and_consent(self, store: Store) -> None:
        for s in [
            make_student("s-fit"),
            make_student("s-level", level=Level.WO),
            make_student("s-skill", skills=frozenset({"excel"})),
            make_student("s-noconsent", consent=False),
        ]:
            await put_student(store, s)
        found = await store.students_matching(make_offer(), 10)
        assert found == [make_student("s-fit")]

    async def test_offers_for_a_student_need_level_skill_and_places(self, store: Store) -> None:
        for o in [
            make_offer("o-fit"),
            make_offer("o-level", levels=frozenset({Level.WO})),
            make_offer("o-skill", skills=frozenset({"excel"})),
            make_offer("o-full", capacity=0),
        ]:
            await put_offer(store, o)
        assert await store.offers_matching(make_student(), 10) == [make_offer("o-fit")]

    async def test_limit_is_respected_in_id_order(self, store: Store) -> None:
        for i in range(5):
            await put_student(store, make_student(f"s-{i}"))
        found = await store.students_matching(make_offer(), 3)
        assert [s.student_id for s in found] == ["s-0", "s-1", "s-2"]

    async def test_notification_ledger(self, store: Store) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        assert await store.claim({a: "a1", b: "b1"}) == {a: "a1", b: "b1"}
        # The first body recorded stays, whoever claims the id again.
        assert await store.claim({a: "a2"}) == {a: "a1"}
        await store.mark_sent([a])
        await store.mark_sent([a])
        assert await store.claim({a: "a3", b: "b3"}) == {b: "b1"}
        await store.mark_sent([])
        assert await store.claim({}) == {}
