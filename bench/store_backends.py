"""Benchmark of the embedded store's backends: FerretDB 1.24 on SQLite vs PostgreSQL (not a test).

``python -m bench.store_backends [--sizes 1000,10000,50000] [--samples 20] [--only NAME]``
prints, per backend: start-up time; the median cost of find_one / update_one /
replace_one by ``_id``, insert_one and bureau's version-checked commit
(``MongoStore.load`` + ``MongoStore.commit``) at each collection size; the query plan
of the statement FerretDB sends for ``{_id: k}``; and, without the wrapper's
write-serialising proxy, how many of N concurrent ``$inc`` on one document survive
and how many rounds of concurrent version-checked updates had more than one winner.
docs/store.md holds a run's figures and how to read them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import statistics
import tempfile
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from bureau.adapters.mongo import MongoStore
from bureau.embedded.ferretdb import EmbeddedFerretDB, ensure_ferretdb
from bureau.embedded.postgres import EmbeddedPostgres, run_postgres
from bureau.embedded.process import free_port
from bureau.settings import EmbeddedStore

Doc = dict[str, Any]
DB = "bench"
WRITERS = 8
MIN_SAMPLES, BUDGET_S = 5, 15.0


@dataclass(frozen=True)
class Backend:
    """One way to run the embedded store."""

    name: str
    store: EmbeddedStore
    id_index: bool = False
    shards: int = 1


BACKENDS = (
    Backend("postgresql + GIN _id index", "postgresql", id_index=True),
    Backend("postgresql as FerretDB makes it", "postgresql"),
    Backend("sqlite", "sqlite"),
    Backend("sqlite, 16 collections", "sqlite", shards=16),
    Backend("sqlite + _id index by hand", "sqlite", id_index=True),
)


@dataclass
class Running:
    """A started backend: FerretDB, its PostgreSQL if any, and the start-up time."""

    ferretdb: EmbeddedFerretDB
    postgres: EmbeddedPostgres | None
    workdir: Path
    startup_seconds: float


@contextlib.contextmanager
def serve(backend: Backend, *, serialize: bool = True) -> Iterator[Running]:
    """Start FerretDB (and PostgreSQL) in a fresh temporary directory."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-store-")))
        binary = ensure_ferretdb()
        started = time.monotonic()
        postgres = None
        if backend.store == "postgresql":
            postgres = stack.enter_context(
                run_postgres(workdir / "postgres", id_index=backend.id_index)
            )
        server = EmbeddedFerretDB(binary, workdir, free_port(), postgres=postgres)
        stack.callback(server.stop)
        # The wrapper reads this at start (infra/ferretdb/main.go).
        previous = os.environ.get("FERRETDB_SERIALIZE_WRITES")
        os.environ["FERRETDB_SERIALIZE_WRITES"] = "true" if serialize else "false"
        try:
            server.start()
        finally:
            if previous is None:
                del os.environ["FERRETDB_SERIALIZE_WRITES"]
            else:
                os.environ["FERRETDB_SERIALIZE_WRITES"] = previous
        yield Running(server, postgres, workdir, time.monotonic() - started)


def key(i: int) -> str:
    """Return the ``_id`` of the i-th seeded document."""
    return f"offer-{i:07d}"


def shard(backend: Backend, k: str) -> str:
    """Return the collection holding ``k``."""
    if backend.shards == 1:
        return "offers"
    return f"offers_{zlib.crc32(k.encode()) % backend.shards:02d}"


def document(k: str) -> Doc:
    """Return an aggregate shaped as ``MongoStore.commit`` writes it (~0.5 kB)."""
    fields = {"company_id": "acme", "title": f"Intern {k}", "skills": ["linux", "python"]}
    return {
        "_id": k,
        **fields,
        "state": {"offer": fields, "applications": []},
        "version": 1,
        "applied": [str(uuid.uuid4())],
        "outbox": [],
        "n": 0,
    }


async def seed(client: AsyncMongoClient[Doc], backend: Backend, start: int, stop: int) -> None:
    """Insert documents ``start`` .. ``stop - 1``, in batches."""
    for low in range(start, stop, 1000):
        batch: dict[str, list[Doc]] = {}
        for i in range(low, min(stop, low + 1000)):
            batch.setdefault(shard(backend, key(i)), []).append(document(key(i)))
        for name, docs in batch.items():
            await client[DB][name].insert_many(docs, ordered=False)


def add_sqlite_id_indexes(workdir: Path) -> None:
    """Index ``_ferretdb_sjson->'$._id'``, the expression FerretDB's SQL compares."""
    with contextlib.closing(sqlite3.connect(workdir / "data" / f"{DB}.sqlite")) as db:
        tables = [row[0] for row in db.execute("SELECT table_name FROM _ferretdb_collections")]
        for table in tables:
            db.execute(
                f'CREATE INDEX IF NOT EXISTS "bureau_id_{table}" '
                f"ON \"{table}\" (_ferretdb_sjson->'$._id')"
            )
        db.commit()


def query_plan(run: Running, backend: Backend) -> str:
    """Return the plan of the SELECT FerretDB sends for ``find({_id: k})``."""
    name = shard(backend, key(0))
    if run.postgres is None:
        with contextlib.closing(sqlite3.connect(run.workdir / "data" / f"{DB}.sqlite")) as db:
            table = db.execute(
                "SELECT table_name FROM _ferretdb_collections WHERE name = ?", (name,)
            ).fetchone()[0]
            # Table names come from FerretDB's own catalogue.
            sql = f"SELECT _ferretdb_sjson FROM \"{table}\" WHERE _ferretdb_sjson->'$._id' = ?"  # noqa: S608
            rows = db.execute(f"EXPLAIN QUERY PLAN {sql}", (f'"{key(0)}"',)).fetchall()
            return f"{sql}\n  -> " + "; ".join(str(r[-1]) for r in rows)
    table = run.postgres.ferretdb_table(DB, name)
    sql = f"SELECT _jsonb FROM {table} WHERE _jsonb->'_id' @> '\"{key(0)}\"'"  # noqa: S608
    plan = run.postgres.sql(f"EXPLAIN {sql}").strip().replace("\n", "\n  ")
    return f"{sql}\n  {plan}"


def server_cpu_seconds(run: Running) -> float:
    """Return the CPU time used so far by FerretDB and PostgreSQL (all their processes)."""
    groups = {run.ferretdb.process.proc.pid}
    if run.postgres is not None:
        groups.add(run.postgres.process.proc.pid)
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # Fields after the command name (which may hold spaces): state is field 3.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in groups:  # process group
                # utime + stime, and cutime + cstime: PostgreSQL's parallel workers and
                # closed backends are gone from /proc but their time is their parent's.
                ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cost:
    """The median wall time of one operation and the servers' mean CPU time per operation."""

    wall_ms: float
    cpu_ms: float

    def __str__(self) -> str:
        return f"{self.wall_ms:.1f} ({self.cpu_ms:.1f})"


async def measure_op(run: Running, samples: int, op: Callable[[int], Awaitable[object]]) -> Cost:
    """Run ``op(0..)`` one after the other; return its cost in milliseconds.

    Stops after ``samples`` runs, or after ``MIN_SAMPLES`` once ``BUDGET_S`` is spent
    (a scan of 50k documents on SQLite takes seconds).
    """
    times: list[float] = []
    cpu = server_cpu_seconds(run)
    began = time.perf_counter()
    for i in range(samples):
        if i >= MIN_SAMPLES and time.perf_counter() - began > BUDGET_S:
            break
        started = time.perf_counter()
        await op(i)
        times.append((time.perf_counter() - started) * 1000)
    cpu = server_cpu_seconds(run) - cpu
    return Cost(statistics.median(times), cpu * 1000 / len(times))


async def costs(
    run: Running, backend: Backend, sizes: list[int], samples: int
) -> dict[int, dict[str, Cost]]:
    """Return the median cost of each operation at each collection size."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(run.ferretdb.url)
    store = MongoStore(run.ferretdb.url, DB)
    rng = random.Random(7)
    table: dict[int, dict[str, Cost]] = {}
    seeded, fresh = 0, 10**6

    def coll(k: str) -> AsyncCollection[Doc]:
        return client[DB][shard(backend, k)]

    async def commit(k: str) -> None:
        name = shard(backend, k)
        previous = await store.load(name, k)
        assert previous is not None
        fields = {"company_id": "acme", "title": f"Intern {k}", "skills": ["linux"]}
        await store.commit(
            name,
            k,
            previous=previous,
            state={"offer": fields, "applications": []},
            fields=fields,
            seen={},
            outbox=[],
        )

    async def row(picks: list[str], new: list[str]) -> dict[str, Cost]:
        return {
            "find_one": await measure_op(
                run, samples, lambda i: coll(picks[i]).find_one({"_id": picks[i]})
            ),
            "update_one": await measure_op(
                run,
                samples,
                lambda i: coll(picks[i]).update_one({"_id": picks[i]}, {"$inc": {"n": 1}}),
            ),
            "replace_one": await measure_op(
                run,
                samples,
                lambda i: coll(picks[i]).replace_one({"_id": picks[i]}, document(picks[i])),
            ),
            "commit": await measure_op(run, samples, lambda i: commit(picks[i])),
            "insert_one": await measure_op(
                run, samples, lambda i: coll(new[i]).insert_one(document(new[i]))
            ),
        }

    try:
        for size in sizes:
            await seed(client, backend, seeded, size)
            seeded = size
            if backend.id_index and backend.store == "sqlite":
                add_sqlite_id_indexes(run.workdir)
            # Keys spread over the whole collection: a scan that stops at the first
            # match would look cheap for keys inserted early.
            picks = [key(i) for i in rng.sample(range(size), samples)]
            table[size] = await row(picks, [key(fresh + size + i) for i in range(samples)])
            print(f"  {size:>6} docs: " + "  ".join(f"{k} {v}" for k, v in table[size].items()))
    finally:
        await store.close()
        await client.close()
    return table


async def lost_increments(url: str, per_writer: int = 50) -> tuple[int, int]:
    """Return (increments sent, increments kept) for concurrent ``$inc`` on one document."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(url, maxPoolSize=WRITERS + 2)
    coll = client[DB][f"inc_{uuid.uuid4().hex[:8]}"]
    await coll.insert_one({"_id": "hot", "n": 0})

    async def writer() -> None:
        for _ in range(per_writer):
            await coll.update_one({"_id": "hot"}, {"$inc": {"n": 1}})

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    doc = await coll.find_one({"_id": "hot"})
    await client.close()
    assert doc is not None
    return WRITERS * per_writer, int(doc["n"])


async def double_winners(url: str, rounds: int = 30) -> tuple[int, int]:
    """Return (rounds, rounds where more than one version-checked update matched)."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(url, maxPoolSize=WRITERS + 2)
    coll = client[DB][f"cas_{uuid.uuid4().hex[:8]}"]
    await coll.insert_one({"_id": "hot", "version": 0})
    doubled = 0
    for version in range(rounds):

        async def contend(writer: int, version: int = version) -> int:
            result = await coll.update_one(
                {"_id": "hot", "version": version},
                {"$set": {"version": version + 1, "by": writer}},
            )
            return result.matched_count

        won = sum(await asyncio.gather(*(contend(w) for w in range(WRITERS))))
        doubled += won > 1
        # Rounds must start from the version they name, whoever won.
        await coll.update_one({"_id": "hot"}, {"$set": {"version": version + 1}})
    await client.close()
    return rounds, doubled


def measure(backend: Backend, sizes: list[int], samples: int) -> list[str]:
    """Print start-up, costs and the query plan of one backend; return its table rows."""
    print(f"\n## {backend.name}")
    with serve(backend) as run:
        print(f"  start-up (fresh): {run.startup_seconds:.2f} s")
        table = asyncio.run(costs(run, backend, sizes, samples))
        print("  plan of FerretDB's SELECT for {_id: k}:\n  " + query_plan(run, backend))
    return [
        f"| {backend.name} | {size:,} | " + " | ".join(str(c) for c in row.values()) + " |"
        for size, row in table.items()
    ] + [f"| {backend.name} | start-up | {run.startup_seconds:.2f} s | | | | |"]


def races(store: EmbeddedStore) -> None:
    """Print lost updates with and without the write-serialising proxy."""
    for serialize in (False, True):
        with serve(Backend(store, store, id_index=True), serialize=serialize) as run:
            sent, kept = asyncio.run(lost_increments(run.ferretdb.url))
            rounds, doubled = asyncio.run(double_winners(run.ferretdb.url))
        proxy = "with proxy" if serialize else "no proxy"
        print(
            f"  {store:<10} {proxy:<10}: {WRITERS} writers x $inc: {kept}/{sent} kept; "
            f"version-checked update, {WRITERS} contenders: {doubled}/{rounds} rounds "
            "with more than one winner"
        )


def main() -> None:
    """Run the benchmark; ``--help`` lists the options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--only", default=None, help="run backends whose name contains this")
    parser.add_argument("--no-races", action="store_true")
    args = parser.parse_args()
    # SIGTERM must unwind too, so the servers and their data are removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"FerretDB 1.24.2; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    rows = [
        line
        for backend in BACKENDS
        if args.only is None or args.only in backend.name
        for line in measure(backend, sizes, args.samples)
    ]
    print(f"\nms per operation: median wall time (servers' CPU time), {args.samples} samples\n")
    print("| backend | docs | find_one | update_one | replace_one | commit | insert_one |")
    print("| --- | --: | --: | --: | --: | --: | --: |")
    print("\n".join(rows))
    if not args.no_races:
        print("\n## concurrent writers to one document")
        for store in ("sqlite", "postgresql"):
            races(store)


if __name__ == "__main__":
    main()
