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
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import events as bench_events
from bureau.adapters.kafka import ensure_topics
from bureau.adapters.memory import InMemoryStore
from bureau.app import topic_configs, wire
from bureau.embedded.kafka import EmbeddedKafka, ensure_kafka, run_kafka
from bureau.lag import consumer_lag
from bureau.security import partners
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
from bureau.topics import Purpose, Topics

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


async def _worker_rate(kafka: EmbeddedKafka, n: int, *, verify: bool) -> float:
    """Students/s through bureau's worker (in-memory store), signatures checked or not."""
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        **kafka.settings_update(),  # type: ignore[arg-type]
        topic_prefix=f"b{run}.",
        group_prefix=f"b{run}.",
        partitions=6,
        metrics_port=0,
        statistics_every=0,
        log_level="WARNING",
        require_signatures=verify,
    )
    topics = Topics.from_settings(settings)
    admin = aiokafka_security(settings, admin=True)
    partners.provision_bureau(settings)
    students = bench_events.students(n)
    # The signing half of onboarding only: 300 schools' SCRAM users and ACLs are not
    # what this measures.
    keys = {e["source"]: generate_key() for e in students}
    partners.publish_entries(
        settings,
        [
            PartnerEntry(org=org, kind="school", public_key=public_key_text(key))
            for org, key in keys.items()
        ],
    )
    await ensure_topics(
        kafka.bootstrap, topics.all(), settings.partitions, topic_configs(settings), **admin
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", **admin)
    await producer.start()
    try:
        sent = []
        for key, value in bench_events.encode(students, "student_id"):
            source = json.loads(value)["source"]
            headers = signed_headers(source, keys[source], key, value)
            sent.append(await producer.send(topics.students, value, key=key, headers=headers))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    worker = wire(settings, InMemoryStore())
    await worker.follower.restore()
    if worker.signatures is not None:
        await worker.signatures.start()
    started = time.perf_counter()
    await worker.broker.start()
    try:
        groups = {topics.group(Purpose.STUDENTS): [topics.students]}
        client = aiokafka_security(settings)
        while True:
            lag = await consumer_lag(kafka.bootstrap, groups, client=client)
            if not sum(r.lag for r in lag):
                return n / (time.perf_counter() - started)
            await asyncio.sleep(0.05)  # poll interval of the measurement
    finally:
        await worker.broker.stop()
        if worker.signatures is not None:
            await worker.signatures.stop()
        await worker.follower.stop()
        await worker.publisher.close()


async def _worker_bench(kafka: EmbeddedKafka, n: int, rounds: int) -> None:
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for verify in (True, False):
            rates[verify].append(await _worker_rate(kafka, n, verify=verify))
    print(f"\nbureau's worker, {n} StudentRegistered, in-memory store, secured broker:")
    print("| signatures | students/s (median) |")
    print("|---|---|")
    for verify, found in rates.items():
        label = "verified" if verify else "not verified (BUREAU_REQUIRE_SIGNATURES=false)"
        print(f"| {label} | {statistics.median(found):,.0f} |")


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
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--signatures-only", action="store_true")
    parser.add_argument("--worker-only", action="store_true")
    args = parser.parse_args()
    if args.signatures_only:
        signatures(args.records)
        return
    ensure_kafka()
    if args.worker_only:
        with run_kafka(num_partitions=1) as secure:
            asyncio.run(_worker_bench(secure, args.students, args.rounds))
        return
    with (
        tempfile.TemporaryDirectory(prefix="bureau-bench-security-") as tmp,
        run_kafka(Path(tmp) / "secure", num_partitions=1) as secure,
        run_kafka(Path(tmp) / "open", num_partitions=1, security=False) as plain,
    ):
        brokers = {"SASL/SCRAM-SHA-512 + ACLs": secure, "PLAINTEXT, no authorizer": plain}
        asyncio.run(_bench(brokers, args.records, args.size, args.rounds))
        asyncio.run(_worker_bench(secure, args.students, args.rounds))
    signatures(args.records)


if __name__ == "__main__":
    main()
