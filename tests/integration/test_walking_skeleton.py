"""The whole path on real Kafka and a real MongoDB-wire store, driven by plain clients."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pymongo import AsyncMongoClient

from bureau.app import create_app, open_queries
from bureau.domain.matching import told_id
from bureau.handlers.dead_letter import ORIGIN, REASON
from bureau.settings import Settings
from bureau.topics import Purpose, Topics, dlq
from tests.support import events
from tests.support.kafka import as_json, produce, read_all, wait_consumed
from tests.support.sealed import is_sealed, opened


async def _projection(settings: Settings, name: str) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        return await client[settings.mongo_db][name].find().sort("_id").to_list()
    finally:
        await client.close()


async def test_partner_events_become_projections_and_match_suggestions(settings: Settings) -> None:
    topics = Topics.from_settings(settings)
    async with create_app(settings):
        await produce(
            settings.kafka_bootstrap,
            topics.students,
            as_json(
                [
                    events.student("s-1", skills=("linux", "networking")),
                    events.student("s-2", level="wo"),
                    events.student("s-3", consent=False),
                ],
                "student_id",
            ),
        )
        await wait_consumed(
            settings.kafka_bootstrap, topics.group(Purpose.STUDENTS), topics.students
        )
        await produce(
            settings.kafka_bootstrap, topics.offers, as_json([events.offer("o-1")], "offer_id")
        )
        await wait_consumed(
            settings.kafka_bootstrap, topics.group(Purpose.OFFER_BOOK), topics.offers
        )

    offers = await _projection(settings, "offers")
    assert [(o["_id"], o["company_id"], o["capacity"]) for o in offers] == [
        ("o-1", "acme-security", 2)
    ]
    assert [s["_id"] for s in await _projection(settings, "students")] == ["s-1", "s-2", "s-3"]

    async with open_queries(settings, tables=True) as queries:
        assert [c.student_id for c in queries.shortlist("o-1")] == ["s-1"]
        assert queries.shortlist("o-unknown") == []

    [record] = await read_all(settings.kafka_bootstrap, topics.matches)
    sealed = json.loads(record.value)
    assert is_sealed(sealed)
    match = await opened(sealed, settings)
    assert record.key == b"o-1"
    assert match["event_type"] == "MatchSuggested"
    assert match["event_id"] == str(told_id("o-1", "s-1", 1, 1))
    assert match["data"]["student_id"] == "s-1"
    assert match["data"]["reasons"] == [
        "level mbo-4 is accepted",
        "shared skills: linux, networking",
        "theme: cybersecurity",
    ]


async def test_duplicates_have_one_effect_and_one_notification(settings: Settings) -> None:
    topics = Topics.from_settings(settings)
    offer = events.offer("o-1", event_id=uuid.uuid4())
    async with create_app(settings):
        await produce(
            settings.kafka_bootstrap,
            topics.students,
            as_json([events.student("s-1")], "student_id"),
        )
        await wait_consumed(
            settings.kafka_bootstrap, topics.group(Purpose.STUDENTS), topics.students
        )
        await produce(settings.kafka_bootstrap, topics.offers, as_json([offer] * 3, "offer_id"))
        await wait_consumed(
            settings.kafka_bootstrap, topics.group(Purpose.OFFER_BOOK), topics.offers
        )

    [doc] = await _projection(settings, "offers")
    assert doc["version"] == 1
    assert [e["id"] for e in doc["seen"]["recent"]] == [offer["event_id"]]
    matches = await read_all(settings.kafka_bootstrap, topics.matches)
    assert len({(r.key, r.value) for r in matches}) == 1, "one notification, maybe sent again"


async def test_bad_input_is_dead_lettered_and_the_consumer_moves_on(settings: Settings) -> None:
    topics = Topics.from_settings(settings)
    not_json = b"\x00\x01 this is not JSON"
    invalid = json.dumps({**events.offer("o-bad"), "occurred_at": "yesterday"}).encode()
    valid = as_json([events.offer("o-good")], "offer_id")
    async with create_app(settings):
        await produce(
            settings.kafka_bootstrap,
            topics.offers,
            [(b"o-x", not_json), (b"o-bad", invalid), *valid],
        )
        await wait_consumed(
            settings.kafka_bootstrap, topics.group(Purpose.OFFER_BOOK), topics.offers
        )

    dead = sorted(await read_all(settings.kafka_bootstrap, dlq(topics.offers)), key=lambda r: r.key)
    assert [(r.key, r.value) for r in dead] == [(b"o-bad", invalid), (b"o-x", not_json)]
    reasons = [dict(r.headers)[REASON].decode() for r in dead]
    assert reasons[0].startswith("invalid event: InternshipOffered.occurred_at")
    assert reasons[1].startswith("not JSON")
    assert all(dict(r.headers)[ORIGIN].decode().startswith(topics.offers + "/") for r in dead)
    assert [o["_id"] for o in await _projection(settings, "offers")] == ["o-good"]
