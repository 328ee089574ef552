"""The worker's /metrics after a scenario, and one offer's trace through Kafka headers."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from collections.abc import Mapping

from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from bureau.app import create_app
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from tests.support import events, signing
from tests.support.kafka import eventually, read_all
from tests.support.scenarios import Partners

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _scrape(port: int) -> Samples:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            return str(r.read().decode())

    text = await asyncio.to_thread(get)
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


async def test_metrics_count_what_a_scenario_applied_parked_dead_lettered_and_sent(
    settings: Settings,
) -> None:
    port = _free_port()
    settings = settings.model_copy(update={"metrics_port": port, "metrics_lag_interval": 0.2})
    p = Partners(settings)
    t = p.topics
    students = [events.student(f"s-{i}", skills=("linux", "networking")) for i in range(4)]
    offers = [events.offer(f"o-{i}") for i in range(3)]
    early = events.application("ApplicationSubmitted", "a-early", offer_id="o-0", student_id="s-9")
    broken = events.offer("o-bad", capacity=-1)

    async with create_app(settings):
        before = await _scrape(port)
        await p.publish(t.students, students)
        await p.publish(t.offers, [*offers, broken])
        await p.publish(t.applications, [early])
        suggested = await p.matches()
        outcomes = await p.outcomes("roc-amsterdam")
        group = p.group(t.offers)

        async def lag_read() -> bool:
            now = await _scrape(port)
            rows = {k: v for k, v in now.items() if k[0] == "bureau_consumer_lag"}
            mine = [v for (_, labels), v in rows.items() if ("group", group) in labels]
            return len(mine) == 2 * settings.partitions and not any(mine)

        await eventually(lag_read, what="lag of the offer-book group read as 0")
        after = await _scrape(port)

    def applied(kind: str) -> float:
        return _delta(after, before, "bureau_events_applied_total", event_type=kind)

    assert applied("InternshipOffered") == 3
    assert applied("StudentRegistered") == 4
    assert applied("ApplicationSubmitted") == 0
    parked = "bureau_events_parked_total"
    assert _delta(after, before, parked, event_type="ApplicationSubmitted") == 1
    dead = "bureau_events_dead_lettered_total"
    assert _delta(after, before, dead, topic=t.offers, event_type="InternshipOffered") == 1
    assert len(suggested) == 12
    sent = "bureau_suggestions_sent_total"
    assert _delta(after, before, sent, event_type="MatchSuggested") == len(suggested)
    assert outcomes == []
    # FastStream's own middleware: messages and handler latency per topic ("handler").
    received = "faststream_received_messages_total"
    latency = "faststream_received_processed_messages_duration_seconds_count"

    # The offer book's subscriber takes poll batches: FastStream counts every message
    # and observes the handler's latency once per batch, labelled with the batch's
    # first topic (a batch may hold offers and applications both).
    def total(name: str) -> float:
        return sum(
            _delta(after, before, name, app_name="bureau", broker="kafka", handler=topic)
            for topic in (t.offers, t.applications)
        )

    assert total(received) == 5
    assert 1 <= total(latency) <= 5


async def _send_traced(bootstrap: str, topic: str, event: Mapping[str, object], trace: str) -> None:
    settings = signing.settings_for(bootstrap, topic)
    value = json.dumps(event).encode()
    key = str(event["data"]["offer_id"]).encode()  # type: ignore[index]
    await signing.enrol_async(settings, [value])
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", **aiokafka_security(settings, admin=True)
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic,
            value,
            key=key,
            headers=[("traceparent", trace.encode()), *signing.headers(settings, key, value)],
        )
    finally:
        await producer.stop()


async def test_an_offers_trace_reaches_the_suggestions_it_caused(settings: Settings) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    p = Partners(settings)
    t = p.topics
    trace_id, partner_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    students = [events.student(f"s-{i}", skills=("linux", "networking")) for i in range(3)]
    untraced = events.offer("o-plain", skills=("linux",))

    async with create_app(settings, tracer_provider=provider):
        await p.publish(t.students, students)
        await p.publish(t.offers, [untraced])
        await _send_traced(
            p.bootstrap, t.offers, events.offer("o-traced"), f"00-{trace_id}-{partner_span}-01"
        )
        await p.settle(t.offers)

        async def all_suggested() -> bool:
            records = await read_all(p.bootstrap, t.matches)
            return sum(b'"o-traced"' in r.value for r in records) == 3

        await eventually(all_suggested, what="three suggestions for o-traced")
        records = await read_all(p.bootstrap, t.matches)

    def trace_of(headers: list[tuple[str, bytes]]) -> str:
        return dict(headers)["traceparent"].decode().split("-")[1]

    caused = [r for r in records if json.loads(r.value)["data"]["offer_id"] == "o-traced"]
    others = [r for r in records if json.loads(r.value)["data"]["offer_id"] != "o-traced"]
    assert len(caused) == 3
    assert {trace_of(r.headers) for r in caused} == {trace_id}
    assert others, "the untraced offer's suggestions start traces of their own"
    assert trace_id not in {trace_of(r.headers) for r in others}

    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == int(trace_id, 16)]
    [processed] = [s for s in spans if s.name == f"{t.offers} process"]
    assert processed.parent is not None
    assert processed.parent.span_id == int(partner_span, 16)
    published = [s for s in spans if s.name == f"{t.matches} publish"]
    assert len(published) == 3
    assert {s.parent.span_id for s in published if s.parent} <= {s.context.span_id for s in spans}
