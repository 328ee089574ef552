"""Cost of SASL/SCRAM-SHA-512 + the authorizer, and of signatures: ``python -m bench.security``.

Starts two embedded brokers in one run, one with security on and one without, and
measures on each, alternating rounds: connection set-up (SCRAM adds round trips and
PBKDF2 on both sides), produce throughput (acks=all, idempotent, as bureau produces)
and consume throughput, all with aiokafka. Then the per-event cost of signing a record
(a partner) and of the worker's check (``bureau.security.verify.check``), no broker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from bureau.security.signing import (
    PartnerEntry,
    PartnerRegistry,
    generate_key,
    public_key_text,
    signed_headers,
)
from bureau.security.verify import check
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


def _per_event_us(work: Any, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        work()
    return (time.perf_counter() - started) / n * 1e6


def signatures(n: int) -> None:
    """Print the cost of signing and of verifying one event, in microseconds."""
    key = generate_key()
    registry = PartnerRegistry()
    entry = PartnerEntry(org="northsea-secure", kind="company", public_key=public_key_text(key))
    registry.apply(b"northsea-secure", entry.to_json())
    # An offer as a partner sends it (about 450 bytes).
    value = json.dumps(envelope_example()).encode()
    headers = signed_headers("northsea-secure", key, b"soc-analyst", value)
    signing = _per_event_us(lambda: signed_headers("northsea-secure", key, b"k", value), n)
    verified = _per_event_us(
        lambda: check(registry, b"soc-analyst", value, headers, "northsea-secure"), n
    )
    refused = _per_event_us(lambda: check(registry, b"soc-analyst", value, [], "x"), n)
    print(f"\nsignatures, {n} events of {len(value)} B (Ed25519, one core):")
    print("| step | per event (µs) |")
    print("|---|---|")
    print(f"| partner signs (`signed_headers`) | {signing:.1f} |")
    print(f"| worker verifies a valid record (`verify.check`) | {verified:.1f} |")
    print(f"| worker refuses an unsigned record | {refused:.1f} |")


def envelope_example() -> dict[str, Any]:
    """An InternshipOffered as the README shows it."""
    from bureau.partners import offer

    return offer("soc-analyst", company_id="northsea-secure")


def main() -> None:
    """Run both brokers and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--signatures-only", action="store_true")
    args = parser.parse_args()
    if args.signatures_only:
        signatures(args.records)
        return
    ensure_kafka()
    with (
        tempfile.TemporaryDirectory(prefix="bureau-bench-security-") as tmp,
        run_kafka(Path(tmp) / "secure", num_partitions=1) as secure,
        run_kafka(Path(tmp) / "open", num_partitions=1, security=False) as plain,
    ):
        brokers = {"SASL/SCRAM-SHA-512 + ACLs": secure, "PLAINTEXT, no authorizer": plain}
        asyncio.run(_bench(brokers, args.records, args.size, args.rounds))
    signatures(args.records)


if __name__ == "__main__":
    main()
