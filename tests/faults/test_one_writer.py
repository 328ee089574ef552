"""8. One writer per document: FerretDB 1.x updates are read-modify-write.

Against FerretDB *without* the write-serialising proxy (``infra/ferretdb/main.go``):
concurrent writers to one document lose updates, while bureau's partitioning (a key's
events on one partition, a partition on one consumer) leaves each document a single
writer and loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from bureau.embedded.ferretdb import EmbeddedFerretDB, run_ferretdb
from tests.faults import workload
from tests.faults.audit import Row, Table, Verdict, audit
from tests.faults.harness import FaultEnv, drive

Doc = dict[str, Any]


@pytest.fixture
def unserialised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedFerretDB]:
    # The wrapper reads its default from the environment at start.
    monkeypatch.setenv("FERRETDB_SERIALIZE_WRITES", "false")
    with run_ferretdb(tmp_path / "ferretdb-raw") as server:
        yield server


async def _apply(client: AsyncMongoClient[Doc], db: str, key: str, event_id: str) -> None:
    # bureau's idempotent update: "not applied yet" in the filter, the id in the update.
    with contextlib.suppress(DuplicateKeyError):  # already applied
        await client[db]["docs"].update_one(
            {"_id": key, "applied": {"$ne": event_id}},
            {"$set": {"last": event_id}, "$push": {"applied": event_id}},
            upsert=True,
        )


async def test_concurrent_writers_to_one_document_lose_updates_on_raw_ferretdb(
    unserialised: EmbeddedFerretDB, fault_table: Table
) -> None:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(unserialised.url)
    db = f"w_{uuid.uuid4().hex[:8]}"
    writers, updates, keys = 6, 60, ["offer-a", "offer-b"]

    async def writer(w: int) -> None:
        for i in range(updates):
            for key in keys:
                await _apply(client, db, key, f"{key}/{w}/{i}")

    await asyncio.gather(*(writer(w) for w in range(writers)))
    kept = sum([len(doc["applied"]) async for doc in client[db]["docs"].find()])
    await client.close()
    sent = writers * updates * len(keys)
    fault_table.add(
        Row(
            number="8c",
            scenario="control: 6 concurrent writers per document, FerretDB without the proxy",
            verdict=Verdict(sent=sent, applied=kept, lost_events=sent - kept),
            notes=("control row: several writers per document, lost updates are expected",),
        )
    )
    assert kept < sent, "no update was lost: FerretDB no longer read-modify-writes?"


async def test_bureaus_partitioning_loses_no_update_on_raw_ferretdb(
    env: FaultEnv, unserialised: EmbeddedFerretDB, fault_table: Table
) -> None:
    env.settings = env.settings.model_copy(update={"mongo_url": unserialised.url})
    messages = workload.exchange(workload.Shape(resends=5, students_per_cluster=6))
    # Three workers, six partitions, many events per document; the stream starts once the
    # group is settled (a rebalance hands partitions over: see docs/faults.md).
    run = await drive(env, messages, workers=3, settled=True)
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    fault_table.add(
        Row(
            number="8",
            scenario="one writer per document: 3 workers on FerretDB without the proxy",
            verdict=verdict,
            notes=("6 events per aggregate, applied by the one consumer of its partition",),
        )
    )
    assert not verdict.broken(), verdict.summary()
