"""Property: whatever was sealed about a student, none of it is readable once their key is gone."""

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.privacy.fields import seal_by_student, seal_personal
from bureau.privacy.keys import InMemoryKeyStore
from bureau.schemas.examples import EXAMPLES
from tests.support.erasure_proof import live_keys, scan_documents

STUDENTS = ("st-a", "st-b")
# '#' is outside the base64url alphabet: a value can never occur inside a token by chance
value = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=12)
KINDS = (
    "applications",
    "placements",
    "MatchSuggested",
    "PlacementOutcome",
    "parked",
    "dlq",
    "round_preferences",
)


def _doc(kind: str, student: str, v: str) -> dict[str, Any]:
    if kind == "applications":
        return {
            "student_id": student,
            "status": "completed",
            "rating": 3,
            "history": [{"reason": v}],
            "start": "2027-01-01",
        }
    if kind == "placements":
        return {"student_id": student, "status": "confirmed", "start": v, "end": v}
    if kind == "MatchSuggested":
        event = {**EXAMPLES["MatchSuggested"]}
        event["data"] = {**event["data"], "student_id": student, "reasons": [f"skills: {v}"]}
        return event
    if kind == "PlacementOutcome":
        event = {**EXAMPLES["PlacementOutcome"]}
        event["data"] = {**event["data"], "student_id": student, "reason": v}
        return event
    return {"topic": "t", "key": student, "value": json.dumps({"data": {"remarks": v}})}


async def _run(steps: list[tuple[str, int, str]]) -> tuple[set[str], set[str]]:
    keys = InMemoryKeyStore()
    docs: list[dict[str, Any]] = []
    for kind, who, raw in steps:
        student, v = STUDENTS[who], f"{STUDENTS[who]}#{raw}"
        if kind == "round_preferences":
            docs.append({"entries": await seal_by_student({student: [v]}, keys)})
        else:
            docs.append(
                await seal_personal(_doc(kind, student, v), keys, kind=kind, student_id=student)
            )
    await keys.delete("st-a")
    live = await live_keys(keys)
    needles = {f"{STUDENTS[w]}#{raw}" for _, w, raw in steps}
    found = {f.value for f in scan_documents({"docs": docs}, needles, live)}
    return found, needles


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 1), value), max_size=25))
def test_no_plaintext_of_an_erased_student_remains_readable(
    steps: list[tuple[str, int, str]],
) -> None:
    found, needles = asyncio.run(_run(steps))
    assert not {v for v in found if v.startswith("st-a#")}
    assert found == {v for v in needles if v.startswith("st-b#")}, "the other student's remain"
