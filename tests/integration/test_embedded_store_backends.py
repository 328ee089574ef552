"""Both embedded backends pass the store contract; on PostgreSQL, lookups by _id use an index."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from bureau.adapters.mongo import MongoStore
from bureau.embedded.ferretdb import EmbeddedFerretDB, run_ferretdb
from tests.support.store_contract import StoreContract

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def ferretdb_on_postgresql() -> Iterator[EmbeddedFerretDB]:
    with run_ferretdb(store="postgresql") as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ferretdb(request: pytest.FixtureRequest) -> Iterator[EmbeddedFerretDB]:
    if request.param == "postgresql":
        yield request.getfixturevalue("ferretdb_on_postgresql")
        return
    with run_ferretdb(store="sqlite") as server:
        yield server


class TestMongoStoreOnEmbeddedFerretDB(StoreContract):
    @pytest.fixture
    async def store(self, ferretdb: EmbeddedFerretDB) -> AsyncIterator[MongoStore]:
        name = f"t_{uuid.uuid4().hex[:10]}"
        store = MongoStore(ferretdb.url, name)
        await store.ensure_indexes()
        yield store
        await store.close()


def test_the_cluster_is_stopped_and_nothing_is_left_outside_the_workdir(tmp_path: Path) -> None:
    with run_ferretdb(tmp_path, store="postgresql") as server:
        postgres = server.postgres
        assert postgres is not None
        assert postgres.running()
        # As root the cluster's data is owned by an unprivileged user outside the workdir.
        data = (tmp_path / "postgres" / "pgdata").resolve()
        assert (data / "PG_VERSION").is_file()
    assert not postgres.running()
    assert data.is_relative_to(tmp_path) or not data.exists()


async def test_lookups_by_id_use_an_index(ferretdb_on_postgresql: EmbeddedFerretDB) -> None:
    """FerretDB filters with ``@>``, which only the GIN index the cluster adds can serve."""
    postgres = ferretdb_on_postgresql.postgres
    assert postgres is not None
    client: AsyncMongoClient[Doc] = AsyncMongoClient(ferretdb_on_postgresql.url)
    db = f"t_{uuid.uuid4().hex[:10]}"
    await client[db].offers.insert_many([{"_id": f"o{i}", "n": i} for i in range(2000)])
    await client.close()
    table = postgres.ferretdb_table(db, "offers")
    # The statement FerretDB 1.24 sends for find/update with {_id: "o7"}.
    plan = postgres.sql(f"EXPLAIN SELECT _jsonb FROM {table} WHERE _jsonb->'_id' @> '\"o7\"'")
    assert "Index Scan" in plan, plan
    assert "Seq Scan" not in plan, plan
