"""The erasure proof on the in-memory store: after shredding nothing is found; a control is."""

from typing import Any

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.privacy.crypto import new_key, seal
from bureau.privacy.keys import InMemoryKeyStore
from tests.support.erasure_proof import live_keys, scan_documents, search_text
from tests.support.personal import erase, place, preferences, values


async def _world(*, seal: bool = True) -> tuple[InMemoryStore, InMemoryKeyStore]:
    store, keys = InMemoryStore(), InMemoryKeyStore()
    for n in (1, 2):
        await place(store, keys, values(n), seal=seal)
    return store, keys


async def _found(store: InMemoryStore, keys: InMemoryKeyStore, n: int) -> set[str]:
    live = await live_keys(keys)
    docs = {name: list(c.values()) for name, c in store.collections.items()}
    return {f.where for f in scan_documents(docs, values(n).needles, live)}


async def test_after_erasure_no_value_of_the_student_is_readable_anywhere() -> None:
    store, keys = await _world()
    await erase(store, keys, "st-0001", "roc-amsterdam")
    assert await _found(store, keys, 1) == set()


async def test_control_without_shredding_the_values_are_found_in_every_place() -> None:
    store, keys = await _world()
    found = {w.split("/")[0] for w in await _found(store, keys, 1)}
    assert found == {
        "students",
        "offers",
        "applications",
        "placements",
        "round_inputs",
        "dlq",
    }


async def test_the_other_students_values_survive_the_erasure() -> None:
    store, keys = await _world()
    await erase(store, keys, "st-0001", "roc-amsterdam")
    assert "dlq" in {w.split("/")[0] for w in await _found(store, keys, 2)}
    assert set(await preferences(store)) == {"st-0002"}


async def test_control_scrubbing_without_sealing_leaves_the_views_readable() -> None:
    """The proof fails when sealing is not wired: the views and copies keep the values."""
    store, keys = await _world(seal=False)
    await erase(store, keys, "st-0001", "roc-amsterdam")
    left = {w.split("/")[0] for w in await _found(store, keys, 1)}
    # the outbox of the student's own document is replaced by the tombstone's
    assert left == {"applications", "placements", "offers", "dlq"}


@pytest.mark.parametrize("nested", [False, True])
def test_values_inside_tokens_are_found_only_with_a_live_key(nested: bool) -> None:
    key = new_key("st-1")
    inner: Any = {"skill": "quokka"}
    token = seal(key, seal(key, inner) if nested else inner)
    text = f'{{"sealed": "{token}"}}'
    assert [f.sealed for f in search_text("x", text, ["quokka"], {key.key_id: key})] == [True]
    assert search_text("x", text, ["quokka"], {}) == []
