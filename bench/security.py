"""Cost of SASL/SCRAM-SHA-512 + the authorizer (not a test): ``python -m bench.security``.

Starts two embedded brokers in one run, one with security on and one without, and
measures on each, alternating rounds: connection set-up (SCRAM adds round trips and
PBKDF2 on both sides), produce throughput (acks=all, idempotent, as bureau produces)
and consume throughput, all with aiokafka.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bureau.adapters.kafka import ensure_topics
from bureau.embedded.kafka import EmbeddedKafka, ensure_kafka, run_kafka
from bureau.security.client import aiokafka_security
from bureau.settings import Settings

TOPIC = "bench.security.v1"


async def _connect(bootstrap: str, security: dict[str, Any]) -> float:
    started = time.perf_counter()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security)
    await producer.start()
    elapsed = time.perf_counter() - started
    await producer.stop()
    return elapsed


async def _produce(bootstrap: str, security: dict[str, Any], n: int, size: int) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5, **security
    )
    await producer.start()
    value = os.urandom(size)
    try:
        started = time.perf_counter()
        futures = [await producer.send(TOPIC, value, key=str(i).encode()) for i in range(n)]
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def _consume(bootstrap: str, security: dict[str, Any], n: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
    await consumer.start()
    try:
        part = TopicPartition(TOPIC, 0)
        consumer.assign([part])
        end = (await consumer.end_offsets([part]))[part]
        consumer.seek(part, max(0, end - n))
        got, started = 0, time.perf_counter()
        while got < n:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            got += sum(len(records) for records in batch.values())
        return n / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def _round(kafka: EmbeddedKafka, n: int, size: int) -> dict[str, float]:
    settings = Settings(**kafka.settings_update())  # type: ignore[arg-type]
    security = aiokafka_security(settings, admin=True)
    connect = statistics.median([await _connect(kafka.bootstrap, security) for _ in range(5)])
    return {
        "connect_ms": connect * 1000,
        "produce": await _produce(kafka.bootstrap, security, n, size),
        "consume": await _consume(kafka.bootstrap, security, n),
    }


async def _bench(brokers: dict[str, EmbeddedKafka], n: int, size: int, rounds: int) -> None:
    for kafka in brokers.values():
        settings = Settings(**kafka.settings_update())  # type: ignore[arg-type]
        await ensure_topics(kafka.bootstrap, [TOPIC], 1, **aiokafka_security(settings, admin=True))
    results: dict[str, list[dict[str, float]]] = {name: [] for name in brokers}
    for _ in range(rounds):
        for name, kafka in brokers.items():
            results[name].append(await _round(kafka, n, size))
    print(f"{n} records of {size} B, {rounds} alternating rounds (median), {platform.node()}")
    print("| broker | connect (ms) | produce (records/s) | consume (records/s) |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(
            f"| {name} | {med['connect_ms']:.1f} | {med['produce']:,.0f} | {med['consume']:,.0f} |"
        )


def main() -> None:
    """Run both brokers and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ensure_kafka()
    with (
        tempfile.TemporaryDirectory(prefix="bureau-bench-security-") as tmp,
        run_kafka(Path(tmp) / "secure", num_partitions=1) as secure,
        run_kafka(Path(tmp) / "open", num_partitions=1, security=False) as plain,
    ):
        brokers = {"SASL/SCRAM-SHA-512 + ACLs": secure, "PLAINTEXT, no authorizer": plain}
        asyncio.run(_bench(brokers, args.records, args.size, args.rounds))


if __name__ == "__main__":
    main()
