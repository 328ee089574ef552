"""Onboarding makes a partner's topics as bureau would: promised retention, small layout."""

from __future__ import annotations

from bureau.adapters.kafka import PARTY_TOPIC_LAYOUT
from bureau.privacy.topics import config_drift, describe, party_topic_config
from bureau.security.acls import partner_topics
from bureau.security.client import aiokafka_security
from tests.security.conftest import PARTNERS, World


def _onboarded(world: World) -> list[str]:
    """The topics onboarding made for the session's partners (other tests make more)."""
    return [t for org, kind in PARTNERS.items() for t in partner_topics(world.topics, org, kind)]


async def _drift(world: World) -> set[tuple[str, str]]:
    wanted = {t: party_topic_config(world.settings, t) for t in _onboarded(world)}
    drifted = await config_drift(world.bootstrap, wanted, **aiokafka_security(world.settings))
    return {(d.topic, d.name) for d in drifted}


async def test_an_onboarded_partners_topics_keep_the_retention_promise(
    secure: World, control: World
) -> None:
    # Control: the same topics made without their config (as onboarding made them
    # before) drift from the promise, and the check says so.
    assert await _drift(secure) == set()
    assert await _drift(control) == {(t, "retention.ms") for t in _onboarded(control)}


async def test_an_onboarded_partners_topics_are_laid_out_for_little_traffic(
    secure: World,
) -> None:
    names = _onboarded(secure)
    described = await describe(secure.bootstrap, names, **aiokafka_security(secure.settings))
    for name in names:
        config = described[name]
        assert config is not None
        assert {k: config[k] for k in PARTY_TOPIC_LAYOUT} == PARTY_TOPIC_LAYOUT
