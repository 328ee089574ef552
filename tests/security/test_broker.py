"""Authentication and authorisation on the broker: each attack refused, each control not."""

from __future__ import annotations

import logging

import pytest

from tests.security import attacks
from tests.security.attacks import SUCCEEDED
from tests.security.conftest import World
from tests.security.table import Row, Table

DENIED = "TOPIC_AUTHORIZATION_FAILED"


async def test_a_client_without_credentials_cannot_connect(
    secure: World, control: World, red_team: Table
) -> None:
    secured = await attacks.produce(secure.bootstrap, {}, secure.topics.offers)
    opened = await attacks.produce(control.bootstrap, {}, control.topics.offers)
    red_team.add(Row("no credentials", "KafkaConnectionError", secured, opened))
    assert secured == "KafkaConnectionError"
    assert opened == SUCCEEDED


async def test_a_wrong_password_is_refused(
    secure: World, control: World, red_team: Table, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = {**secure.partner("school-a"), "sasl_plain_password": "guessed"}
    with caplog.at_level(logging.ERROR, logger="aiokafka"):
        secured = await attacks.produce(secure.bootstrap, wrong, secure.topics.offers)
    opened = await attacks.produce(control.bootstrap, {}, control.topics.offers)
    sasl = any("SaslAuthenticationFailed" in r.getMessage() for r in caplog.records)
    red_team.add(
        Row(
            "wrong password",
            "SaslAuthenticationFailed",
            f"{secured} (SaslAuthenticationFailed logged: {sasl})",
            opened,
        )
    )
    assert secured == "KafkaConnectionError"
    assert sasl
    assert opened == SUCCEEDED
    # The right password works: the refusal was about the password, not the client.
    assert (
        await attacks.produce(secure.bootstrap, secure.partner("school-a"), secure.topics.offers)
        == SUCCEEDED
    )


def test_a_school_cannot_read_another_schools_outcomes(
    secure: World, control: World, red_team: Table
) -> None:
    own = attacks.read(
        secure.bootstrap, secure.partner("school-a"), secure.topics.outcomes("school-a")
    )
    secured = attacks.read(
        secure.bootstrap, secure.partner("school-b"), secure.topics.outcomes("school-a")
    )
    opened = attacks.read(control.bootstrap, {}, control.topics.outcomes("school-a"))
    red_team.add(Row("read another school's outcomes", DENIED, secured, opened))
    assert own == "read 1+ records"
    assert secured == DENIED
    assert opened == "read 1+ records"


def test_a_company_cannot_read_another_companys_suggestions(
    secure: World, control: World, red_team: Table
) -> None:
    topic = secure.topics.suggestions("company-c")
    own = attacks.read(secure.bootstrap, secure.partner("company-c"), topic)
    secured = attacks.read(secure.bootstrap, secure.partner("company-d"), topic)
    opened = attacks.read(control.bootstrap, {}, control.topics.suggestions("company-c"))
    red_team.add(Row("read another company's suggestions", DENIED, secured, opened))
    assert own == "read 1+ records"
    assert secured == DENIED
    assert opened == "read 1+ records"


@pytest.mark.parametrize("which", ["inbound", "dlq"])
def test_a_partner_cannot_read_inbound_topics_or_dead_letters(
    secure: World, control: World, red_team: Table, which: str
) -> None:
    def topic(world: World) -> str:
        offers = world.topics.offers
        return offers if which == "inbound" else f"{offers}.dlq"

    secured = attacks.read(secure.bootstrap, secure.partner("company-c"), topic(secure))
    opened = attacks.read(control.bootstrap, {}, topic(control))
    what = "an inbound topic" if which == "inbound" else "a dead-letter topic"
    red_team.add(Row(f"read {what} ({topic(secure)})", DENIED, secured, opened))
    assert secured == DENIED
    assert opened == "read 1+ records"


def test_a_partner_cannot_join_bureaus_consumer_group(
    secure: World, control: World, red_team: Table
) -> None:
    group = secure.topics.group("offer-book")
    own = secure.topics.outcomes("school-a")
    secured = attacks.read(secure.bootstrap, secure.partner("school-a"), own, group=group)
    opened = attacks.read(control.bootstrap, {}, control.topics.outcomes("school-a"), group=group)
    red_team.add(Row(f"join bureau's group {group}", "GROUP_AUTHORIZATION_FAILED", secured, opened))
    assert secured == "GROUP_AUTHORIZATION_FAILED"
    assert opened == "read 1+ records"
    # Its own groups (prefix "<org>.") it may use.
    mine = attacks.read(secure.bootstrap, secure.partner("school-a"), own, group="school-a.reader")
    assert mine == "read 1+ records"


def test_a_partner_cannot_create_or_delete_topics(
    secure: World, control: World, red_team: Table
) -> None:
    name = f"{secure.topics.prefix}bureau.rogue.v1"
    victim = f"{secure.topics.prefix}bureau.victim.v1"
    school = secure.partner("school-a")
    created = attacks.create_topic(secure.bootstrap, school, name)
    deleted = attacks.delete_topic(secure.bootstrap, school, victim)
    created_open = attacks.create_topic(control.bootstrap, {}, name)
    deleted_open = attacks.delete_topic(control.bootstrap, {}, victim)
    red_team.add(
        Row(
            "create / delete a topic",
            f"{DENIED} / {DENIED}",
            f"{created} / {deleted}",
            f"{created_open} / {deleted_open}",
        )
    )
    assert (created, deleted) == (DENIED, DENIED)
    assert (created_open, deleted_open) == (SUCCEEDED, SUCCEEDED)
    # The victim is still there and readable by bureau's admin.
    assert attacks.read(secure.bootstrap, _admin(secure), victim) == "read 1+ records"


def _admin(world: World) -> dict[str, object]:
    from bureau.security.client import aiokafka_security

    return aiokafka_security(world.settings, admin=True)
