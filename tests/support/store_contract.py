"""One behaviour suite for every Store: run against the fake and against MongoDB."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from bureau.adapters.store import Commit, ConcurrentWriteError, Store, Stored


async def write(
    store: Store,
    kind: str,
    key: str,
    fields: dict[str, Any],
    outbox: list[dict[str, Any]] | None = None,
    seen: dict[str, Any] | None = None,
) -> None:
    """Commit on top of whatever is stored now."""
    previous = await store.load(kind, key)
    await store.commit(
        kind,
        key,
        previous=previous,
        state=dict(fields),
        fields=fields,
        seen=seen or {"recent": [{"id": "e", "h": "h"}]},
        outbox=outbox or [],
    )


class StoreContract:
    """Subclasses provide a ``store`` fixture yielding an empty Store."""

    async def test_commit_records_state_seen_and_outbox_in_one_write(self, store: Store) -> None:
        assert await store.load("things", "k") is None
        entry = {"topic": "t", "key": "k", "value": "{}"}
        await write(store, "things", "k", {"n": 1}, [entry])
        await write(store, "things", "k", {"n": 2}, [entry, entry], {"marks": [{"t": "x"}]})
        stored = await store.load("things", "k")
        assert stored is not None
        assert (stored.state, stored.version) == ({"n": 2}, 2)
        assert stored.seen == {"marks": [{"t": "x"}]}
        assert stored.outbox == (entry, entry)
        assert [d["n"] for d in await store.find("things", {})] == [2]

    async def test_fields_the_new_state_lacks_are_removed(self, store: Store) -> None:
        await write(store, "things", "k", {"level": "mbo-4", "gender": "female", "school": "x"})
        await write(store, "things", "k", {"school": "x", "erased": True})
        [doc] = await store.find("things", {})
        internal = ("state", "seen", "outbox", "version", "parked")
        assert {k: v for k, v in doc.items() if k not in internal} == {
            "_id": "k",
            "school": "x",
            "erased": True,
        }

    async def test_a_stale_version_is_refused(self, store: Store) -> None:
        await write(store, "things", "k", {})
        stale = Stored(state={}, version=5, seen={})
        for previous in (None, stale):
            with pytest.raises(ConcurrentWriteError):
                await store.commit(
                    "things", "k", previous=previous, state={}, fields={}, seen={}, outbox=[]
                )

    async def test_many_commits_go_together_at_the_versions_given(self, store: Store) -> None:
        await write(store, "things", "old", {"gender": "x", "n": 0})
        old = await store.load("things", "old")
        entry = {"topic": "t", "key": "k", "value": "{}"}
        await store.commit_many(
            "things",
            [
                Commit("old", old, {"n": 3}, {"n": 3}, {"recent": []}, [entry], 4),
                Commit("new", None, {"n": 1}, {"n": 1}, {"recent": []}, [], 2),
            ],
        )
        found = await store.load_many("things", ["old", "new"])
        assert {k: (v.state, v.version) for k, v in found.items()} == {
            "old": ({"n": 3}, 4),
            "new": ({"n": 1}, 2),
        }
        assert found["old"].outbox == (entry,)
        [doc] = await store.find("things", {"n": 3})
        assert "gender" not in doc  # the fields the new state lacks are removed here too

    async def test_a_stale_commit_among_many_is_refused_and_the_others_written(
        self, store: Store
    ) -> None:
        await write(store, "things", "taken", {"n": 0})
        await write(store, "things", "moved", {"n": 0})
        moved = await store.load("things", "moved")
        await write(store, "things", "moved", {"n": 1})  # another writer, meanwhile
        with pytest.raises(ConcurrentWriteError):
            await store.commit_many(
                "things",
                [
                    Commit("taken", None, {"n": 9}, {"n": 9}, {}, [], 1),
                    Commit("moved", moved, {"n": 9}, {"n": 9}, {}, [], 2),
                    Commit("fresh", None, {"n": 9}, {"n": 9}, {}, [], 1),
                ],
            )
        found = await store.load_many("things", ["taken", "moved", "fresh"])
        assert {k: v.state for k, v in found.items()} == {
            "taken": {"n": 0},
            "moved": {"n": 1},
            "fresh": {"n": 9},
        }

    async def test_many_views_are_replaced_and_deleted_at_once(self, store: Store) -> None:
        await store.put_view("applications", "gone", {"status": "submitted"})
        await store.put_view("applications", "kept", {"status": "submitted"})
        await store.put_views(
            "applications",
            {"gone": None, "kept": {"status": "offered"}, "new": {"status": "submitted"}},
        )
        found = {d["_id"]: d["status"] for d in await store.find("applications", {})}
        assert found == {"kept": "offered", "new": "submitted"}

    async def test_a_batch_of_120_updates_and_a_stale_one_is_written_and_refused(
        self, store: Store
    ) -> None:
        """Many existing aggregates and views at once (FerretDB 1.24 wedged on 50 in one)."""
        keys = [f"k{i:03d}" for i in range(121)]
        await store.commit_many(
            "things", [Commit(k, None, {"n": 0}, {"n": 0}, {}, [], 1) for k in keys]
        )
        found = await store.load_many("things", keys)
        stale = replace(found["k120"], version=7)
        commits = [Commit(k, found[k], {"n": 1}, {"n": 1}, {}, [], 2) for k in keys[:120]]
        async with asyncio.timeout(120):  # a wedged store fails the test, not the suite
            with pytest.raises(ConcurrentWriteError):
                await store.commit_many(
                    "things", [*commits, Commit("k120", stale, {"n": 1}, {"n": 1}, {}, [], 8)]
                )
            await store.put_views("views", {k: {"n": 1} for k in keys})
            await store.put_views(
                "views", {k: ({"n": 2} if i % 2 else None) for i, k in enumerate(keys)}
            )
        after = await store.load_many("things", keys)
        assert {k: v.version for k, v in after.items()} == {
            **dict.fromkeys(keys[:120], 2),
            "k120": 1,
        }
        assert len(await store.find("views", {"n": 2})) == 60

    async def test_views_are_replaced_and_deleted(self, store: Store) -> None:
        await store.put_view("applications", "a-1", {"status": "submitted", "school_id": "x"})
        await store.put_view("applications", "a-1", {"status": "offered", "school_id": "x"})
        await store.put_view("applications", "a-2", {"status": "offered", "school_id": "y"})
        found = await store.find("applications", {"school_id": "x"})
        assert [(d["_id"], d["status"]) for d in found] == [("a-1", "offered")]
        await store.put_view("applications", "a-1", None)
        assert [d["_id"] for d in await store.find("applications", {})] == ["a-2"]

    async def test_an_appended_view_keeps_the_first_document(self, store: Store) -> None:
        await store.insert_view("inputs", "e-1", {"round_id": "r", "n": 1})
        await store.insert_view("inputs", "e-1", {"round_id": "r", "n": 2})
        await store.insert_view("inputs", "e-2", {"round_id": "q", "n": 3})
        assert [d["n"] for d in await store.find("inputs", {"round_id": "r"})] == [1]

    async def test_appended_in_one_call_an_existing_key_is_left_and_the_rest_added(
        self, store: Store
    ) -> None:
        await store.insert_view("inputs", "e-1", {"round_id": "r", "n": 1})
        # A batch consumed again: e-1 and e-2 are there already, e-3 is new.
        await store.insert_views("inputs", [("e-2", {"round_id": "r", "n": 2})])
        await store.insert_views(
            "inputs",
            [
                ("e-1", {"round_id": "r", "n": 10}),
                ("e-2", {"round_id": "r", "n": 20}),
                ("e-3", {"round_id": "r", "n": 3}),
            ],
        )
        assert [d["n"] for d in await store.find("inputs", {"round_id": "r"})] == [1, 2, 3]

    async def test_load_many_returns_the_stored_aggregates_only(self, store: Store) -> None:
        for key in ("a", "b"):
            await write(store, "things", key, {"k": key})
        found = await store.load_many("things", ["b", "zz", "a"])
        assert sorted(found) == ["a", "b"]
        assert found["a"].state == {"k": "a"}
        assert found["a"].version == 1

    async def test_get_many_returns_the_existing_ones(self, store: Store) -> None:
        for key in ("a", "b", "c"):
            await write(store, "things", key, {"k": key})
        found = await store.get_many("things", ["c", "a", "zz"])
        assert sorted(d["k"] for d in found) == ["a", "c"]

    async def test_parked_events_wait_in_order_on_a_placeholder(self, store: Store) -> None:
        a = {"topic": "t", "key": "o-1", "value": "A"}
        b = {"topic": "t", "key": "o-1", "value": "B"}
        for entry in (a, b, a):
            await store.park("offers", "o-1", entry)
        placeholder = await store.load("offers", "o-1")
        assert placeholder is not None
        assert placeholder.state is None
        assert placeholder.parked == (a, b)

    async def test_the_sweep_lists_parked_events_and_takes_one_off(self, store: Store) -> None:
        a = {"topic": "t", "key": "o-1", "value": "A", "parked_at": "2026-01-01T00:00:00+00:00"}
        b = {"topic": "t", "key": "o-1", "value": "B"}
        for entry in (a, b):
            await store.park("offers", "o-1", entry)
        await write(store, "offers", "o-2", {"n": 1})
        assert await store.parked("offers") == [("o-1", [a, b])]
        before = await store.load("offers", "o-1")
        await store.unpark("offers", "o-1", a)
        after = await store.load("offers", "o-1")
        assert after is not None
        assert before is not None
        assert after.parked == (b,)
        assert after.version == before.version + 1

    async def test_a_commit_takes_the_parked_events_and_parking_moves_the_version(
        self, store: Store
    ) -> None:
        await store.park("offers", "o-1", {"topic": "t", "key": "o-1", "value": "A"})
        placeholder = await store.load("offers", "o-1")
        await store.park("offers", "o-1", {"topic": "t", "key": "o-1", "value": "B"})
        with pytest.raises(ConcurrentWriteError):  # parked meanwhile: decide again
            await store.commit(
                "offers", "o-1", previous=placeholder, state={}, fields={}, seen={}, outbox=[]
            )
        await write(store, "offers", "o-1", {"n": 1})
        stored = await store.load("offers", "o-1")
        assert stored is not None
        assert (stored.state, stored.parked) == ({"n": 1}, ())
