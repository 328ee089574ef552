"""Retention: parked events expire into the DLQ; topic configs keep their promises."""

import json
from datetime import UTC, datetime, timedelta

from bureau.adapters.kafka import PARTY_TOPIC_LAYOUT
from bureau.domain.retention import Expire, Keep, decide_expiry
from bureau.privacy.topics import (
    Drift,
    drift_in,
    party_topic_config,
    party_topic_made_with,
    retention_configs,
    students_topic_config,
)
from bureau.settings import Settings
from bureau.topics import Topics, dlq

NOW = datetime(2026, 11, 30, tzinfo=UTC)
TTL = timedelta(days=30)


def _entry(**extra: object) -> dict[str, object]:
    value = json.dumps({"occurred_at": "2026-10-01T00:00:00+00:00"})
    return {
        "_id": "e-1",
        "topic": "bureau.applications.v1",
        "ref": "student:s-1",
        "value": value,
        **extra,
    }


def test_a_parked_event_older_than_the_ttl_expires_into_its_dlq_with_a_reason() -> None:
    decision = decide_expiry(_entry(), NOW, TTL)
    assert isinstance(decision, Expire)
    assert decision.dead_letter_topic == "bureau.applications.v1.dlq"
    assert "waiting for student:s-1" in decision.reason
    assert "60 days" in decision.reason


def test_the_parking_time_counts_before_the_events_own_time() -> None:
    recent = _entry(parked_at=(NOW - timedelta(days=3)).isoformat())
    assert decide_expiry(recent, NOW, TTL) == Keep()


def test_an_entry_of_unknown_age_is_kept_and_says_why() -> None:
    sealed = {"_id": "e-2", "topic": "t", "sealed": "bk1.00.x"}
    decision = decide_expiry(sealed, NOW, TTL)
    assert isinstance(decision, Keep)
    assert "parked_at" in decision.reason


def test_the_students_topic_compacts_within_the_lag_bound() -> None:
    config = students_topic_config(Settings(students_max_compaction_lag_hours=2))
    assert config["cleanup.policy"] == "compact"
    assert config["max.compaction.lag.ms"] == str(2 * 3600 * 1000)
    assert int(config["segment.ms"]) <= int(config["max.compaction.lag.ms"])
    assert float(config["min.cleanable.dirty.ratio"]) < 0.5


def test_every_dead_letter_topic_and_the_matches_topic_have_a_retention() -> None:
    settings = Settings(dlq_retention_days=7, matches_retention_days=10)
    topics = Topics()
    configs = retention_configs(settings)
    assert {dlq(t) for t in topics.inbound} <= set(configs)
    assert configs[dlq(topics.offers)]["retention.ms"] == str(7 * 86400 * 1000)
    assert configs[topics.matches]["retention.ms"] == str(10 * 86400 * 1000)


def test_drift_reports_changed_missing_configs_and_missing_topics() -> None:
    wanted = {"a": {"cleanup.policy": "compact", "segment.ms": "1"}, "b": {"x": "1"}}
    described = {"a": {"cleanup.policy": "delete", "segment.ms": "1"}, "b": None}
    assert drift_in(wanted, described) == [
        Drift("a", "cleanup.policy", "compact", "delete"),
        Drift("b", "x", "1", None),
    ]
    assert drift_in(wanted, {"a": wanted["a"], "b": {"x": "1", "y": "2"}}) == []


def test_per_party_topics_get_the_retention_of_their_kind_and_others_none() -> None:
    settings = Settings(outcome_retention_days=2, matches_retention_days=3)
    t = Topics.from_settings(settings)
    day = 24 * 3600 * 1000
    assert party_topic_config(settings, t.outcomes("roc-1")) == {"retention.ms": str(2 * day)}
    assert party_topic_config(settings, t.suggestions("acme")) == {"retention.ms": str(3 * day)}
    assert party_topic_config(settings, t.offers) == {}

    # Made with the promise and a small topic's layout; a fixed topic with neither.
    made = party_topic_made_with(settings, t.suggestions("acme"))
    assert made == {**PARTY_TOPIC_LAYOUT, "retention.ms": str(3 * day)}
    assert party_topic_made_with(settings, t.offers) == {}
