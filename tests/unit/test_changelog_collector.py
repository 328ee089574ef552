"""The table follower holds Python's collector off while it applies, and gives it back.

The collector's switch is process-wide: whatever it was before a batch or a restore,
it must be after, also when applying fails, and a restore inside which a batch pauses
it too must not switch it back on early.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial

import pytest

from bureau.adapters.changelog import TableFollower, _collector_off
from bureau.topics import Topics

Pause = Callable[[], AbstractContextManager[None]]
_collector_paused: Pause = _collector_off
_collected_once: Pause = partial(_collector_off, collect=True)
PAUSES = [_collector_paused, _collected_once]


@pytest.fixture(autouse=True)
def _collector_back_on() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.parametrize("pause", PAUSES)
def test_the_collector_is_off_inside_and_on_again_after(pause: Pause) -> None:
    gc.enable()
    with pause():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.parametrize("pause", PAUSES)
def test_a_failure_inside_gives_the_collector_back(pause: Pause) -> None:
    gc.enable()
    with pytest.raises(ZeroDivisionError), pause():
        _ = 1 / 0
    assert gc.isenabled()


@pytest.mark.parametrize("pause", PAUSES)
def test_a_collector_switched_off_by_the_process_stays_off(pause: Pause) -> None:
    gc.disable()
    collections = gc.get_stats()[2]["collections"]
    with pause():
        pass
    assert not gc.isenabled()
    assert gc.get_stats()[2]["collections"] == collections, "nor does it collect then"


def test_a_batch_inside_a_restore_leaves_the_collector_off_until_the_restore_ends() -> None:
    gc.enable()
    with _collected_once():
        with _collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_restore_ends_with_one_full_collection() -> None:
    gc.enable()
    full = gc.get_stats()[2]["collections"]
    with _collected_once():
        pass
    assert gc.get_stats()[2]["collections"] == full + 1


def _in_oldest_generation(thing: object) -> bool:
    return any(o is thing for o in gc.get_objects(generation=2))


def test_what_a_restore_keeps_is_frozen_out_of_later_full_collections() -> None:
    """A full collection walks every object it tracks: the restored rows it need not.
    Control: unfrozen, the same row is walked again."""
    gc.enable()
    with _collected_once():
        row = {"profile": {"skills": ["linux"]}}
    assert not _in_oldest_generation(row)
    gc.unfreeze()
    assert _in_oldest_generation(row)


async def test_a_stopped_follower_gives_the_frozen_objects_back() -> None:
    with _collected_once():
        pass
    assert gc.get_freeze_count() > 0
    await TableFollower("127.0.0.1:1", Topics(), lambda *_: None).stop()
    assert gc.get_freeze_count() == 0
