"""bureau's worker believes an envelope's ``source`` only on that source's signature.

A running worker on the secured broker; honest partners send with their own credentials
and keys; wcompany-d (which may write the inbound topics) forges records. Each forgery
goes to the DLQ with the signature check's reason and changes nothing. The control: a
second worker with verification switched off reads the same records and applies them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from bureau.app import create_app
from bureau.handlers.dead_letter import REASON
from bureau.privacy.dead_letters import open_dead_letter
from bureau.privacy.keys import MongoKeyStore
from bureau.schemas.envelope import BUREAU
from bureau.security import partners
from bureau.security.partner_client import PartnerClient
from bureau.security.signing import Refusal, generate_key, load_private_key, signed_headers
from bureau.settings import Settings
from bureau.topics import Purpose, Topics, dlq
from tests.security.conftest import World
from tests.security.table import Row, Table
from tests.support import events
from tests.support.infra import mongo_endpoint, secured_session
from tests.support.kafka import eventually, read_all, wait_consumed


@dataclass(frozen=True)
class Forgery:
    """One forged record wcompany-d sends, and the refusal the worker must give."""

    attack: str
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    expected: str
    effect: str
    """What the control worker's projection shows when the forgery is applied."""


@pytest.fixture(scope="module")
def store_url() -> Iterator[str]:
    with mongo_endpoint() as endpoint:
        yield endpoint.address


def _encoded(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


async def _send(client: PartnerClient, topic: str, key: str, event: dict[str, Any]) -> None:
    await client.send(topic, key.encode(), _encoded(event))


async def _doc(settings: Settings, collection: str, key: str) -> dict[str, Any] | None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        return await client[settings.mongo_db][collection].find_one({"_id": key})
    finally:
        await client.close()


async def _effects(settings: Settings) -> dict[str, str]:
    """What each forgery would have changed, as the projection shows it now."""
    found: dict[str, str] = {}
    for offer in ("o-c", "o-r"):
        doc = await _doc(settings, "offers", offer)
        found[offer] = "withdrawn" if doc and doc.get("withdrawn") else "open"
    forged = await _doc(settings, "applications", "r-x-s-1")
    found["r-x-s-1"] = "allocated" if forged is not None else "absent"
    return found


async def _settle(settings: Settings) -> None:
    t = Topics.from_settings(settings)
    for purpose, topic in (
        (Purpose.ORGANISATIONS, t.organisations),
        (Purpose.STUDENTS, t.students),
        (Purpose.OFFER_BOOK, t.offers),
        (Purpose.OFFER_BOOK, t.applications),
    ):
        await wait_consumed(settings.kafka_bootstrap, t.group(purpose), topic)


async def _until_effects(settings: Settings, expected: dict[str, str]) -> dict[str, str]:
    """The projection's effects once they equal ``expected`` (or as they are after 300 s)."""
    seen: dict[str, str] = {}

    async def there() -> bool:
        seen.update(await _effects(settings))
        return seen == expected

    # Past the deadline, the caller's assertion shows what was seen.
    with contextlib.suppress(AssertionError):
        await eventually(there, within=300, what="effects")
    return seen


def _worker(world: World, store_url: str, name: str, **update: Any) -> Settings:
    settings = world.settings.model_copy(
        update={
            "mongo_url": store_url,
            "mongo_db": f"redteam_{name}",
            # Its own topics: the suite's broker tests seed every "s." topic with junk.
            "topic_prefix": "w.",
            "group_prefix": f"{name}.",
            "metrics_port": 0,
            "statistics_every": 0,
            **update,
        }
    )
    partners.provision_bureau(settings)  # bureau's ACLs on this group prefix
    return settings


async def test_the_worker_believes_a_source_only_on_its_signature(
    secure: World, store_url: str, red_team: Table
) -> None:
    on = _worker(secure, store_url, "verified")
    off = _worker(secure, store_url, "unverified", require_signatures=False)
    t = Topics.from_settings(on)
    onboarded = partners.add_many(
        on,
        {
            "wschool-a": "school",
            "wcompany-c": "company",
            "wcompany-d": "company",
            "wcompany-r": "company",
        },
    )
    revoked = onboarded["wcompany-r"]
    admin = {k: v for k, v in on.model_dump().items() if k.startswith("kafka_") and v}

    def client(org: str) -> PartnerClient:
        found = onboarded[org]
        return PartnerClient(org, found.key_file, on.kafka_bootstrap, **found.aiokafka_security())

    # Distinct event ids: each forgery is found in the DLQ by its bytes.
    withdraw_c = _encoded(events.withdrawal("o-c", company_id="wcompany-c"))
    withdraw_c2 = _encoded(events.withdrawal("o-c", company_id="wcompany-c"))
    withdraw_r = _encoded(events.withdrawal("o-r", company_id="wcompany-r"))
    allocation = _encoded(
        events.application(
            "PlacementAllocated",
            "r-x-s-1",
            offer_id="o-c",
            student_id="s-1",
            source=BUREAU,
            round_id="r-x",
        )
    )
    d_key = load_private_key(onboarded["wcompany-d"].key_file)
    r_key = load_private_key(revoked.key_file)
    forgeries = [
        Forgery(
            "worker: publish as another partner (wcompany-d signs wcompany-c's withdrawal)",
            t.offers,
            b"o-c",
            withdraw_c,
            signed_headers("wcompany-d", d_key, b"o-c", withdraw_c),
            Refusal.NOT_SOURCE,
            "o-c",
        ),
        Forgery(
            "worker: unsigned record (wcompany-c's withdrawal, no signature)",
            t.offers,
            b"o-c",
            withdraw_c2,
            [],
            Refusal.UNSIGNED,
            "o-c",
        ),
        Forgery(
            "worker: speak as bureau (a PlacementAllocated signed 'bureau' with wcompany-d's key)",
            t.applications,
            b"o-c",
            allocation,
            signed_headers("bureau", d_key, b"o-c", allocation),
            Refusal.BAD,
            "r-x-s-1",
        ),
    ]
    revoked_forgery = Forgery(
        "worker: revoked key (wcompany-r's withdrawal signed with its revoked key)",
        t.offers,
        b"o-r",
        withdraw_r,
        signed_headers("wcompany-r", r_key, b"o-r", withdraw_r),
        Refusal.REVOKED,
        "o-r",
    )
    with secured_session(admin):
        async with create_app(on):
            # Honest partners, each with its own credentials and key.
            async with client("wschool-a") as school:
                await _send(school, t.organisations, "wschool-a", events.organisation("wschool-a"))
                student = events.student("s-1", school_id="wschool-a")
                await _send(school, t.students, "s-1", student)
            for org in ("wcompany-c", "wcompany-r"):
                async with client(org) as company:
                    offer = events.offer(f"o-{org[-1]}", company_id=org)
                    await _send(company, t.offers, offer["data"]["offer_id"], offer)
            await _settle(on)
            assert await _effects(on) == {"o-c": "open", "o-r": "open", "r-x-s-1": "absent"}
            partners.revoke(on, "wcompany-r")
            rogue = AIOKafkaProducer(
                bootstrap_servers=on.kafka_bootstrap, **onboarded["wcompany-d"].aiokafka_security()
            )
            await rogue.start()
            try:
                for f in forgeries:
                    await rogue.send_and_wait(f.topic, f.value, key=f.key, headers=f.headers)
                # An unknown signer makes the worker read the registry up to now (the
                # revocation included) before the next record of the (single) partition;
                # otherwise the revocation reaches it within the follower's next fetch.
                probe = _encoded(events.withdrawal("o-none", company_id="stranger"))
                stranger = signed_headers("stranger", generate_key(), b"o-none", probe)
                await rogue.send_and_wait(t.offers, probe, key=b"o-none", headers=stranger)
                f = revoked_forgery
                await rogue.send_and_wait(f.topic, f.value, key=f.key, headers=f.headers)
            finally:
                await rogue.stop()
            await _settle(on)
            secured = await _effects(on)
            reasons = await _reasons(on, [*forgeries, revoked_forgery])
        applied = {"o-c": "withdrawn", "o-r": "withdrawn", "r-x-s-1": "allocated"}
        async with create_app(off):
            await _settle(off)
            unchecked = await _until_effects(off, applied)
    rows = [*forgeries, revoked_forgery]
    for f in rows:
        red_team.add(
            Row(
                f.attack,
                f"DLQ {f.expected!r}",
                f"DLQ {reasons.get(f.value)!r}; {f.effect} {secured[f.effect]}",
                f"verification off: {f.effect} {unchecked[f.effect]}",
            )
        )
    assert reasons == {f.value: f.expected for f in rows}
    assert secured == {"o-c": "open", "o-r": "open", "r-x-s-1": "absent"}
    assert unchecked == applied


async def _reasons(settings: Settings, forgeries: list[Forgery]) -> dict[bytes, str]:
    """The DLQ reason of each forged record, found by its bytes."""
    wanted = {f.value for f in forgeries}
    found: dict[bytes, str] = {}
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    # Dead letters about a student rest sealed under their key: opened as bureau would.
    keys = MongoKeyStore(client[settings.mongo_db])

    async def arrived() -> bool:
        found.clear()
        for topic in sorted({f.topic for f in forgeries}):
            for r in await read_all(settings.kafka_bootstrap, dlq(topic)):
                value = await open_dead_letter(r.value, keys) if r.value else r.value
                if value in wanted:
                    found[value] = dict(r.headers)[REASON].decode()
        return len(found) == len(wanted)

    try:
        await eventually(arrived, within=300, what="forged records dead-lettered")
    finally:
        await client.close()
    return found
