"""Onboarding makes a partner's topics as bureau would: promised retention, small layout."""

from __future__ import annotations

from bureau.adapters.kafka import PARTY_TOPIC_LAYOUT
from bureau.privacy.topics import describe, party_topics, report_drift
from bureau.security.client import aiokafka_security
from tests.security.conftest import World


async def test_an_onboarded_partners_topics_keep_the_retention_promise(
    secure: World, control: World
) -> None:
    # Control: the same topics made without their config (as onboarding made them
    # before) drift from the promise, and the check says so.
    assert await report_drift(secure.settings, {}) == []
    drifted = await report_drift(control.settings, {})
    assert {d.topic for d in drifted} == set(await party_topics(control.settings))
    assert {d.name for d in drifted} == {"retention.ms"}


async def test_an_onboarded_partners_topics_are_laid_out_for_little_traffic(
    secure: World,
) -> None:
    names = sorted(await party_topics(secure.settings))
    assert names  # two schools' outcomes, four parties' suggestions
    described = await describe(secure.bootstrap, names, **aiokafka_security(secure.settings))
    for name in names:
        config = described[name]
        assert config is not None
        assert {k: config[k] for k in PARTY_TOPIC_LAYOUT} == PARTY_TOPIC_LAYOUT
