"""Erasure on real servers: after StudentErased, bureau's own topics and the store hold nothing
readable of the student (the partners' own topics are the open part, asserted as such)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bureau.app import create_app
from bureau.privacy.keys import MongoKeyStore
from bureau.schemas.outcomes import PlacementStatus as S
from bureau.settings import Settings
from bureau.topics import dlq
from tests.support import events
from tests.support.erasure_proof import Finding, erasure_proof
from tests.support.scenarios import Candidacy, Partners

REASON, START, END = "shared skills: quokka-forensics", "2031-07-13", "2031-12-29"
"""About s-1 only: a suggestion's reason, their placement's dates."""


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    yield client[settings.mongo_db]
    await client.close()


async def test_after_erasure_only_the_partners_own_records_still_hold_the_students_values(
    settings: Settings, db: AsyncDatabase[dict[str, Any]]
) -> None:
    p = Partners(settings)
    t = p.topics
    c = Candidacy(
        application_id="a-1",
        offer_id="o-1",
        student_id="s-1",
        school_id="roc-amsterdam",
        company_id="acme-security",
    )
    path = c.path_to(S.COMPLETED)
    for raw in path:
        if raw["event_type"] == "PlacementConfirmed":
            raw["data"] |= {"start": START, "end": END}
    partners = {*t.inbound, *(dlq(x) for x in t.inbound)}

    async def where() -> set[tuple[str, bool]]:
        found: list[Finding] = await erasure_proof(
            bootstrap=settings.kafka_bootstrap,
            prefix=settings.topic_prefix,
            db=db,
            keystore=MongoKeyStore(db),
            needles=[REASON, START, END],
        )
        return {(f.where.split("/")[0], f.sealed) for f in found}

    async with create_app(settings):
        await p.publish(t.offers, [events.offer("o-1", skills=("quokka-forensics",))])
        await p.publish(t.students, [events.student("s-1", skills=("quokka-forensics",))])
        await p.publish(t.applications, path)
        before = await where()
        await p.publish(t.students, [events.erasure("s-1")])
    after = await where()

    bureaus = {w for w, _ in before if w not in partners}
    assert {"applications", "placements", t.matches, t.outcomes("roc-amsterdam")} <= bureaus
    assert all(sealed for w, sealed in before if w not in partners and w != "offers")
    assert {w for w, _ in after if w not in partners} == set()
    assert {w for w, _ in after} == {t.applications}, "open: what partners wrote stays"
