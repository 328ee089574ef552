"""Revocation without restart, and the envelope's source bound to a signature."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from bureau.security import partners
from bureau.security.client import aiokafka_security
from bureau.security.partner_client import PartnerClient
from bureau.security.registry import follow
from bureau.security.signing import (
    PartnerRegistry,
    Refusal,
    generate_key,
    load_private_key,
    signed_headers,
    verify,
)
from tests.security import attacks
from tests.security.attacks import SUCCEEDED
from tests.security.conftest import World
from tests.security.table import Row, Table
from tests.support.kafka import eventually


@pytest.fixture
async def registry(secure: World) -> AsyncIterator[PartnerRegistry]:
    """bureau's view of the partners, followed live as a worker would."""
    table = PartnerRegistry()
    ready = asyncio.Event()
    task = asyncio.create_task(
        follow(
            secure.bootstrap,
            secure.topics.partners,
            table,
            caught_up=ready,
            **aiokafka_security(secure.settings),
        )
    )
    waiting = asyncio.ensure_future(ready.wait())
    await asyncio.wait({task, waiting}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task.done():
        task.result()  # the follower failed: show why
    assert ready.is_set(), "the registry follower did not catch up within 60 s"
    yield table
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def _envelope(source: str) -> bytes:
    return json.dumps(
        {"event_type": "InternshipOfferWithdrawn", "source": source, "data": {"offer_id": "o1"}}
    ).encode()


async def test_a_revoked_partner_loses_access_without_a_restart(
    secure: World, control: World, registry: PartnerRegistry, red_team: Table
) -> None:
    added = partners.add(secure.settings, "rogue-e", "company")
    creds = {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "rogue-e",
        "sasl_plain_password": added.password_file.read_text().strip(),
    }
    producer = AIOKafkaProducer(
        bootstrap_servers=secure.bootstrap, request_timeout_ms=10000, **creds
    )
    await producer.start()
    try:
        await producer.send_and_wait(secure.topics.offers, b"before", key=b"k")
        started = time.monotonic()
        partners.revoke(secure.settings, "rogue-e")

        async def refused() -> bool:
            try:
                await asyncio.wait_for(
                    producer.send_and_wait(secure.topics.offers, b"after", key=b"k"), 15
                )
            except TopicAuthorizationFailedError:
                return True
            return False

        # The open connection: ACLs are checked on every request.
        await eventually(refused, within=60, what="revoked partner refused")
        seconds = time.monotonic() - started
    finally:
        await producer.stop()
    fresh = await attacks.produce(secure.bootstrap, creds, secure.topics.offers)
    await eventually(
        _is_revoked(registry, "rogue-e"), within=60, what="revocation reached the registry"
    )
    reason = verify(registry, b"k", b"v", _signed(added.key_file, "rogue-e"), "rogue-e")
    opened = await attacks.produce(control.bootstrap, {}, control.topics.offers)
    red_team.add(
        Row(
            "revoked partner (no restart)",
            "TopicAuthorizationFailed on the open connection, "
            "KafkaConnectionError on a new one, DLQ 'revoked signer'",
            f"TopicAuthorizationFailedError after {seconds:.1f} s / {fresh} / {reason!r}",
            opened,
        )
    )
    assert fresh == KafkaConnectionError.__name__
    assert reason == Refusal.REVOKED
    assert opened == SUCCEEDED
    assert partners.list_partners(secure.settings)["rogue-e"].revoked


def _is_revoked(registry: PartnerRegistry, org: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        entry = registry.get(org)
        return entry is not None and entry.revoked

    return check


def _signed(key_file: Path, org: str) -> list[tuple[str, bytes]]:
    return signed_headers(org, load_private_key(key_file), b"k", b"v")


async def test_publishing_as_another_partner_is_refused_by_its_signature(
    secure: World, registry: PartnerRegistry, red_team: Table
) -> None:
    """school-b may write inbound topics, but not as school-a: verify() refuses it."""
    value = _envelope("company-c")
    onboarded = secure.onboarded
    # An honest record: signed by the envelope's source.
    async with PartnerClient(
        "company-c",
        onboarded["company-c"].key_file,
        secure.bootstrap,
        **secure.partner("company-c"),
    ) as client:
        await client.send(secure.topics.offers, b"o1", value)
    honest = verify(
        registry,
        b"o1",
        value,
        _headers(onboarded["company-c"].key_file, "company-c", value),
        "company-c",
    )
    cases = {
        "unsigned": [],
        "signed by company-d, source company-c": _headers(
            onboarded["company-d"].key_file, "company-d", value
        ),
        "signer company-c, forged signature": signed_headers(
            "company-c", generate_key(), b"o1", value
        ),
        "unknown signer": signed_headers("stranger", generate_key(), b"o1", value),
    }
    # The broker takes every forged record: company-d may write the inbound topics.
    rogue = AIOKafkaProducer(bootstrap_servers=secure.bootstrap, **secure.partner("company-d"))
    await rogue.start()
    try:
        for headers in cases.values():
            await rogue.send_and_wait(secure.topics.offers, value, key=b"o1", headers=headers)
    finally:
        await rogue.stop()
    reasons = {
        name: verify(registry, b"o1", value, headers, "company-c")
        for name, headers in cases.items()
    }
    # Control: the broker let every forged record through (school-b and company-d may
    # write inbound topics); without verify() bureau would apply it as company-c.
    unchecked = {name: "accepted by the broker; applied as company-c" for name in cases}
    for name, reason in reasons.items():
        red_team.add(
            Row(
                f"publish as another partner: {name}",
                _expected(name),
                repr(reason),
                unchecked[name],
            )
        )
    assert reasons == {
        "unsigned": Refusal.UNSIGNED,
        "signed by company-d, source company-c": Refusal.NOT_SOURCE,
        "signer company-c, forged signature": Refusal.BAD,
        "unknown signer": Refusal.UNKNOWN,
    }
    assert honest is None


def _expected(name: str) -> str:
    return {
        "unsigned": Refusal.UNSIGNED,
        "signed by company-d, source company-c": Refusal.NOT_SOURCE,
        "signer company-c, forged signature": Refusal.BAD,
        "unknown signer": Refusal.UNKNOWN,
    }[name]


def _headers(key_file: Path, org: str, value: bytes) -> list[tuple[str, bytes]]:
    return signed_headers(org, load_private_key(key_file), b"o1", value)


async def test_bureaus_own_records_are_signed_and_new_party_topics_created(
    secure: World, registry: PartnerRegistry
) -> None:
    """bureau's principal may create per-party topics on the fly; its records verify."""
    from bureau.adapters.kafka import KafkaPublisher, TopicMaker
    from bureau.security.client import bureau_signer
    from tests.support.kafka import read_all

    settings = secure.settings
    security = aiokafka_security(settings)
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        ensure=TopicMaker(settings.kafka_bootstrap, client=security),
        client=security,
        signer=bureau_signer(settings),
    )
    topic = secure.topics.suggestions("school-new")
    value = _envelope("bureau")
    try:
        await publisher(topic, b"o1", value)
    finally:
        await publisher.close()
    [record] = await read_all_as_admin(secure, topic, read_all)
    headers = [(k, v) for k, v in record.headers]
    assert verify(registry, record.key, record.value, headers, "bureau") is None
    assert verify(registry, record.key, record.value, headers, "school-a") == Refusal.NOT_SOURCE


async def read_all_as_admin(world: World, topic: str, read_all: Any) -> list[Any]:
    """read_all with the admin's credentials (the helpers read them from the environment)."""
    import os

    from tests.support.infra import secured_session

    update = {k: v for k, v in world.settings.model_dump().items() if k.startswith("kafka_") and v}
    with secured_session(update):
        assert os.environ["BUREAU_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        records: list[Any] = await read_all(world.bootstrap, topic)
    return records
