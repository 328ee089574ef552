"""Subject access: everything held on a student, opened, with where it lives."""

import json

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.privacy.export import ExportRefusedError, export_student
from bureau.privacy.keys import InMemoryKeyStore
from tests.support.personal import erase, place, values


async def _world() -> tuple[InMemoryStore, InMemoryKeyStore]:
    store, keys = InMemoryStore(), InMemoryKeyStore()
    for n in (1, 2):
        await place(store, keys, values(n))
    return store, keys


async def test_the_export_lists_every_place_opened_and_nothing_of_others() -> None:
    store, keys = await _world()
    export = await export_student(store, keys, "st-0001", "roc-amsterdam")
    places = {h["where"].split("/")[0] for h in export["held"]}
    assert places == {
        "students",
        "applications",
        "placements",
        "offers",
        "round_inputs",
        "research",
    }
    parked = [h for h in export["held"] if "/parked/" in h["where"]]
    assert [h["where"] for h in parked] == ["offers/o-late-st-0001/parked/0"]
    text = json.dumps(export)
    for needle in values(1).needles:
        assert needle in text
    for needle in values(2).needles:
        assert needle not in text
    assert "bk1." not in text, "every token of the student is opened"
    assert export["data_key"]["key_id"] == (await keys.get("st-0001")).key_id  # type: ignore[union-attr]


async def test_another_school_is_refused() -> None:
    store, keys = await _world()
    with pytest.raises(ExportRefusedError, match="not a student of"):
        await export_student(store, keys, "st-0001", "other-school")


async def test_an_erased_student_is_refused() -> None:
    store, keys = await _world()
    await erase(store, keys, "st-0001", "roc-amsterdam")
    with pytest.raises(ExportRefusedError, match="erased"):
        await export_student(store, keys, "st-0001", "roc-amsterdam")


async def test_an_unknown_student_is_refused() -> None:
    store, keys = await _world()
    with pytest.raises(ExportRefusedError, match="no student"):
        await export_student(store, keys, "st-9999", "roc-amsterdam")
