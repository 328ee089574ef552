"""Benchmark of a whole matching round on real Kafka and the store (not a test).

``python -m bench.round_store [students places prefs]`` (default 50000 5000 10): seeds a
round's preferences, rankings and offers into the store, then times bureau closing it
as the worker does — load the inputs from the store, allocate, publish every
allocation and the run record to Kafka (acknowledged), record the round as closed.
Uses ``BUREAU_KAFKA_BOOTSTRAP`` / ``BUREAU_MONGO_URL`` if set, else starts the
embedded Kafka and FerretDB.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from bench.matching import SEED, make_round
from bureau.adapters.kafka import KafkaPublisher, ensure_topics
from bureau.adapters.mongo import MongoStore
from bureau.domain.round import Round
from bureau.schemas.rounds import MatchingRoundClosed, RoundDetails, RoundRef
from bureau.service import Exchange
from bureau.service.documents import Kind, View, round_input
from bureau.service.rounds import PREFERENCES, RANKING
from bureau.topics import Topics


@contextlib.contextmanager
def infrastructure() -> Iterator[tuple[str, str]]:
    """Kafka and the store from BUREAU_* settings, or started embedded for the run."""
    kafka, mongo = os.environ.get("BUREAU_KAFKA_BOOTSTRAP"), os.environ.get("BUREAU_MONGO_URL")
    if kafka and mongo:
        yield kafka, mongo
        return
    from bureau.embedded.ferretdb import ensure_ferretdb, run_ferretdb
    from bureau.embedded.kafka import ensure_kafka, run_kafka

    ensure_kafka()
    ensure_ferretdb()
    # These benches measure the pipeline, not authentication (bench.security does that).
    with run_kafka(security=False) as k, run_ferretdb() as f:
        yield k.bootstrap, f.url


async def _run(bootstrap: str, url: str, students: int, places: int, prefs: int) -> None:
    rng = random.Random(SEED)
    started = time.perf_counter()
    preferences, rankings, capacities = make_round(students, places, prefs, rng)
    print(
        f"instance: {students} students x {places} places x {prefs} preferences, "
        f"{sum(capacities.values())} seats ({time.perf_counter() - started:.1f} s to make)"
    )
    run = uuid.uuid4().hex[:8]
    topics = Topics(prefix=f"bench{run}.")
    store = MongoStore(url, f"bench_{run}")
    rid = "r-bench"
    details = RoundDetails(round_id=rid, coordinator_id="coordinator", offer_ids=tuple(capacities))

    t = time.perf_counter()
    db = store.db
    await db["offers"].insert_many(
        [
            {"_id": p, "company_id": "c", "capacity": c, "withdrawn": False}
            for p, c in capacities.items()
        ]
    )
    # As the worker appends them: one document per PreferencesSubmitted / ApplicantsRanked.
    inputs = [
        round_input(rid, PREFERENCES, s, list(p), f"{n:08d}")
        for n, (s, p) in enumerate(preferences.items())
    ] + [
        round_input(rid, RANKING, o, list(r), f"{n:08d}")
        for n, (o, r) in enumerate(rankings.items())
    ]
    await db[View.ROUND_INPUTS].insert_many([{"_id": str(uuid.uuid4()), **d} for d in inputs])
    await db[View.ROUND_INPUTS].create_index("round_id")
    await db[Kind.ROUNDS].insert_one(
        {
            "_id": rid,
            "state": Round(details=details).model_dump(mode="json"),
            "version": 1,
            "seen": {},
            "outbox": [],
            "closed": False,
        }
    )
    print(f"seeded the store in {time.perf_counter() - t:.1f} s")

    await ensure_topics(bootstrap, [topics.applications, topics.rounds], partitions=6)
    publisher = KafkaPublisher(bootstrap)
    exchange = Exchange(store=store, publish=publisher, topics=topics)
    close = MatchingRoundClosed(
        event_id=uuid.uuid4(),
        event_type="MatchingRoundClosed",
        occurred_at=datetime.now(UTC),
        source="coordinator",
        data=RoundRef(round_id=rid),
    )
    t = time.perf_counter()
    loaded = await store.find(View.ROUND_INPUTS, {"round_id": rid})
    load_s = time.perf_counter() - t
    del loaded
    t = time.perf_counter()
    await exchange.apply(close)
    total = time.perf_counter() - t
    [doc] = await store.find("rounds", {})
    result = doc["state"]["run"]
    print(
        f"placed {result['placed']}, unplaced {result['unplaced']}, {result['inputs_hash'][:19]}…"
    )
    print(f"{'step':<58} {'seconds':>8}")
    print(f"{'load the round inputs alone (one document per input event)':<58} {load_s:>8.2f}")
    print(f"{'whole round: load, allocate, publish all, record (target < 10)':<58} {total:>8.2f}")
    await publisher.close()
    await store.db.client.drop_database(f"bench_{run}")
    await store.close()


def main() -> None:
    """Run the benchmark with sizes from the command line."""
    students, places, prefs = (int(a) for a in (sys.argv[1:4] or ("50000", "5000", "10")))
    with infrastructure() as (bootstrap, url):
        asyncio.run(_run(bootstrap, url, students, places, prefs))


if __name__ == "__main__":
    main()
