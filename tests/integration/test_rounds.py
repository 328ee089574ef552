"""A matching round and its follow-up, end to end: rankings in, outcomes at each school."""

from __future__ import annotations

import json
from typing import Any

from bureau.app import create_app
from bureau.domain.rounds import ALGORITHM_VERSION
from bureau.settings import Settings
from bureau.topics import Purpose, Topics
from tests.support import events
from tests.support.kafka import as_json, eventually, produce, read_all, wait_consumed

SCHOOL_A, SCHOOL_B, COORDINATOR = "roc-a", "roc-b", "cscmra"


def _round(event_type: str, source: str, **data: Any) -> dict[str, Any]:
    return events.envelope(event_type, source, data)


async def _outcomes(settings: Settings, school: str) -> dict[str, str]:
    topic = Topics.from_settings(settings).outcomes(school)
    return {
        json.loads(r.value)["data"]["student_id"]: json.loads(r.value)["data"]["status"]
        for r in await read_all(settings.kafka_bootstrap, topic)
    }


async def test_a_round_allocates_stably_and_a_follow_up_serves_the_unplaced(
    settings: Settings,
) -> None:
    t = Topics.from_settings(settings)
    k = settings.kafka_bootstrap
    students = [
        events.student("s-a", school_id=SCHOOL_A),
        events.student("s-b", school_id=SCHOOL_A),
        events.student("s-c", school_id=SCHOOL_B),
        events.student("s-d", school_id=SCHOOL_B),
    ]
    offers = [
        events.offer("o-1", company_id="c-1", capacity=1),
        events.offer("o-2", company_id="c-1", capacity=1),
        events.offer("o-3", company_id="c-2", capacity=2),
    ]
    prefs = {"s-a": ["o-1", "o-2"], "s-b": ["o-1", "o-2"], "s-c": ["o-1", "o-2"], "s-d": ["o-3"]}
    school = {"s-a": SCHOOL_A, "s-b": SCHOOL_A, "s-c": SCHOOL_B, "s-d": SCHOOL_B}
    ranks = {
        "o-1": ("c-1", ["s-b", "s-a", "s-c"]),
        "o-2": ("c-1", ["s-c", "s-a", "s-b"]),
        "o-3": ("c-2", ["s-d"]),
    }
    first_round = [
        _round(
            "MatchingRoundOpened",
            COORDINATOR,
            round_id="r1",
            coordinator_id=COORDINATOR,
            offer_ids=["o-1", "o-2", "o-3"],
        ),
        *(
            _round("PreferencesSubmitted", school[s], round_id="r1", student_id=s, offer_ids=p)
            for s, p in prefs.items()
        ),
        *(
            _round("ApplicantsRanked", c, round_id="r1", offer_id=o, student_ids=r)
            for o, (c, r) in ranks.items()
        ),
        _round("MatchingRoundClosed", COORDINATOR, round_id="r1"),
    ]
    second_round = [
        _round(
            "MatchingRoundOpened",
            COORDINATOR,
            round_id="r2",
            coordinator_id=COORDINATOR,
            offer_ids=["o-3"],
            follows="r1",
        ),
        _round(
            "PreferencesSubmitted", SCHOOL_A, round_id="r2", student_id="s-a", offer_ids=["o-3"]
        ),
        _round("ApplicantsRanked", "c-2", round_id="r2", offer_id="o-3", student_ids=["s-a"]),
        _round("MatchingRoundClosed", COORDINATOR, round_id="r2"),
    ]

    async def book_settled() -> bool:
        await wait_consumed(k, t.group(Purpose.OFFER_BOOK), t.applications)
        return True

    coordinator = events.regional_organisation(COORDINATOR, "coordinator", region="1012")

    async with create_app(settings):
        # Only a registered coordinator opens rounds.
        await produce(k, t.organisations, as_json([coordinator], "organisation_id"))
        await wait_consumed(k, t.group(Purpose.ORGANISATIONS), t.organisations)
        await produce(k, t.students, as_json(students, "student_id"))
        await produce(k, t.offers, as_json(offers, "offer_id"))
        await wait_consumed(k, t.group(Purpose.STUDENTS), t.students)
        await wait_consumed(k, t.group(Purpose.OFFER_BOOK), t.offers)
        await produce(k, t.rounds, [(b"r1", json.dumps(e).encode()) for e in first_round])
        await wait_consumed(k, t.group(Purpose.ROUNDS), t.rounds)
        await eventually(book_settled)
        assert await _outcomes(settings, SCHOOL_A) == {"s-b": "offered"}
        assert await _outcomes(settings, SCHOOL_B) == {"s-c": "offered", "s-d": "offered"}

        await produce(k, t.rounds, [(b"r2", json.dumps(e).encode()) for e in second_round])
        await wait_consumed(k, t.group(Purpose.ROUNDS), t.rounds)
        await eventually(book_settled)

    assert await _outcomes(settings, SCHOOL_A) == {"s-b": "offered", "s-a": "offered"}
    assert await _outcomes(settings, SCHOOL_B) == {"s-c": "offered", "s-d": "offered"}
    runs = [
        json.loads(r.value)["data"]
        for r in await read_all(k, t.rounds)
        if json.loads(r.value)["event_type"] == "MatchingRoundRun"
    ]
    assert sorted((r["round_id"], r["placed"], r["unplaced"]) for r in runs) == [
        ("r1", 3, 1),
        ("r2", 1, 0),
    ]
    assert {r["algorithm_version"] for r in runs} == {ALGORITHM_VERSION}
    assert all(r["inputs_hash"].startswith("sha256:") for r in runs)
