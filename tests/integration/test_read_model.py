"""The dashboard's MongoDB read model, over projections the service wrote to a real store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient

from bureau.adapters.mongo import MongoStore
from bureau.web.queries import MongoReadModel, OfferFilter
from tests.support import region
from tests.support.exchange_loop import ExchangeLoop
from tests.support.infra import Endpoint


@pytest.fixture
async def projected(mongo: Endpoint) -> AsyncIterator[tuple[ExchangeLoop, MongoReadModel]]:
    db = f"rm_{uuid.uuid4().hex[:10]}"
    store = MongoStore(mongo.address, db)
    await store.ensure_indexes()
    loop = ExchangeLoop(store)
    await region.play(loop)
    read = MongoReadModel(mongo.address, db)
    yield loop, read
    await read.close()
    await store.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo.address)
    await client.drop_database(db)
    await client.close()


async def test_the_read_model_reads_what_the_service_projected(
    projected: tuple[ExchangeLoop, MongoReadModel],
) -> None:
    loop, read = projected
    assert await read.statistics() == []  # nothing refreshed yet
    rows = await loop.exchange.queries.refresh_statistics()
    assert await read.statistics() == rows

    page = await read.offers(OfferFilter())
    offers = page.items
    assert [o.offer_id for o in offers] == [region.offer_id(n) for n in range(6)]
    assert not page.more
    assert sum(o.places_filled for o in offers) == sum(s.placed for s in region.SMALL)
    assert await read.offer("offer-none") is None
    one = offers[0]
    assert one in (await read.offers(OfferFilter(company=one.company_id))).items
    assert {o.region for o in (await read.offers(OfferFilter(region=one.region))).items} == {
        one.region
    }
    assert (await read.offers(OfferFilter(company="company-none"))).items == ()

    [round_] = await read.rounds()
    assert round_.closed
    assert (round_.students, round_.placed, round_.unplaced) == (4, 4, 0)
    assert round_.inputs_hash is not None
    assert round_.inputs_hash.startswith("sha256:")
    assert await read.round(round_.round_id) == round_

    [question] = await read.questions()
    [team] = question.teams
    assert team.levels == {"hbo": 2, "mbo-4": 1}

    booked, open_ = await read.lectures()
    assert (booked.booked_on, booked.company_id) == ("2027-03-10", "company-001")
    assert open_.booked_on is None

    hva = await read.school("hva")
    assert hva.students == 12
    assert hva.placed == 5
    assert {o.student_id[:7] for o in hva.outcomes.items} == {"st-hva-"}
    confirmed = await read.school("hva", "confirmed")
    assert [o.status for o in confirmed.outcomes.items] == ["confirmed"] * 5
    assert (await read.school("hva", "declined")).outcomes.items == ()


async def test_dead_letters_are_counted_per_topic_with_the_most_frequent_reasons(
    projected: tuple[ExchangeLoop, MongoReadModel],
) -> None:
    loop, read = projected
    assert await read.dead_letters() == []
    store = loop.store
    assert isinstance(store, MongoStore)
    await store["dead_letters"].insert_many(
        [
            {"_id": f"t.a/0/{n}", "topic": "t.a", "reason": r, "at": f"2026-09-01T10:0{n}:00Z"}
            for n, r in enumerate(["x", "y", "x"])
        ]
        + [{"_id": "t.b/1/0", "topic": "t.b", "reason": "z", "at": "2026-09-02T00:00:00Z"}]
    )
    a, b = await read.dead_letters()
    assert (a.topic, a.count, a.reasons, a.last_at) == (
        "t.a",
        3,
        (("x", 2), ("y", 1)),
        "2026-09-01T10:02:00Z",
    )
    assert (b.topic, b.count) == ("t.b", 1)
