"""One behaviour suite for every Store: run against the fake and against MongoDB."""

from __future__ import annotations

import uuid

from bureau.adapters.store import Store
from bureau.domain.matching import Offer, Student
from bureau.schemas.common import Level


def make_offer(offer_id: str = "o-1", **kw: object) -> Offer:
    fields: dict[str, object] = {
        "offer_id": offer_id,
        "company_id": "acme",
        "title": "Pentest intern",
        "levels": frozenset({Level.MBO_4, Level.HBO}),
        "skills": frozenset({"linux", "python"}),
        "region": "1012",
        "capacity": 1,
    }
    fields.update(kw)
    return Offer(**fields)  # type: ignore[arg-type]


def make_student(student_id: str = "s-1", **kw: object) -> Student:
    fields: dict[str, object] = {
        "student_id": student_id,
        "school_id": "roc",
        "level": Level.MBO_4,
        "skills": frozenset({"linux"}),
        "region": "1013",
        "consent": True,
    }
    fields.update(kw)
    return Student(**fields)  # type: ignore[arg-type]


class StoreContract:
    """Subclasses provide a ``store`` fixture yielding an empty Store."""

    async def test_an_event_applies_once(self, store: Store) -> None:
        event_id = uuid.uuid4()
        assert await store.record_offer(event_id, make_offer()) is True
        assert await store.record_offer(event_id, make_offer()) is False
        assert await store.record_student(event_id, make_student()) is True
        assert await store.record_student(event_id, make_student()) is False

    async def test_a_new_event_for_the_same_offer_replaces_it(self, store: Store) -> None:
        await store.record_offer(uuid.uuid4(), make_offer(capacity=1))
        assert await store.record_offer(uuid.uuid4(), make_offer(capacity=0)) is True
        assert await store.offers_matching(make_student(), 10) == []

    async def test_candidates_need_level_shared_skill_and_consent(self, store: Store) -> None:
        for s in [
            make_student("s-fit"),
            make_student("s-level", level=Level.WO),
            make_student("s-skill", skills=frozenset({"excel"})),
            make_student("s-noconsent", consent=False),
        ]:
            await store.record_student(uuid.uuid4(), s)
        found = await store.students_matching(make_offer(), 10)
        assert [s.student_id for s in found] == ["s-fit"]
        assert found[0] == make_student("s-fit")

    async def test_offers_for_a_student_need_level_skill_and_capacity(self, store: Store) -> None:
        for o in [
            make_offer("o-fit"),
            make_offer("o-level", levels=frozenset({Level.WO})),
            make_offer("o-skill", skills=frozenset({"excel"})),
            make_offer("o-full", capacity=0),
        ]:
            await store.record_offer(uuid.uuid4(), o)
        found = await store.offers_matching(make_student(), 10)
        assert [o.offer_id for o in found] == ["o-fit"]
        assert found[0] == make_offer("o-fit")

    async def test_limit_is_respected_in_id_order(self, store: Store) -> None:
        for i in range(5):
            await store.record_student(uuid.uuid4(), make_student(f"s-{i}"))
        found = await store.students_matching(make_offer(), 3)
        assert [s.student_id for s in found] == ["s-0", "s-1", "s-2"]

    async def test_notification_ledger(self, store: Store) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        assert await store.unsent([a, b]) == {a, b}
        await store.mark_sent([a])
        await store.mark_sent([a])
        assert await store.unsent([a, b]) == {b}
        await store.mark_sent([])
