"""Continuous matching on real Kafka and the store: who is told, and when not."""

from __future__ import annotations

import json
from typing import Any

from bureau.app import create_app
from bureau.settings import Settings
from bureau.topics import Purpose, Topics
from tests.support import events
from tests.support.kafka import as_json, produce, read_all, wait_consumed
from tests.support.sealed import is_sealed, opened


async def _pairs(settings: Settings) -> set[tuple[str, str]]:
    records = await read_all(settings.kafka_bootstrap, Topics.from_settings(settings).matches)
    found = [json.loads(r.value) for r in records]
    return {
        (e["data"]["offer_id"], e["data"]["student_id"])
        for e in found
        if e["event_type"] == "MatchSuggested"
    }


async def test_full_and_withdrawn_offers_produce_no_further_suggestions(settings: Settings) -> None:
    t, k = Topics.from_settings(settings), settings.kafka_bootstrap
    dates: dict[str, Any] = {"start": "2027-02-01", "end": "2027-06-30"}
    steps = [
        ("ApplicationSubmitted", "roc-amsterdam"),
        ("PlacementOffered", "acme-security"),
        ("PlacementAccepted", "roc-amsterdam"),
        ("PlacementConfirmed", "acme-security"),
    ]
    placement = [
        events.application(
            kind,
            "a-1",
            offer_id="o-full",
            student_id="s-early",
            source=src,
            **(dates if kind == "PlacementConfirmed" else {}),
        )
        for kind, src in steps
    ]
    async with create_app(settings):
        await produce(k, t.students, as_json([events.student("s-early")], "student_id"))
        await wait_consumed(k, t.group(Purpose.STUDENTS), t.students)
        await produce(
            k,
            t.offers,
            as_json(
                [
                    events.offer("o-full", capacity=1),
                    events.offer("o-gone"),
                    events.offer("o-open"),
                ],
                "offer_id",
            ),
        )
        await produce(k, t.offers, as_json([events.withdrawal("o-gone")], "offer_id"))
        await produce(k, t.applications, as_json(placement, "offer_id"))
        await wait_consumed(k, t.group(Purpose.OFFER_BOOK), t.applications)
        await wait_consumed(k, t.group(Purpose.OFFER_BOOK), t.offers)
        before = await _pairs(settings)
        await produce(k, t.students, as_json([events.student("s-late")], "student_id"))
        await wait_consumed(k, t.group(Purpose.STUDENTS), t.students)

    assert {("o-full", "s-early"), ("o-gone", "s-early"), ("o-open", "s-early")} <= before
    late = {offer for offer, student in await _pairs(settings) if student == "s-late"}
    assert late == {"o-open"}, "the full offer and the withdrawn one suggest nobody new"


async def test_a_pair_is_told_again_only_when_its_score_changes_materially(
    settings: Settings,
) -> None:
    t, k = Topics.from_settings(settings), settings.kafka_bootstrap
    updated = "StudentProfileUpdated"
    profiles = [
        events.student("s-1", skills=("linux",)),
        events.student("s-1", skills=("linux",), event_type=updated),  # same score: quiet
        events.student("s-1", skills=("linux", "networking"), event_type=updated),  # better
    ]
    async with create_app(settings):
        await produce(k, t.offers, as_json([events.offer("o-1")], "offer_id"))
        await wait_consumed(k, t.group(Purpose.OFFER_BOOK), t.offers)
        await produce(k, t.students, as_json(profiles, "student_id"))
        await wait_consumed(k, t.group(Purpose.STUDENTS), t.students)

    records = await read_all(k, t.matches)
    told = [json.loads(r.value) for r in records]
    assert [(e["data"]["student_id"], e["data"]["score"] > 0) for e in told] == [
        ("s-1", True),
        ("s-1", True),
    ]
    first, second = told
    assert first["event_id"] != second["event_id"]
    assert second["data"]["score"] > first["data"]["score"]
    assert is_sealed(second)
    assert (await opened(second, settings))["data"]["reasons"][1] == (
        "shared skills: linux, networking"
    )
