"""Guest lectures match both ways; research questions reach schools and get a team."""

from __future__ import annotations

import json
from typing import Any

from pymongo import AsyncMongoClient

from bureau.app import create_app
from bureau.settings import Settings
from bureau.topics import Purpose, Topics
from tests.support import events
from tests.support.kafka import produce, read_all, wait_consumed


def _keyed(items: list[dict[str, Any]], field: str) -> list[tuple[bytes, bytes]]:
    return [(e["data"][field].encode(), json.dumps(e).encode()) for e in items]


async def _suggestions(settings: Settings, event_type: str) -> list[dict[str, Any]]:
    records = await read_all(settings.kafka_bootstrap, Topics.from_settings(settings).matches)
    found = [json.loads(r.value) for r in records]
    return [e["data"] for e in found if e["event_type"] == event_type]


async def test_a_request_finds_specialists_and_a_new_specialist_finds_open_requests(
    settings: Settings,
) -> None:
    t, k = Topics.from_settings(settings), settings.kafka_bootstrap
    async with create_app(settings):
        await produce(
            k,
            t.specialists,
            _keyed(
                [
                    events.specialist("sp-near", themes=("vr-ar",)),
                    events.specialist("sp-wrong-level", levels=("wo",), themes=("vr-ar",)),
                ],
                "specialist_id",
            ),
        )
        await wait_consumed(k, t.group(Purpose.SPECIALISTS), t.specialists)
        await produce(
            k,
            t.lectures,
            _keyed([events.lecture_request("req-1", themes=("vr-ar",))], "request_id"),
        )
        await wait_consumed(k, t.group(Purpose.LECTURES), t.lectures)
        await produce(
            k,
            t.specialists,
            _keyed(
                [
                    events.specialist("sp-late", company_id="late-co", themes=("vr-ar",)),
                ],
                "specialist_id",
            ),
        )
        await wait_consumed(k, t.group(Purpose.SPECIALISTS), t.specialists)

    found = await _suggestions(settings, "LectureMatchSuggested")
    assert sorted((d["request_id"], d["specialist_id"], d["company_id"]) for d in found) == [
        ("req-1", "sp-late", "late-co"),
        ("req-1", "sp-near", "acme-security"),
    ]
    assert all(d["school_id"] == "roc-amsterdam" for d in found)
    assert "themes: vr-ar" in found[0]["reasons"]


async def test_a_question_reaches_fitting_schools_and_gets_a_mixed_team(settings: Settings) -> None:
    t, k = Topics.from_settings(settings), settings.kafka_bootstrap
    schools = [
        events.regional_organisation(
            "nova", "school", region="2011", levels=("mbo-4",), themes=("data",)
        ),
        events.regional_organisation("inholland", "school", region="2011", levels=("hbo",)),
        events.regional_organisation("vmbo-x", "school", region="2011", levels=("vmbo",)),
    ]
    students = [
        events.student("m-1", school_id="nova", level="mbo-4"),
        events.student("h-1", school_id="inholland", level="hbo"),
        events.student("w-1", school_id="uva", level="wo"),
        events.student("w-2", school_id="uva", level="wo", consent=False),
    ]
    question = events.question(
        "dunes",
        owner_id="pwn-water",
        kind="makathon",
        levels=("mbo-4", "hbo", "wo"),
        composition=(("mbo-4", 1), ("hbo", 1), ("wo", 1)),
        team_min=3,
        region="2011",
        themes=("data",),
    )
    async with create_app(settings):
        await produce(k, t.organisations, _keyed(schools, "organisation_id"))
        await produce(k, t.students, _keyed(students, "student_id"))
        await wait_consumed(k, t.group(Purpose.ORGANISATIONS), t.organisations)
        await wait_consumed(k, t.group(Purpose.STUDENTS), t.students)
        await produce(k, t.research, _keyed([question], "question_id"))
        await wait_consumed(k, t.group(Purpose.RESEARCH), t.research)
        # bureau's own team proposal travels the research topic too: wait for it as well.
        await wait_consumed(k, t.group(Purpose.RESEARCH), t.research)

    found = await _suggestions(settings, "ResearchMatchSuggested")
    assert [d["school_id"] for d in found] == ["nova", "inholland"]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        doc = await client[settings.mongo_db]["research"].find_one({"_id": "dunes"})
    finally:
        await client.close()
    assert doc is not None
    [team] = doc["state"]["teams"]
    assert team["key"] == "dunes-bureau"
    assert sorted((m["student_id"], m["level"]) for m in team["value"]["members"]) == [
        ("h-1", "hbo"),
        ("m-1", "mbo-4"),
        ("w-1", "wo"),
    ]
