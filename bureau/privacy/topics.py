"""Topic configurations that keep the retention promises, and a check that they still do.

The students topic carries the schools' own profile records, which bureau cannot
seal, and bureau's students changelog (``bureau.state.students.v1``) carries the
profiles matching reads: compaction is what removes an erased student from both. Compaction never
touches the active segment and waits until enough of the log is dirty, so without
bounds an erased profile can stay on the log indefinitely. ``segment.ms`` rolls the
active segment, ``max.compaction.lag.ms`` makes every record older than it eligible
whatever the dirty ratio, and ``delete.retention.ms`` is how long the tombstone
itself stays (projectors lagging further behind than that would miss it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from bureau.adapters.kafka import PARTY_TOPIC_LAYOUT
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Table, Topics, dlq

log = structlog.get_logger(__name__)

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


def students_topic_config(settings: Settings) -> dict[str, str]:
    """Compaction that actually compacts, within ``students_max_compaction_lag_hours``."""
    lag_ms = settings.students_max_compaction_lag_hours * HOUR_MS
    return {
        "cleanup.policy": "compact",
        # the active segment is never cleaned: roll it well within the lag bound
        "segment.ms": str(min(HOUR_MS, lag_ms // 2)),
        "min.cleanable.dirty.ratio": "0.1",
        "max.compaction.lag.ms": str(lag_ms),
        "delete.retention.ms": str(DAY_MS),
    }


def retention_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """Configs of every fixed topic that makes a retention promise."""
    topics = Topics.from_settings(settings)
    # Dead letters keep original bytes, personal data among them: not forever.
    dead = {"retention.ms": str(settings.dlq_retention_days * DAY_MS)}
    configs = {dlq(t): dict(dead) for t in topics.inbound}
    configs[topics.students] = students_topic_config(settings)
    configs[topics.matches] = {"retention.ms": str(settings.matches_retention_days * DAY_MS)}
    # Tables are current state: the latest record per key is all a restore needs.
    for changelog in topics.changelogs:
        configs[changelog] = {"cleanup.policy": "compact"}
    # bureau's students table carries profiles in plaintext (matching reads them): an
    # erasure's tombstone must leave that log within the same bound as the school's.
    configs[topics.state(Table.STUDENTS)] = students_topic_config(settings)
    return configs


def outcome_topic_config(settings: Settings) -> dict[str, str]:
    """Config of a school's outcome topic (made on its first outcome)."""
    return {"retention.ms": str(settings.outcome_retention_days * DAY_MS)}


def party_topic_config(settings: Settings, topic: str) -> dict[str, str]:
    """Config of a per-party topic bureau makes on first use (empty: not one of them)."""
    topics = Topics.from_settings(settings)
    outcomes, suggestions = topics.outcomes("*"), topics.suggestions("*")
    if _fits(topic, outcomes):
        return outcome_topic_config(settings)
    if _fits(topic, suggestions):
        # a party's own copy of what bureau's matches log keeps: the same retention
        return {"retention.ms": str(settings.matches_retention_days * DAY_MS)}
    return {}


def party_topic_made_with(settings: Settings, topic: str) -> dict[str, str]:
    """A per-party topic's config at creation: its promise and a small topic's layout."""
    promise = party_topic_config(settings, topic)
    return {**PARTY_TOPIC_LAYOUT, **promise} if promise else {}


def _fits(topic: str, pattern: str) -> bool:
    head, _, tail = pattern.partition("*")
    return topic.startswith(head) and topic.endswith(tail) and len(topic) > len(head + tail)


@dataclass(frozen=True)
class Drift:
    """A topic config that differs from what bureau promises."""

    topic: str
    name: str
    wanted: str
    actual: str | None
    """None: the topic (or the config) does not exist."""


def drift_in(
    wanted: Mapping[str, Mapping[str, str]], described: Mapping[str, Mapping[str, str] | None]
) -> list[Drift]:
    """Compare wanted configs with described ones (None: the topic is missing)."""
    found: list[Drift] = []
    for topic, configs in sorted(wanted.items()):
        actual = described.get(topic)
        for name, value in sorted(configs.items()):
            have = None if actual is None else actual.get(name)
            if have != value:
                found.append(Drift(topic, name, value, have))
    return found


async def describe(
    bootstrap: str, topics: list[str], **security: Any
) -> dict[str, dict[str, str] | None]:
    """Every config of each topic as the broker reports it (None: no such topic)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
        )
    finally:
        await admin.close()
    out: dict[str, dict[str, str] | None] = dict.fromkeys(topics)
    for response in responses:
        for error_code, _, _, name, entries in response.resources:
            if error_code == 0:
                out[name] = {e[0]: e[1] for e in entries}
    return out


async def config_drift(
    bootstrap: str,
    wanted: Mapping[str, Mapping[str, str]],
    *,
    settle: float = 15.0,
    **security: Any,
) -> list[Drift]:
    """Describe the topics and report every config that drifted from ``wanted``.

    A topic created a moment ago may not be known to every broker yet: a missing
    one is asked about again for up to ``settle`` seconds before it is reported.
    """
    deadline = time.monotonic() + settle
    described = await describe(bootstrap, sorted(wanted), **security)
    while any(v is None for v in described.values()) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)  # metadata propagation has no event to wait on
        missing = sorted(t for t, v in described.items() if v is None)
        described.update(await describe(bootstrap, missing, **security))
    return drift_in(wanted, described)


async def party_topics(settings: Settings) -> dict[str, dict[str, str]]:
    """The per-party topics that exist now, with the config each should have."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **aiokafka_security(settings)
    )
    await admin.start()
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    return {t: c for t in sorted(names) if (c := party_topic_config(settings, t))}


async def report_drift(
    settings: Settings, wanted: Mapping[str, Mapping[str, str]] | None = None
) -> list[Drift]:
    """Check every retention promise on the broker at start-up; warn about each drift.

    ``wanted``: the fixed topics' configs (default ``retention_configs``); every school's
    outcome topic and every party's suggestion topic that exists is checked too.
    """
    fixed = retention_configs(settings) if wanted is None else wanted
    drifted = await config_drift(
        settings.kafka_bootstrap,
        {**fixed, **await party_topics(settings)},
        **aiokafka_security(settings),
    )
    for d in drifted:
        log.warning(
            "topic_config_drift", topic=d.topic, config=d.name, wanted=d.wanted, actual=d.actual
        )
    return drifted
