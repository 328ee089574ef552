"""An outbox body is sealed with pydantic-core's JSON: the bytes stay the standard library's.

Tokens are deterministic and a redelivery is recognised by its sealed bytes, so a change
of JSON writer must not change a byte.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.privacy.fields import EVENTS, seal_personal
from bureau.privacy.keys import InMemoryKeyStore
from bureau.privacy.outbox import seal_bodies
from bureau.schemas.examples import EXAMPLES

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
score = st.floats(0, 1).map(lambda x: round(x, 4))


async def _both(event: dict[str, Any]) -> tuple[str, str]:
    keys = InMemoryKeyStore()
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    reference = await seal_personal(json.loads(body), keys)
    return (await seal_bodies([body], keys))[body], json.dumps(
        reference, separators=(",", ":"), ensure_ascii=False
    )


def test_every_sealed_example_is_written_as_the_standard_library_writes_it() -> None:
    sealed = [kind for kind in EVENTS if kind in EXAMPLES]
    assert {"MatchSuggested", "PlacementOutcome"} <= set(sealed)
    for kind in sealed:
        ours, reference = asyncio.run(_both(dict(EXAMPLES[kind])))
        assert ours == reference, kind
        assert ours != json.dumps(EXAMPLES[kind], separators=(",", ":"))  # it was sealed


@settings(max_examples=60, deadline=None)
@given(st.lists(text, max_size=4), score, text)
def test_a_suggestion_with_any_reasons_and_score_has_the_same_bytes(
    reasons: list[str], value: float, school: str
) -> None:
    event = json.loads(json.dumps(EXAMPLES["MatchSuggested"]))
    event["data"].update(reasons=reasons, score=value, school_id=school or "x")
    ours, reference = asyncio.run(_both(event))
    assert ours == reference
