"""Server time of each dashboard page over large projections (not a test).

``python -m bench.web [students offers] [--no-refresh]`` (default 10000 2000): the service's own
Exchange projects a synthetic region (students of 20 schools, offers, ~40 % of the
students placed through the whole application lifecycle, a research question, a
lecture and a round) into the in-memory store; its collections are copied into
FerretDB (``BUREAU_MONGO_URL`` if set, else the embedded one); then each page is
requested through the ASGI app on the MongoDB read model, without the dashboard's
one-second cache, and its time reported (median of 5 after one warm-up; no network,
so this is the server's time). ``--no-refresh`` skips timing the worker's refresh of
the statistics view on the store (minutes at this size; the pages read the copied view).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace

import httpx
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from bureau.adapters.memory import InMemoryStore
from bureau.adapters.mongo import MongoStore
from bureau.domain.matching import Suggestion
from bureau.service import Exchange
from bureau.settings import Settings
from bureau.topics import Topics
from bureau.web import create_app
from bureau.web.queries import MongoReadModel
from bureau.web.wiring import wiring_from_settings
from tests.support import region
from tests.support.exchange_loop import ExchangeLoop


async def _nothing(topic: str, key: bytes, value: bytes | None) -> None:
    """Refreshing statistics publishes nothing."""


SKIP = frozenset({"notifications", "pair_scores", "parked"})
"""Collections the dashboard never reads (the delivery ledger)."""
ADMIN = "bench-admin"


@contextlib.contextmanager
def _store_url() -> Iterator[str]:
    if url := os.environ.get("BUREAU_MONGO_URL"):
        yield url
        return
    from bureau.embedded.ferretdb import ensure_ferretdb, run_ferretdb

    ensure_ferretdb()
    with run_ferretdb() as f:
        yield f.url


async def _project(students: int, offers: int) -> tuple[InMemoryStore, ExchangeLoop]:
    schools = tuple(
        region.School(
            school_id=f"school-{n:02d}",
            level=("mbo-4", "hbo", "wo")[n % 3],
            students=students // 20,
            placed=int(0.4 * students // 20),
        )
        for n in range(20)
    )
    store = InMemoryStore()
    loop = ExchangeLoop(store)
    await region.play(loop, schools, offers=offers, vocabulary=300)
    await loop.exchange.queries.refresh_statistics()
    return store, loop


async def _copy(store: InMemoryStore, url: str, db: str) -> dict[str, int]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    counts = {}
    for name, docs in store.collections.items():
        if name in SKIP or not docs:
            continue
        await client[db][name].insert_many(list(docs.values()))
        counts[name] = len(docs)
    await client.close()
    return counts


async def _time_pages(
    settings: Settings, paths: list[str], loop: ExchangeLoop
) -> dict[str, tuple[float, int]]:
    results = {}

    async def shortlist(offer_id: str) -> Sequence[Suggestion]:
        # The service's query on tables as the changelogs restore them (here, as the
        # Exchange left them): no broker in this benchmark.
        return loop.exchange.queries.shortlist(offer_id)

    async with wiring_from_settings(settings) as wiring:
        # Without the one-second cache: every request below is a cache miss.
        uncached = MongoReadModel(settings.mongo_url, settings.mongo_db)
        app = create_app(replace(wiring, lag=None, read=uncached, shortlist=shortlist))
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in paths:
                times = []
                for _ in range(6):
                    started = time.perf_counter()
                    response = await client.get(path, headers=headers, timeout=300)
                    times.append(time.perf_counter() - started)
                    response.raise_for_status()
                results[path] = (1000 * statistics.median(times[1:]), len(response.content))
        await uncached.close()
    return results


async def _time_refresh(url: str, db: str) -> None:
    """Time the worker's refresh of the statistics view on this store."""
    refresher = MongoStore(url, db)
    started = time.perf_counter()
    rows = await Exchange(
        store=refresher, publish=_nothing, topics=Topics()
    ).queries.refresh_statistics()
    print(
        f"statistics refresh on the store: {time.perf_counter() - started:.1f} s, {len(rows)} rows"
    )
    await refresher.close()


async def _run(url: str, students: int, offers: int, *, skip_refresh: bool) -> None:
    started = time.perf_counter()
    store, loop = await _project(students, offers)
    print(f"projected by the Exchange (in memory) in {time.perf_counter() - started:.0f} s")
    db = f"bench_web_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    counts = await _copy(store, url, db)
    print(f"copied into the store in {time.perf_counter() - started:.0f} s: {counts}")
    if skip_refresh:
        print("statistics refresh on the store: not measured (copied from memory)")
    else:
        await _time_refresh(url, db)
    settings = Settings(
        mongo_url=url,
        mongo_db=db,
        web_admin_token=SecretStr(ADMIN),
    )
    # An offer whose shortlist is not empty, so its page shows one.
    shortlisted = next(
        oid
        for oid in (region.offer_id(n) for n in range(offers))
        if loop.exchange.queries.shortlist(oid)
    )
    paths = [
        "/",
        "/offers",
        "/offers?page=2",
        "/offers?page=5",
        "/offers?company=company-007",
        "/offers?region=1013",
        f"/offers/{shortlisted}",
        "/rounds",
        "/rounds/round-2027-1",
        "/research",
        "/lectures",
        "/schools/school-00",
        "/schools/school-00?status=confirmed",
        "/schools/school-00?page=3",
        "/operator",
        "/open-data/statistics.json",
        "/open-data/statistics.csv",
    ]
    print(f"{'page':<36} {'median ms':>10} {'bytes':>9}")
    for path, (ms, size) in (await _time_pages(settings, paths, loop)).items():
        print(f"{path:<36} {ms:>10.0f} {size:>9}")
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    await client.drop_database(db)
    await client.close()


def main() -> None:
    """Run the benchmark with sizes from the command line."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    students, offers = (int(a) for a in (args or ["10000", "2000"]))
    with _store_url() as url:
        asyncio.run(_run(url, students, offers, skip_refresh="--no-refresh" in sys.argv))


if __name__ == "__main__":
    main()
