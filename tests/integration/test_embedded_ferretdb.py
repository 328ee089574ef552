"""The embedded FerretDB, on either backend, speaks all bureau needs from PyMongo's async API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, MongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bureau.embedded.ferretdb import EmbeddedFerretDB, run_ferretdb
from bureau.settings import EmbeddedStore

pytestmark = pytest.mark.integration

Doc = dict[str, Any]


STORES: list[EmbeddedStore] = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", params=STORES)
def ferretdb(request: pytest.FixtureRequest) -> Iterator[EmbeddedFerretDB]:
    with run_ferretdb(store=request.param) as server:
        yield server


@pytest.fixture
async def client(ferretdb: EmbeddedFerretDB) -> AsyncIterator[AsyncMongoClient[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(ferretdb.url, serverSelectionTimeoutMS=5000)
    yield client
    await client.close()


@pytest.fixture
async def db(client: AsyncMongoClient[Doc]) -> AsyncIterator[AsyncDatabase[Doc]]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield client[name]
    await client.drop_database(name)


async def test_unique_index_rejects_duplicates(db: AsyncDatabase[Doc]) -> None:
    await db.c.create_index("email", unique=True)
    await db.c.insert_one({"email": "a@example.org"})
    with pytest.raises(DuplicateKeyError) as err:
        await db.c.insert_one({"email": "a@example.org"})
    assert err.value.code == 11000
    await db.c.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        await db.c.insert_one({"_id": 1})


async def test_upsert_with_update_operators(db: AsyncDatabase[Doc]) -> None:
    update = {
        "$setOnInsert": {"created": 1},
        "$set": {"name": "x"},
        "$inc": {"n": 1},
        "$addToSet": {"tags": "a"},
    }
    first = await db.c.update_one({"_id": "k"}, update, upsert=True)
    assert first.upserted_id == "k"
    update["$setOnInsert"] = {"created": 2}
    update["$addToSet"] = {"tags": {"$each": ["a", "b"]}}
    second = await db.c.update_one({"_id": "k"}, update, upsert=True)
    assert (second.matched_count, second.upserted_id) == (1, None)
    assert await db.c.find_one({"_id": "k"}) == {
        "_id": "k",
        "created": 1,
        "name": "x",
        "n": 2,
        "tags": ["a", "b"],
    }


async def test_applied_event_guard(db: AsyncDatabase[Doc]) -> None:
    """The store's idempotency idiom: a replayed event collides on ``_id``."""

    async def apply(event: str, value: int) -> bool:
        try:
            await db.c.update_one(
                {"_id": "o1", "applied": {"$ne": event}},
                {"$set": {"v": value}, "$addToSet": {"applied": event}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    assert await apply("e1", 1)
    assert not await apply("e1", 99)
    assert await apply("e2", 2)
    assert await db.c.find_one({"_id": "o1"}) == {"_id": "o1", "v": 2, "applied": ["e1", "e2"]}


async def test_find_one_and_update_returns_the_new_document(db: AsyncDatabase[Doc]) -> None:
    await db.c.insert_one({"_id": 1, "n": 0})
    doc = await db.c.find_one_and_update(
        {"_id": 1}, {"$inc": {"n": 5}}, return_document=ReturnDocument.AFTER
    )
    assert doc == {"_id": 1, "n": 5}
    made = await db.c.find_one_and_update(
        {"_id": 2}, {"$set": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert made == {"_id": 2, "n": 1}


async def test_bulk_write_of_upserts(db: AsyncDatabase[Doc]) -> None:
    await db.c.insert_one({"_id": "a", "kept": True})
    ops = [UpdateOne({"_id": i}, {"$setOnInsert": {"_id": i}}, upsert=True) for i in "abc"]
    result = await db.c.bulk_write(ops, ordered=False)
    assert (result.matched_count, result.upserted_count) == (1, 2)
    assert await db.c.count_documents({}) == 3
    assert await db.c.count_documents({"kept": True}) == 1


async def test_sorted_limited_find_and_count_on_indexes(db: AsyncDatabase[Doc]) -> None:
    await db.c.create_index("score")
    await db.c.create_index([("level", ASCENDING), ("skills", ASCENDING)])
    await db.c.insert_many(
        [
            {"_id": i, "score": i % 7, "level": i % 3, "skills": [f"s{i % 4}", "py"]}
            for i in range(50)
        ]
    )
    top = (
        await db.c.find({}, {"score": 1})
        .sort([("score", DESCENDING), ("_id", ASCENDING)])
        .limit(3)
        .to_list()
    )
    assert top == [{"_id": 6, "score": 6}, {"_id": 13, "score": 6}, {"_id": 20, "score": 6}]
    query = {"level": {"$in": [1, 2]}, "skills": {"$in": ["s1"]}}
    assert await db.c.count_documents(query) == len(
        [i for i in range(50) if i % 3 in (1, 2) and i % 4 == 1]
    )
    names = {ix["name"] async for ix in await db.c.list_indexes()}
    assert names == {"_id_", "score_1", "level_1_skills_1"}


async def test_drop_database(client: AsyncMongoClient[Doc]) -> None:
    name = f"t_{uuid.uuid4().hex[:10]}"
    await client[name].c.insert_one({"x": 1})
    assert name in await client.list_database_names()
    await client.drop_database(name)
    assert name not in await client.list_database_names()


async def test_concurrent_writes_to_one_document_do_not_lose_updates(
    db: AsyncDatabase[Doc],
) -> None:
    """FerretDB 1.x alone loses these; the wrapper's write serialisation must not."""
    await db.c.insert_one({"_id": 1, "n": 0, "tags": []})

    async def bump(who: str) -> None:
        for i in range(100):
            await db.c.update_one(
                {"_id": 1}, {"$inc": {"n": 1}, "$addToSet": {"tags": f"{who}{i}"}}
            )

    await asyncio.gather(*(bump(w) for w in "abcd"))
    doc = await db.c.find_one({"_id": 1})
    assert doc is not None
    assert (doc["n"], len(doc["tags"])) == (400, 400)


@pytest.mark.parametrize("store", STORES)
async def test_without_the_proxy_concurrent_writes_lose_updates(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: neither backend makes FerretDB's read-modify-write atomic; the proxy must stay."""
    monkeypatch.setenv("FERRETDB_SERIALIZE_WRITES", "false")  # read by the wrapper at start
    with run_ferretdb(tmp_path, store=store) as server:
        client: AsyncMongoClient[Doc] = AsyncMongoClient(server.url, maxPoolSize=10)
        coll = client.t.c
        await coll.insert_one({"_id": 1, "n": 0})

        async def bump() -> None:
            for _ in range(100):
                await coll.update_one({"_id": 1}, {"$inc": {"n": 1}})

        await asyncio.gather(*(bump() for _ in range(8)))
        doc = await coll.find_one({"_id": 1})
        await client.close()
    assert doc is not None
    assert doc["n"] < 800, "no increment was lost: did FerretDB make updates atomic?"


@pytest.mark.parametrize("store", STORES)
def test_restart_and_kill_keep_port_and_data(store: EmbeddedStore) -> None:
    with run_ferretdb(store=store) as server:
        client: MongoClient[Doc] = MongoClient(server.url, serverSelectionTimeoutMS=5000)
        client.t.c.insert_one({"_id": 1})
        server.kill()
        assert not server.running()
        server.start()
        server.restart()
        assert client.t.c.find_one({"_id": 1}) == {"_id": 1}
        client.close()
