"""Throughput, latency, cost per event and memory of the exchange, beside the raw pipeline.

``python -m bench.throughput [--quick] [--round-only]`` prints, in one run on one machine
(``--round-only``: the whole round alone, the longest figure):

1. the service alone on the in-memory store (no Kafka): cost per event as the exchange
   grows, registrations per second with and without 500 open offers, store round
   trips per event (counted on the Store port), and the tables' memory;
2. end to end on real Kafka: bureau's worker against the raw pipeline (plain aiokafka
   consumer + the same store), on the embedded store and on the in-memory adapter;
   offer → first suggestion latency at several rates (one worker, and at 100 offers/s
   also two: ``bench.worker`` in a process of its own); restoring the tables; and a
   whole round as partner events, then its close, until every allocation is out.

Only ratios hold on a noisy machine: each comparison runs side by side in one process.
Kafka and the store come from ``BUREAU_KAFKA_BOOTSTRAP`` / ``BUREAU_MONGO_URL`` or are
started embedded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient, ReplaceOne

from bench import events
from bench.round_store import infrastructure
from bureau import partners
from bureau.adapters.changelog import TableFollower
from bureau.adapters.counting import CountingStore
from bureau.adapters.kafka import ensure_topics
from bureau.adapters.memory import InMemoryStore
from bureau.adapters.mongo import MongoStore
from bureau.adapters.store import Store
from bureau.app import topic_configs, wire
from bureau.domain.book import Book
from bureau.logging import configure_logging
from bureau.privacy.keys import CachedKeyStore, InMemoryKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.schemas import application_event, offer_event, student_event
from bureau.service import Exchange, Tables
from bureau.service.documents import changelog, offer_for_matching
from bureau.service.sealing import Plain
from bureau.service.tables import offer_body
from bureau.settings import Settings
from bureau.topics import Purpose, Table, Topics

QUICK = "--quick" in sys.argv
ROUND_ONLY = "--round-only" in sys.argv


def _line(label: str, *values: object) -> None:
    print(f"  {label:<62}" + "".join(f"{v!s:>12}" for v in values), flush=True)


class _Null:
    """A publisher that drops everything (the service-only figures).

    It takes records many at once, as the worker's ``KafkaPublisher`` does, so the
    service's own cost of publishing is the worker's: no task per record.
    """

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        """Drop one record."""

    async def many(self, records: Sequence[tuple[str, bytes, bytes | None, Any]]) -> None:
        """Drop the records."""


_null = _Null()


# --- 1. the service alone, in-memory store ---------------------------------------


def _state(table: str, body: dict[str, Any]) -> str:
    value = changelog(table, 1, events.T0, body)
    assert value is not None
    return value


def _seed_tables(tables: Tables, students: int, offers: int) -> None:
    """Fill the tables as the changelogs would, without going through the service.

    Then freeze them out of the collector, as a worker's ``TableFollower`` does after
    its restore (the previous size's tables are given back first).
    """
    gc.unfreeze()
    for e in events.students(students, prefix="seed"):
        key = e["data"]["student_id"]
        tables.apply(Table.STUDENTS, key, _state(Table.STUDENTS, {"profile": e["data"]}))
    for e in events.offers(offers, prefix="seed"):
        offer = offer_event.validate_python(e).data
        body = {"offer": offer_body(offer_for_matching(Book(offer=offer)))}
        tables.apply(Table.OFFERS, offer.offer_id, _state(Table.OFFERS, body))
    gc.collect()
    gc.freeze()


async def _apply_all(exchange: Exchange, raws: Sequence[dict[str, Any]], adapter: Any) -> float:
    parsed = [adapter.validate_python(r) for r in raws]
    # CPU time of this process: other load on a shared machine does not inflate it.
    start = time.process_time()
    for event in parsed:
        await exchange.apply(event)
    return time.process_time() - start


async def service_figures() -> None:
    """Section 1: the service alone."""
    print("\n1. The service alone on the in-memory store (no Kafka), CPU of one process")
    sizes = (1000, 10_000) if QUICK else (1000, 10_000, 100_000)
    _line("cost per event (µs) with N students and 500 open offers:", "N", "student", "offer")
    base: tuple[float, float] | None = None
    for n in sizes:
        exchange = Exchange(store=InMemoryStore(), publish=_null, topics=Topics())
        _seed_tables(exchange.tables, n, 500)
        s = await _apply_all(exchange, events.students(300, prefix="new"), student_event)
        o = await _apply_all(exchange, events.offers(100, prefix="new"), offer_event)
        cost = (s / 300 * 1e6, o / 100 * 1e6)
        base = base or cost
        _line("", n, f"{cost[0]:.0f}", f"{cost[1]:.0f}")
    assert base is not None
    _line(
        f"growth from {sizes[0]} to {sizes[-1]} students (target ≤ 1.5x)",
        "",
        f"{cost[0] / base[0]:.2f}x",
        f"{cost[1] / base[1]:.2f}x",
    )

    _line(
        "registrations per second, service only (target ratio ≤ 2x):",
        "students",
        "0 offers",
        "500 offers",
        "ratio",
    )
    for sealed in (False, True):
        # Sealed: as a worker runs, each suggestion's reasons under the student's key.
        if sealed:
            _line("  the same with the worker's sealing (keys in memory, cached):")
        for n in (1000, 10_000) if QUICK else (1000, 10_000, 50_000):
            none, some = await _registration_rates(n, sealed=sealed)
            _line("", n, f"{none:.0f}/s", f"{some:.0f}/s", f"{none / some:.2f}x")

    store = CountingStore(InMemoryStore())
    exchange = Exchange(store=store, publish=_null, topics=Topics())
    students, offers = events.students(400), events.offers(100)
    await _apply_all(exchange, students, student_event)
    await _apply_all(exchange, offers, offer_event)
    applications = _applications(students, offers)
    before = store.round_trips
    await _apply_all(exchange, applications, application_event)
    total_events = len(students) + len(offers) + len(applications)
    per_app = (store.round_trips - before) / max(len(applications), 1)
    _line(
        f"store round trips per event ({len(applications)} of them applications)",
        f"{store.round_trips / total_events:.2f}",
        f"apps {per_app:.2f}",
    )
    _line("  by call: " + ", ".join(f"{k}={v}" for k, v in sorted(store.calls.items())))
    # The same events as a worker takes them: poll batches of up to 500, creations of
    # keys the tables do not know taken as new, unread.
    store = CountingStore(InMemoryStore())
    exchange = Exchange(store=store, publish=_null, topics=Topics())
    for raws, adapter in (
        (students, student_event),
        (offers, offer_event),
        (applications, application_event),
    ):
        parsed = [adapter.validate_python(r) for r in raws]
        for start in range(0, len(parsed), 500):
            async with exchange.batch(presume=True):
                await exchange.prefetch(parsed[start : start + 500])
                for event in parsed[start : start + 500]:
                    await exchange.apply(event)
    _line(
        "  the same in poll batches of up to 500",
        f"{store.round_trips / total_events:.2f}",
    )
    _line("  by call: " + ", ".join(f"{k}={v}" for k, v in sorted(store.calls.items())))

    gc.collect()
    tracemalloc.start()
    tables = Tables()
    n_students, n_offers = (20_000, 4000) if QUICK else (100_000, 20_000)
    _seed_tables(tables, n_students, n_offers)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    _line(
        f"tables' memory with {n_students} students and {n_offers} offers",
        f"{size / 2**20:.0f} MiB",
    )
    gc.unfreeze()  # the seeded tables are garbage now: the collector may have them back


async def _registration_rates(
    n: int, students: int = 1500, chunk: int = 100, *, sealed: bool = False
) -> tuple[float, float]:
    """Registrations per second with no offer open and with 500, N students present.

    The same new students go to both exchanges a chunk at a time, in turns (which one
    first alternates), so a shared machine's drift hits both alike: the ratio holds.
    """
    exchanges = []
    for open_offers in (0, 500):
        sealer = OutboxSealer(CachedKeyStore(InMemoryKeyStore())) if sealed else Plain()
        exchange = Exchange(store=InMemoryStore(), publish=_null, topics=Topics(), sealer=sealer)
        _seed_tables(exchange.tables, n, open_offers)
        exchanges.append(exchange)
    raws = events.students(students, prefix="new")
    took = [0.0, 0.0]
    for i in range(0, students, chunk):
        for which in (0, 1) if (i // chunk) % 2 else (1, 0):
            took[which] += await _apply_all(exchanges[which], raws[i : i + chunk], student_event)
    return students / took[0], students / took[1]


def _applications(
    students: Sequence[dict[str, Any]], offers: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One ApplicationSubmitted per consenting student, to an offer taking its level."""
    found = []
    for i, s in enumerate(d["data"] for d in students):
        fits = [o["data"] for o in offers if s["level"] in o["data"]["levels"]]
        if s["consent"] and fits:
            data = {
                "application_id": f"a-{i}",
                "offer_id": fits[i % len(fits)]["offer_id"],
                "student_id": s["student_id"],
            }
            found.append(events.envelope("ApplicationSubmitted", s["school_id"], data, i))
    return found


# --- 2. end to end on real Kafka ---------------------------------------------------


def _settings(bootstrap: str, url: str) -> Settings:
    run = uuid.uuid4().hex[:8]
    return Settings(
        kafka_bootstrap=bootstrap,
        mongo_url=url,
        mongo_db=f"bench_{run}",
        topic_prefix=f"b{run}.",
        group_prefix=f"b{run}.",
        partitions=6,
        log_level="WARNING",
    )


@contextlib.asynccontextmanager
async def _worker(settings: Settings, store: Store) -> AsyncIterator[Exchange]:
    topics = Topics.from_settings(settings)
    await ensure_topics(
        settings.kafka_bootstrap, topics.all(), settings.partitions, topic_configs(settings)
    )
    worker = wire(settings, store)
    await worker.follower.restore()
    await worker.broker.start()
    try:
        yield worker.exchange
    finally:
        # Bounded: a batch still running (after a round's close, the offers' books take
        # its allocations) is cancelled after the graceful timeout, in one log line.
        await worker.stop()


async def _produce(bootstrap: str, topic: str, records: Sequence[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    try:
        for start in range(0, len(records), 1000):
            await asyncio.gather(
                *(producer.send(topic, v, key=k) for k, v in records[start : start + 1000])
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _drained(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    """Wait until ``group`` has committed the end of every partition of ``topics``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in range(6)]
        end = await consumer.end_offsets(parts)
        total, shown = sum(end.values()), time.monotonic()
        async with asyncio.timeout(1800):
            while True:
                done = await admin.list_consumer_group_offsets(group)
                taken = sum(min(done[tp].offset, end[tp]) for tp in parts if tp in done)
                if taken >= total:
                    return
                if time.monotonic() - shown > 30:  # progress on long work
                    shown = time.monotonic()
                    print(f"    … {group}: {taken:,} of {total:,} records", flush=True)
                await asyncio.sleep(0.05)  # polling interval of the progress check
    finally:
        await consumer.stop()
        await admin.close()


async def _raw(bootstrap: str, topic: str, n: int, url: str | None) -> float:
    """The raw pipeline: plain aiokafka consumer, bulk upserts into the same store."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    client: AsyncMongoClient[dict[str, Any]] | None = AsyncMongoClient(url) if url else None
    db = f"raw_{uuid.uuid4().hex[:8]}"
    memory: dict[str, Any] = {}
    await consumer.start()
    seen, start = 0, time.perf_counter()
    try:
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for records in batches.values():
                docs = [json.loads(r.value) for r in records]
                if client is not None:
                    coll = client[db]["students"]
                    await coll.bulk_write(
                        [ReplaceOne({"_id": d["data"]["student_id"]}, d, upsert=True) for d in docs]
                    )
                else:
                    memory.update((d["data"]["student_id"], d) for d in docs)
                seen += len(records)
            await consumer.commit()
        return seen / (time.perf_counter() - start)
    finally:
        await consumer.stop()
        if client is not None:
            await client.drop_database(db)
            await client.close()


async def _bureau_rate(bootstrap: str, url: str, n: int, on_ferret: bool) -> tuple[float, float]:
    # Clocked from the worker's start: its start-up (topics, tables, seven consumer
    # groups joining) is counted, which the raw pipeline's one consumer has less of.
    # (Clocked from its consumers' start instead, the worker has applied part of the
    # events while its later subscribers start: that flatters it.)
    settings = _settings(bootstrap, url)
    topics = Topics.from_settings(settings)
    await ensure_topics(bootstrap, topics.all(), 6, topic_configs(settings))
    await _produce(bootstrap, topics.students, events.encode(events.students(n), "student_id"))
    raw = await _raw(bootstrap, topics.students, n, url if on_ferret else None)
    store: Store = MongoStore(url, settings.mongo_db) if on_ferret else InMemoryStore()
    start = time.perf_counter()
    async with _worker(settings, store):
        await _drained(bootstrap, topics.group(Purpose.STUDENTS), [topics.students])
    rate = n / (time.perf_counter() - start)
    if isinstance(store, MongoStore):
        await store.db.client.drop_database(settings.mongo_db)
        await store.close()
    return raw, rate


async def _registrations_end_to_end(
    bootstrap: str, url: str, n: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Registrations/s through one worker on the embedded store, 0 and 500 offers open.

    Two rounds of ``n`` new students each: the first makes the topics of the parties
    suggestions go to (one per company and school, once in a region's life), the
    second finds them there. Returns (0 offers, 500 offers) per round.
    """
    rates: list[list[float]] = [[], []]
    for open_offers in (0, 500):
        settings = _settings(bootstrap, url)
        topics = Topics.from_settings(settings)
        await ensure_topics(bootstrap, topics.all(), 6, topic_configs(settings))
        store = MongoStore(url, settings.mongo_db)
        async with _worker(settings, store):
            offers = events.encode(events.offers(open_offers), "offer_id")
            await _produce(bootstrap, topics.offers, offers)
            await _drained(bootstrap, topics.group(Purpose.OFFER_BOOK), [topics.offers])
            for i, prefix in enumerate(("r1", "r2")):
                start = time.perf_counter()
                students = events.encode(events.students(n, prefix=prefix), "student_id")
                await _produce(bootstrap, topics.students, students)
                await _drained(bootstrap, topics.group(Purpose.STUDENTS), [topics.students])
                rates[i].append(n / (time.perf_counter() - start))
        await store.db.client.drop_database(settings.mongo_db)
        await store.close()
    return (rates[0][0], rates[0][1]), (rates[1][0], rates[1][1])


def _rates(pair: tuple[float, float]) -> tuple[str, str, str]:
    return f"{pair[0]:.0f}/s", f"{pair[1]:.0f}/s", f"{pair[0] / pair[1]:.2f}x"


@contextlib.asynccontextmanager
async def _another_worker(settings: Settings) -> AsyncIterator[None]:
    """One more worker (``bench.worker``) in a process of its own, in the same groups."""
    env = {
        **os.environ,
        "BUREAU_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "BUREAU_MONGO_URL": settings.mongo_url,
        "BUREAU_MONGO_DB": settings.mongo_db,
        "BUREAU_TOPIC_PREFIX": settings.topic_prefix,
        "BUREAU_GROUP_PREFIX": settings.group_prefix,
        "BUREAU_PARTITIONS": str(settings.partitions),
        "BUREAU_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.worker", env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(300):
            while (line := await process.stdout.readline()) != b"ready\n":
                if not line:
                    raise RuntimeError(f"bench.worker ended early ({await process.wait()})")
        yield
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(60):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


async def _stable(bootstrap: str, group: str, members: int) -> None:
    """Wait until ``group`` is stable with ``members`` members (after a join)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(300):
            while True:
                described = await admin.describe_consumer_groups([group])
                found = described[0].to_object()["groups"][0]
                if found["state"] == "Stable" and len(found["members"]) == members:
                    return
                await asyncio.sleep(0.1)  # polling interval of the check
    finally:
        await admin.close()


async def _latency(
    bootstrap: str, url: str, students: int, rate: int, seconds: float, workers: int = 1
) -> tuple[float, float, int]:
    settings = _settings(bootstrap, url)
    topics = Topics.from_settings(settings)
    await ensure_topics(bootstrap, topics.all(), 6, topic_configs(settings))
    await _produce(
        bootstrap, topics.students, events.encode(events.students(students), "student_id")
    )
    offers = events.offers(int(rate * seconds))
    # Onboarding (`bureau partners add`) creates each party's topics; a party's first
    # suggestion must not wait for Kafka to create one (about a second each).
    parties = {o["data"]["company_id"] for o in offers} | {
        s["data"]["school_id"] for s in events.students(students)
    }
    await ensure_topics(bootstrap, [topics.suggestions(p) for p in sorted(parties)], 1)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(_worker(settings, InMemoryStore()))
        await _drained(bootstrap, topics.group(Purpose.STUDENTS), [topics.students])
        for _ in range(workers - 1):
            await stack.enter_async_context(_another_worker(settings))
        await _stable(bootstrap, topics.group(Purpose.OFFER_BOOK), workers)
        reader = AIOKafkaConsumer(
            topics.matches, bootstrap_servers=bootstrap, auto_offset_reset="latest", group_id=None
        )
        await reader.start()
        await reader.seek_to_end()
        sent_at: dict[str, float] = {}
        first: dict[str, float] = {}

        async def read() -> None:
            while len(first) < len(sent_at) or len(sent_at) < len(offers):
                for records in (await reader.getmany(timeout_ms=200)).values():
                    now = time.perf_counter()
                    for r in records:
                        first.setdefault(r.key.decode(), now)

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        reading = asyncio.create_task(read())
        # Warm-up: the offer book's consumer group joins after the worker starts; one
        # offer taken first, so the figures are the steady state, not the join.
        warm = events.offers(1, prefix="warm")[0]
        await producer.send_and_wait(
            topics.offers, json.dumps(warm).encode(), key=warm["data"]["offer_id"].encode()
        )
        await _drained(bootstrap, topics.group(Purpose.OFFER_BOOK), [topics.offers])
        start = time.perf_counter()
        for i, e in enumerate(offers):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))  # the pace
            sent_at[e["data"]["offer_id"]] = time.perf_counter()
            await producer.send(
                topics.offers, json.dumps(e).encode(), key=e["data"]["offer_id"].encode()
            )
        await producer.flush()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60):
                while len(first) < len([o for o in sent_at]):  # offers nobody fits never answer
                    await asyncio.sleep(0.1)
                    if time.perf_counter() - start > seconds + 30:
                        break
        reading.cancel()
        await producer.stop()
        await reader.stop()
    waits = sorted((first[o] - t) * 1000 for o, t in sent_at.items() if o in first)
    if not waits:
        return float("nan"), float("nan"), 0
    return statistics.median(waits), waits[min(len(waits) - 1, int(0.99 * len(waits)))], len(waits)


async def _restore(bootstrap: str, students: int, offers: int) -> tuple[float, int, float, float]:
    settings = _settings(bootstrap, "mongodb://unused")
    topics = Topics.from_settings(settings)
    await ensure_topics(bootstrap, topics.changelogs, 6, topic_configs(settings))
    tables = Tables()
    records = [
        (e["data"]["student_id"].encode(), _state(Table.STUDENTS, {"profile": e["data"]}).encode())
        for e in events.students(students)
    ]
    await _produce(bootstrap, topics.state(Table.STUDENTS), records)
    follower = TableFollower(bootstrap, topics, tables.apply)
    seconds = await follower.restore()
    pauses = []  # a full collection's pause, the restore's rows frozen, then not
    for _ in range(2):
        start = time.perf_counter()
        gc.collect()
        pauses.append(time.perf_counter() - start)
        gc.unfreeze()
    await follower.stop()
    return seconds, len(tables.students), pauses[0], pauses[1]


async def _round(bootstrap: str, url: str, students: int, offers: int) -> tuple[float, float, int]:
    """Preferences and rankings as partner events, then the close, on the embedded store."""
    # Continuous matching is measured above; here each new offer tells only its best
    # pair, so the setup (5k offers against 50k students) takes minutes, not an hour.
    settings = _settings(bootstrap, url).model_copy(update={"top_k": 1})
    topics = Topics.from_settings(settings)
    await ensure_topics(bootstrap, topics.all(), 6, topic_configs(settings))
    s_events, o_events = events.students(students), events.offers(offers)
    await _produce(bootstrap, topics.students, events.encode(s_events, "student_id"))
    store = MongoStore(url, settings.mongo_db)
    rng = random.Random(7)
    offer_ids = [o["data"]["offer_id"] for o in o_events]
    consenting = [s for s in s_events if s["data"]["consent"]]
    rid = "r-bench"
    inputs = [
        events.envelope(
            "MatchingRoundOpened",
            "coordinator",
            {"round_id": rid, "coordinator_id": "coordinator", "offer_ids": offer_ids},
        )
    ]
    wanted: dict[str, list[str]] = {o: [] for o in offer_ids}
    for i, s in enumerate(consenting):
        picks = rng.sample(offer_ids, 10)
        for o in picks:
            wanted[o].append(s["data"]["student_id"])
        inputs.append(
            events.envelope(
                "PreferencesSubmitted",
                s["data"]["school_id"],
                {"round_id": rid, "student_id": s["data"]["student_id"], "offer_ids": picks},
                i,
            )
        )
    company = {o["data"]["offer_id"]: o["data"]["company_id"] for o in o_events}
    for o, applicants in wanted.items():
        if applicants:
            rng.shuffle(applicants)
            inputs.append(
                events.envelope(
                    "ApplicantsRanked",
                    company[o],
                    {"round_id": rid, "offer_id": o, "student_ids": applicants},
                )
            )
    closing = events.envelope("MatchingRoundClosed", "coordinator", {"round_id": rid})
    # The round's opener must be a registered coordinator.
    coordinator = partners.organisation("coordinator", "coordinator")
    await _produce(
        bootstrap, topics.organisations, [(b"coordinator", json.dumps(coordinator).encode())]
    )
    async with _worker(settings, store):
        await _drained(bootstrap, topics.group(Purpose.ORGANISATIONS), [topics.organisations])
        await _drained(bootstrap, topics.group(Purpose.STUDENTS), [topics.students])
        # The offers after the students: each offer is matched once, against all of them
        # (not each student against the offers open so far). The setup is not measured.
        await _produce(bootstrap, topics.offers, events.encode(o_events, "offer_id"))
        await _drained(bootstrap, topics.group(Purpose.OFFER_BOOK), [topics.offers])
        start = time.perf_counter()
        await _produce(
            bootstrap, topics.rounds, [(rid.encode(), json.dumps(e).encode()) for e in inputs]
        )
        await _drained(bootstrap, topics.group(Purpose.ROUNDS), [topics.rounds])
        ingest = time.perf_counter() - start
        print(f"    … {len(inputs):,} round inputs applied in {ingest:.1f} s", flush=True)
        await _produce(bootstrap, topics.rounds, [(rid.encode(), json.dumps(closing).encode())])
        await _drained(bootstrap, topics.group(Purpose.ROUNDS), [topics.rounds])
        total = time.perf_counter() - start
        print(f"    … closed {total:.1f} s after the first input", flush=True)
    run = await _run_record(bootstrap, topics.rounds, rid)
    placed = run["placed"] if run else -1  # -1: the round did not close
    print(f"    … placed {placed:,}", flush=True)
    try:
        # FerretDB 1.24 can be left wedged by the offers' books' writes after the close
        # (one update command of 50 or more statements takes its whole connection pool).
        async with asyncio.timeout(60):
            await store.db.client.drop_database(settings.mongo_db)
    except TimeoutError:
        print(f"    … the store did not answer in 60 s: {settings.mongo_db} left", flush=True)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await store.close()
    return ingest, total, placed


async def _run_record(bootstrap: str, topic: str, rid: str) -> dict[str, Any] | None:
    """The run bureau published when it closed round ``rid``, read back from Kafka.

    Not from the store: the offers' books are still writing there after the close.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(6)]
        consumer.assign(parts)
        end = await consumer.end_offsets(parts)
        for tp in parts:  # the run is among the last records of its round's partition
            consumer.seek(tp, max(0, end[tp] - 10))
        found = None
        async with asyncio.timeout(60):
            while [tp for tp in parts if await consumer.position(tp) < end[tp]]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for event in (json.loads(r.value) for r in records):
                        data = event.get("data", {})
                        if event.get("event_type") == "MatchingRoundRun":
                            found = data if data.get("round_id") == rid else found
        return found
    finally:
        await consumer.stop()


async def kafka_figures(bootstrap: str, url: str) -> None:
    """Section 2: end to end on real Kafka."""
    print("\n2. End to end on real Kafka (one worker in this process), wall clock")
    n = 1000 if QUICK else 2000
    _line(f"{n} StudentRegistered, events/s:", "raw", "bureau", "ratio")
    for label, ferret in (("embedded store (FerretDB)", True), ("in-memory store adapter", False)):
        raw, rate = await _bureau_rate(bootstrap, url, n, ferret)
        _line(f"  {label}", f"{raw:.0f}", f"{rate:.0f}", f"{rate / raw:.2f}")

    _line(
        f"{n} StudentRegistered with 0 and 500 offers open, embedded store (target ≤ 2x):",
        "0 offers",
        "500 offers",
        "ratio",
    )
    first, steady = await _registrations_end_to_end(bootstrap, url, n)
    _line("  first, the parties' topics being made", *_rates(first))
    _line("  then as many more, the topics there", *_rates(steady))

    students = 2000 if QUICK else 10_000
    _line(
        f"offer → first suggestion, {students} students, in-memory store (ms):",
        "p50",
        "p99",
        "answered",
    )
    for rate, workers in [(10, 1), (100, 1), (100, 2)] + ([] if QUICK else [(500, 1)]):
        p50, p99, answered = await _latency(
            bootstrap, url, students, rate, 3 if QUICK else 5, workers
        )
        label = f"  {rate} offers/s" + (f", {workers} workers" if workers > 1 else "")
        _line(label, f"{p50:.0f}", f"{p99:.0f}", answered)

    n_students = 20_000 if QUICK else 100_000
    seconds, count, frozen, walked = await _restore(bootstrap, n_students, 0)
    _line(
        f"restore the tables from the changelog: {n_students} students",
        f"{seconds:.1f} s",
        f"{count} rows",
    )
    _line(
        "a full collection after it (ms): rows frozen, not",
        f"{frozen * 1000:.0f}",
        f"{walked * 1000:.0f}",
    )

    await round_figure(bootstrap, url)


async def round_figure(bootstrap: str, url: str) -> None:
    """A whole round through the pipeline, as partner events, then its close."""
    r_students, r_offers = (5000, 500) if QUICK else (50_000, 5000)
    ingest, total, placed = await _round(bootstrap, url, r_students, r_offers)
    _line(
        f"whole round, {r_students} students x {r_offers} offers, embedded store:",
        "ingest",
        "+close",
        "placed",
    )
    _line("", f"{ingest:.0f} s", f"{total:.0f} s", placed)


def main() -> None:
    """Run every section."""
    configure_logging(Settings(log_level="WARNING", log_format="console"))
    if not ROUND_ONLY:
        asyncio.run(service_figures())
    with infrastructure() as (bootstrap, url):
        asyncio.run((round_figure if ROUND_ONLY else kafka_figures)(bootstrap, url))


if __name__ == "__main__":
    main()
