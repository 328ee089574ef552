"""Benchmark of the metrics and tracing middlewares' cost on throughput (not a test).

``python -m bench.metrics [messages] [repeats] [--in-memory]`` (default 20000 3).

First the CPU cost per message, through FastStream's in-memory test broker (no network,
so the middlewares' own cost is what differs). Then, on real Kafka: fills a topic, then
consumes it one message at a time with a handler that does nothing, three ways: no
middleware; FastStream's Prometheus middleware with bureau's publish counter (what
``BUREAU_METRICS_PORT`` turns on); those plus FastStream's OpenTelemetry middleware
(spans recorded, exported nowhere). The variants alternate within one run, so the
machine's load falls on each alike; messages/s are timed from the first message to the
last. Offsets are committed in the background: the worker commits each message after
applying it, a broker round trip that would hide the middlewares' cost in its noise
(the worker's own rate is bounded by the store, ~200 events/s, see INFRA notes).
Uses ``BUREAU_KAFKA_BOOTSTRAP`` if set, else starts the embedded Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.sdk.trace import TracerProvider

from bureau import metrics, tracing
from bureau.adapters.kafka import ensure_topics
from bureau.topics import Topics

VARIANTS: dict[str, Callable[[Topics], list[Any]]] = {
    "off": lambda _: [],
    "metrics": metrics.middlewares,
    "metrics+tracing": lambda t: [tracing.middleware(TracerProvider()), *metrics.middlewares(t)],
}


@contextlib.contextmanager
def _kafka() -> Iterator[str]:
    if bootstrap := os.environ.get("BUREAU_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    from bureau.embedded.kafka import ensure_kafka, run_kafka

    ensure_kafka()
    # Measures the middlewares, not authentication (bench.security does that).
    with run_kafka(security=False) as k:
        yield k.bootstrap


async def _fill(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        body = {"event_type": "InternshipOffered", "data": {"offer_id": "o", "skills": ["x"] * 20}}
        sent = [
            await producer.send(topic, json.dumps(body).encode(), key=f"o-{i % 97}".encode())
            for i in range(n)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, n: int, middlewares: list[Any]) -> float:
    """Messages per second from the first message to the last."""
    broker = KafkaBroker(bootstrap, middlewares=middlewares, logger=None)
    done = asyncio.Event()
    stamps: list[float] = []

    @broker.subscriber(
        topic,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
    )
    async def handle(message: KafkaMessage) -> None:
        stamps.append(time.perf_counter())
        if len(stamps) >= n:
            done.set()

    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=1800)
    finally:
        await broker.stop()
    return (n - 1) / (stamps[-1] - stamps[0])


async def _in_memory(n: int, middlewares: list[Any]) -> float:
    """CPU seconds per message through FastStream's in-memory broker: the middlewares' cost."""
    broker = KafkaBroker(middlewares=middlewares, logger=None)
    topic = "bench.in-memory"

    @broker.subscriber(topic, group_id="bench", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def handle(message: KafkaMessage) -> None:
        return None

    body = json.dumps({"event_type": "InternshipOffered", "data": {"offer_id": "o"}}).encode()
    async with TestKafkaBroker(broker) as test:
        started = time.process_time()
        for _ in range(n):
            await test.publish(body, topic=topic, key=b"o")
        return (time.process_time() - started) / n


async def _cpu(n: int, repeats: int) -> None:
    topics = Topics(prefix="bench.")
    cost: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(repeats):
        for name, make in VARIANTS.items():
            cost[name].append(await _in_memory(n, make(topics)))
    base = statistics.median(cost["off"])
    print(f"\nin-memory broker, {n} messages x {repeats} rounds, median CPU per message:")
    for name, found in cost.items():
        median = statistics.median(found)
        print(f"  {name:<16} {1e6 * median:6.0f} µs  ({1e6 * (median - base):+.0f} µs against off)")


async def _run(bootstrap: str, n: int, repeats: int) -> None:
    topics = Topics(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    topic = topics.offers
    await ensure_topics(bootstrap, [topic], 3)
    await _fill(bootstrap, topic, n)
    rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r in range(repeats):
        for name, make in VARIANTS.items():
            rate = await _consume(bootstrap, topic, n, make(topics))
            rates[name].append(rate)
            print(f"round {r + 1} {name:<16} {rate:8.0f} msg/s", flush=True)
    base = statistics.median(rates["off"])
    print(f"\n{n} messages, {repeats} rounds, median messages/s:")
    for name, found in rates.items():
        median = statistics.median(found)
        extra = 1e6 * (1 / median - 1 / base)
        print(
            f"  {name:<16} {median:8.0f}  ({100 * (median / base - 1):+.1f} % against off, "
            f"{extra:+.0f} µs a message)"
        )


def main() -> None:
    """Run the benchmark with ``[messages] [repeats]`` from the command line."""
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    n = numbers[0] if numbers else 20000
    repeats = numbers[1] if len(numbers) > 1 else 3
    asyncio.run(_cpu(min(n, 5000), repeats))
    if "--in-memory" in sys.argv:
        return
    with _kafka() as bootstrap:
        asyncio.run(_run(bootstrap, n, repeats))


if __name__ == "__main__":
    main()
