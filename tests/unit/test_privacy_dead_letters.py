"""Dead letters about a student are sealed under their key; others are kept as they came."""

import json

import pytest

from bureau.privacy.dead_letters import open_dead_letter, seal_dead_letter
from bureau.privacy.keys import InMemoryKeyStore
from tests.support import events


@pytest.mark.parametrize(
    ("value", "key", "students_topic"),
    [
        (json.dumps(events.student("s-1", skills=("quokka",))).encode(), b"s-1", True),
        (b"\xff\xfe quokka not utf-8", b"s-1", True),
        (
            json.dumps(
                events.application("PlacementCompleted", "a", student_id="s-1", remarks="quokka")
            ).encode(),
            b"o-1",
            False,
        ),
    ],
)
async def test_a_dead_letter_about_a_student_is_sealed_and_opens_to_its_bytes(
    value: bytes, key: bytes, students_topic: bool
) -> None:
    keys = InMemoryKeyStore()
    sealed = await seal_dead_letter(value, key, students_topic=students_topic, keys=keys)
    assert b"quokka" not in sealed
    assert await open_dead_letter(sealed, keys) == value
    await keys.delete("s-1")
    assert await open_dead_letter(sealed, keys) is None


async def test_a_record_about_nobody_is_kept_as_it_came() -> None:
    keys = InMemoryKeyStore()
    offer = json.dumps(events.offer("o-1")).encode()
    assert await seal_dead_letter(offer, b"o-1", students_topic=False, keys=keys) == offer
    assert await seal_dead_letter(b"{not json", b"o-1", students_topic=False, keys=keys) == (
        b"{not json"
    )
    assert await open_dead_letter(offer, keys) == offer
