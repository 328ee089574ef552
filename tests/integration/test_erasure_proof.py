"""The erasure proof on real Kafka and FerretDB, with its control run.

One student with distinctive values goes through a suggestion, an application with
dates, a round, a team, an event parked for an offer that never comes and a dead
letter; then is erased, and a replay rebuilds the projections into a fresh database.
Every record of every topic (the students topic and bureau's students changelog with
compaction forced by a short segment) and every document of both databases is
searched, opening every token with every key that still exists. With shredding,
nothing of the student is readable but what partners themselves wrote on their own
applications topic; the control run, whose key store never deletes, finds the values
in bureau's own places.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bureau.adapters.kafka import ensure_topics
from bureau.app import create_app
from bureau.privacy.keys import MongoKeyStore
from bureau.privacy.topics import students_topic_config
from bureau.replay import replay
from bureau.schemas.outcomes import PlacementStatus as S
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Table, dlq
from tests.support import events
from tests.support.erasure_proof import erasure_proof, live_keys, scan_mongo
from tests.support.kafka import eventually, read_all
from tests.support.scenarios import Candidacy, Partners

SCHOOL, COMPANY = "roc-amsterdam", "acme-security"
SKILL, OWN_SKILL, PROGRAMME = "quokka-forensics", "wombat-whispering", "Zeppelin rigging XQ"
START, END, REMARK = "2031-07-13", "2031-12-29", "hums-while-soldering"
NEEDLES = (f"shared skills: {SKILL}", OWN_SKILL, PROGRAMME, START, END, REMARK)
"""Values about s-1 that occur nowhere else (the offer asks for ``SKILL``: the reason of
the suggestion quotes it)."""


class KeepingKeys(MongoKeyStore):
    """The control's key store: erasure asks it to delete a key, and it does not."""

    async def delete(self, student_id: str) -> None:
        """Keep the key (the control run)."""


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    yield client[settings.mongo_db]
    await client.close()


async def _fast_compaction(settings: Settings) -> None:
    """The students topic and changelog as bureau makes them, with bounds in ms."""
    t = Partners(settings).topics
    fast = students_topic_config(settings) | {
        "segment.ms": "200",
        "max.compaction.lag.ms": "1000",
        "delete.retention.ms": "1000",
    }
    names = [t.students, t.state(Table.STUDENTS)]
    await ensure_topics(
        settings.kafka_bootstrap,
        names,
        1,
        dict.fromkeys(names, fast),
        **aiokafka_security(settings),
    )


async def _drive(p: Partners) -> None:
    """s-1 through every place personal data goes; s-2 beside them."""
    t = p.topics
    c = Candidacy(
        application_id="a-1",
        offer_id="o-1",
        student_id="s-1",
        school_id=SCHOOL,
        company_id=COMPANY,
    )
    path = c.path_to(S.COMPLETED)
    for raw in path:
        if raw["event_type"] == "PlacementConfirmed":
            raw["data"] |= {"start": START, "end": END}
    s1 = events.student("s-1", skills=(SKILL, OWN_SKILL))
    s1["data"]["programme"] = PROGRAMME
    await p.publish(
        t.organisations,
        [events.organisation("coord", "coordinator"), events.organisation(SCHOOL)],
    )
    await p.publish(t.students, [s1, events.student("s-2")])
    await p.publish(t.offers, [events.offer("o-1", skills=(SKILL,)), events.offer("o-2")])
    await p.publish(t.applications, path)
    await p.publish(
        t.rounds,
        [
            events.envelope(
                "MatchingRoundOpened",
                "coord",
                {"round_id": "r1", "coordinator_id": "coord", "offer_ids": ["o-2"]},
            ),
            events.envelope(
                "PreferencesSubmitted",
                SCHOOL,
                {"round_id": "r1", "student_id": "s-1", "offer_ids": ["o-2"]},
            ),
        ],
    )
    await p.publish(
        t.research,
        [
            events.question("q-1", owner_id="waternet", levels=("mbo-4",)),
            events.team("q-1", "t-1", (("s-1", "mbo-4"), ("s-2", "mbo-4")), source=SCHOOL),
        ],
    )
    late = events.application(
        "PlacementCompleted",
        "late-1",
        offer_id="o-late",
        student_id="s-1",
        rating=2,
        remarks=REMARK,
    )
    await p.publish(t.applications, [late])
    assert await p.doc("offers", "o-late") is not None, "parked on a placeholder for o-late"
    # A profile update bureau cannot apply (an unknown level): dead-lettered, sealed.
    bad = events.student("s-1", skills=(OWN_SKILL,), event_type="StudentProfileUpdated")
    bad["data"] |= {"programme": PROGRAMME, "level": "mbo-9"}
    await p.send_raw(t.students, [(b"s-1", json.dumps(bad).encode())])

    async def dead_lettered() -> bool:
        return bool(await p.dead_letters(t.students, sealed=True))

    await eventually(dead_lettered, within=300, what="the bad profile dead-lettered")


async def _compacted(p: Partners) -> None:
    """Wait until the cleaner took s-1's profile off the students topic and changelog."""
    t = p.topics
    n = 0

    async def gone() -> bool:
        nonlocal n
        n += 1  # another student's record rolls the segment the erasure was written to
        await p.publish(t.students, [events.student(f"s-fill-{n}")])
        for topic in (t.students, t.state(Table.STUDENTS)):
            for r in await read_all(p.bootstrap, topic):
                if r.key == b"s-1" and r.value and PROGRAMME.encode() in r.value:
                    return False
        return True

    await eventually(gone, within=300, what="s-1's profile compacted away")


async def _run(
    settings: Settings, db: AsyncDatabase[dict[str, Any]], *, shred: bool
) -> tuple[set[str], set[str]]:
    """Drive, erase, compact, replay; where s-1's values are readable before and after."""
    settings = settings.model_copy(update={"partitions": 1})
    await _fast_compaction(settings)
    p = Partners(settings)
    keys = MongoKeyStore(db) if shred else KeepingKeys(db)
    replayed = f"{settings.mongo_db}_replay"

    async def where() -> set[str]:
        found = await erasure_proof(
            bootstrap=settings.kafka_bootstrap,
            prefix=settings.topic_prefix,
            db=db,
            keystore=keys,
            needles=NEEDLES,
        )
        names = await db.client.list_database_names()
        if replayed in names:
            found += await scan_mongo(db.client[replayed], NEEDLES, await live_keys(keys))
        return {f.where.split("/")[0].removesuffix(" (sealed)") for f in found}

    async with create_app(settings, keys=keys):
        await _drive(p)
        before = await where()
        await p.publish(p.topics.students, [events.erasure("s-1")])
        await _compacted(p)
    await replay(settings, into_db=replayed)
    research = await p.doc("research", "q-1")
    assert research is not None
    assert "s-1" not in json.dumps(research["state"])
    return before, await where()


async def test_after_erasure_nothing_of_the_student_is_readable_anywhere_bureau_keeps_it(
    settings: Settings, db: AsyncDatabase[dict[str, Any]]
) -> None:
    before, after = await _run(settings, db, shred=True)
    t = Partners(settings).topics
    assert {t.students, t.matches, "applications", "placements", "offers"} <= before
    assert {dlq(t.students), t.outcomes(SCHOOL), "students"} <= before
    assert after == {t.applications}, "open: what partners wrote on their own topic stays"


async def test_control_without_shredding_the_proof_finds_the_student_in_bureaus_places(
    settings: Settings, db: AsyncDatabase[dict[str, Any]]
) -> None:
    _, after = await _run(settings, db, shred=False)
    t = Partners(settings).topics
    # the store is scrubbed either way; what left bureau only shredding makes unreadable
    assert {t.matches, t.outcomes(SCHOOL), dlq(t.students)} <= after
