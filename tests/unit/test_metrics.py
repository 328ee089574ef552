"""bureau's own counters: what is published is counted by kind, decisions by event type."""

from __future__ import annotations

import structlog
from prometheus_client import CollectorRegistry

from bureau import metrics
from bureau.topics import Topics


def _value(name: str, **labels: str) -> float:
    registry: CollectorRegistry = metrics.REGISTRY
    return registry.get_sample_value(name, labels) or 0.0


def test_published_records_are_counted_as_dead_letters_suggestions_or_outcomes() -> None:
    t = Topics(prefix="u1.")
    dead = ("bureau_events_dead_lettered_total", {"topic": t.offers, "event_type": "X"})
    sent = ("bureau_suggestions_sent_total", {"event_type": "MatchSuggested"})
    outcome = ("bureau_outcomes_sent_total", {"status": "confirmed"})
    before = [_value(n, **labels) for n, labels in (dead, sent, outcome)]

    metrics.count_published(t, f"{t.offers}.dlq", b'{"event_type": "X", "data": {}}')
    metrics.count_published(t, t.matches, b'{"event_type":"MatchSuggested","data":{}}')
    metrics.count_published(t, t.outcomes("roc"), b'{"data":{"status":"confirmed"}}')
    metrics.count_published(t, t.students, b'{"event_type":"StudentRegistered"}')

    after = [_value(n, **labels) for n, labels in (dead, sent, outcome)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


def test_an_undecodable_dead_letter_counts_as_unknown() -> None:
    t = Topics(prefix="u2.")
    metrics.count_published(t, f"{t.students}.dlq", b"\xff not json")
    labels = {"topic": t.students, "event_type": "unknown"}
    assert _value("bureau_events_dead_lettered_total", **labels) == 1


def test_the_services_decision_lines_count_per_bound_event_type() -> None:
    name, labels = "bureau_events_parked_total", {"event_type": "UnitParked"}
    before = _value(name, **labels)
    with structlog.contextvars.bound_contextvars(event_type="UnitParked"):
        metrics.count_decisions(None, "info", {"event": "event_parked"})
        metrics.count_decisions(None, "info", {"event": "something_else"})
    assert _value(name, **labels) - before == 1


def test_a_batch_applied_again_from_reads_is_counted() -> None:
    before = _value("bureau_batches_read_again_total")
    metrics.count_decisions(None, "info", {"event": "batch_applied_again_from_reads"})
    metrics.count_decisions(None, "info", {"event": "event_applied"})
    assert _value("bureau_batches_read_again_total") - before == 1
