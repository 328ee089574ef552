"""Privacy on real servers: the key store, the students topic's configs, the proof's scanner."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bureau.adapters.kafka import PARTY_TOPIC_LAYOUT, TopicMaker, ensure_topics
from bureau.adapters.mongo import MongoStore
from bureau.privacy.crypto import seal
from bureau.privacy.export import ExportRefusedError, export_from_settings
from bureau.privacy.fields import seal_personal
from bureau.privacy.keys import KeyShreddedError, MongoKeyStore
from bureau.privacy.topics import (
    config_drift,
    describe,
    party_topic_made_with,
    report_drift,
    retention_configs,
    students_topic_config,
)
from bureau.settings import Settings
from bureau.topics import Topics, dlq
from tests.support import events
from tests.support.erasure_proof import Finding, erasure_proof
from tests.support.kafka import admin_security, eventually, produce, read_all


async def send_unsigned(bootstrap: str, topic: str, key: bytes, value: bytes | None = None) -> None:
    """Send a record with no value (what erasure writes on the students topic), or ``value``.

    Unsigned: these tests read topics, no worker applies what they write.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **admin_security())
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    yield client[settings.mongo_db]
    await client.close()


async def test_two_workers_creating_a_key_at_once_agree_and_erasure_is_final(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    a, b = MongoKeyStore(db), MongoKeyStore(db)
    first, second = await asyncio.gather(a.get_or_create("st-1"), b.get_or_create("st-1"))
    assert first == second
    assert await b.get("st-1") == first
    assert await b.get_many(["st-1", "st-2"]) == {"st-1": first}
    await a.delete("st-1")
    assert await b.get("st-1") is None
    with pytest.raises(KeyShreddedError):
        await b.get_or_create("st-1")
    assert await a.all_keys() == []
    assert await a.erased() == {"st-1"}


class _Raced:
    """The keys collection, where another worker makes ``keys`` just before our insert."""

    def __init__(self, real: Any, other: MongoKeyStore, keys: list[str]) -> None:
        self.real, self.other, self.keys = real, other, keys

    async def find_one(self, query: dict[str, Any]) -> Any:
        return await self.real.find_one(query)

    async def insert_many(self, docs: list[dict[str, Any]], **kwargs: Any) -> Any:
        for student in self.keys:
            await self.other.get_or_create(student)
        return await self.real.insert_many(docs, **kwargs)


@pytest.mark.parametrize("case", ["new", "raced", "known"])
async def test_a_batch_of_keys_is_made_at_once_and_every_key_handed_out_is_the_stored_one(
    db: AsyncDatabase[dict[str, Any]], case: str
) -> None:
    """Keys another worker made first win; a shredded student's is not made again."""
    ours, other = MongoKeyStore(db), MongoKeyStore(db)
    old = await ours.get_or_create("st-0")
    await ours.get_or_create("st-gone")
    await ours.delete("st-gone")
    new = [f"st-{i}" for i in range(1, 20)]
    wanted = [*new, "st-0", "st-gone"] if case == "known" else new
    if case == "raced":
        ours._keys = _Raced(ours._keys, other, ["st-3", "st-4"])  # type: ignore[assignment]
    handed = await ours.get_or_create_many(wanted)
    for student, key in handed.items():
        assert await other.get(student) == key, student
    assert "st-gone" not in handed
    if case == "known":
        assert handed["st-0"] == old
    # Whatever the insert left (a store that stops at the first clash) is made on demand.
    for student in set(wanted) - set(handed) - {"st-gone"}:
        assert await other.get_or_create(student) == await ours.get(student)
    assert set(await other.get_many(wanted)) == set(wanted) - {"st-gone"}
    with pytest.raises(KeyShreddedError):
        await other.get_or_create("st-gone")


async def test_the_students_topic_is_created_compacting_and_an_old_one_is_reported(
    settings: Settings,
) -> None:
    topics = Topics.from_settings(settings)
    wanted = retention_configs(settings)
    await ensure_topics(settings.kafka_bootstrap, list(wanted), 1, wanted, **admin_security())
    assert await config_drift(settings.kafka_bootstrap, wanted, **admin_security()) == []

    old = Settings(topic_prefix=settings.topic_prefix + "old.")
    old_students = Topics.from_settings(old).students
    await ensure_topics(
        settings.kafka_bootstrap,
        [old_students],
        1,
        {old_students: {"cleanup.policy": "compact"}},
        **admin_security(),
    )
    drifted = await config_drift(
        settings.kafka_bootstrap,
        {old_students: wanted[topics.students]},
        **admin_security(),
    )
    with structlog.testing.capture_logs() as logs:
        assert await report_drift(settings) == []
    assert not [e for e in logs if e["event"] == "topic_config_drift"]
    # delete.retention.ms is not among them: Kafka's default is the day we want
    assert {d.name for d in drifted} == {
        "segment.ms",
        "min.cleanable.dirty.ratio",
        "max.compaction.lag.ms",
    }


async def test_the_proof_reads_every_topic_and_collection_and_opens_live_tokens_only(
    settings: Settings, db: AsyncDatabase[dict[str, Any]]
) -> None:
    keys = MongoKeyStore(db)
    key = await keys.get_or_create("st-1")
    topic = Topics.from_settings(settings).students
    sealed = json.dumps({"sealed": seal(key, {"skills": ["quokka-forensics"]})}).encode()
    # A secured broker creates no topic on first use.
    await ensure_topics(settings.kafka_bootstrap, [topic, dlq(topic)], 1, **admin_security())
    await produce(settings.kafka_bootstrap, topic, [(b"st-1", sealed)])
    await produce(settings.kafka_bootstrap, dlq(topic), [(b"st-1", b'{"r": "zeppelin-xq"}')])
    await db["views"].insert_one({"_id": "v", "sealed": seal(key, "hums-while-soldering")})
    needles = ["quokka-forensics", "zeppelin-xq", "hums-while-soldering"]

    async def proof() -> list[Finding]:
        return await erasure_proof(
            bootstrap=settings.kafka_bootstrap,
            prefix=settings.topic_prefix,
            db=db,
            keystore=keys,
            needles=needles,
        )

    before = await proof()
    assert {(f.where.split("/")[0], f.value, f.sealed) for f in before} == {
        (topic, "quokka-forensics", True),
        (dlq(topic), "zeppelin-xq", False),
        ("views", "hums-while-soldering", True),
    }
    await keys.delete("st-1")
    after = await proof()
    assert [f.value for f in after] == ["zeppelin-xq"], "plaintext is still found: the control"


async def test_the_export_command_reads_the_store_and_opens_the_students_tokens(
    settings: Settings, mongo_store: MongoStore, db: AsyncDatabase[dict[str, Any]]
) -> None:
    keys = MongoKeyStore(db)
    profile = events.student("st-1", skills=("quokka-forensics",))["data"]
    await mongo_store.commit(
        "students",
        "st-1",
        previous=None,
        state={"profile": profile, "levels_seen": ["mbo-4"]},
        fields={"school_id": "roc-amsterdam", "erased": False},
        seen={},
        outbox=[],
    )
    view = {"student_id": "st-1", "status": "completed", "history": ["hums-while-soldering"]}
    await mongo_store.put_view(
        "applications", "app-1", await seal_personal(view, keys, kind="applications")
    )
    exported = await export_from_settings(settings, "st-1", "roc-amsterdam")
    assert "quokka-forensics" in exported
    assert "hums-while-soldering" in exported
    with pytest.raises(ExportRefusedError):
        await export_from_settings(settings, "st-1", "another-school")


async def test_an_erased_profile_leaves_the_compacted_log_and_not_the_old_config(
    settings: Settings,
) -> None:
    """The lag bound and segment roll make the cleaner reach the erased profile.

    The durations are shrunk (ms, not hours) so the broker's cleaner, which wakes
    every 15 s, acts within the test; the keys are the ones bureau sets. Control:
    the same records on a topic with only ``cleanup.policy=compact`` (bureau's old
    config) keep the profile, because its segment is never rolled.
    """
    bound = students_topic_config(settings) | {
        "segment.ms": "200",
        "max.compaction.lag.ms": "1000",
        "delete.retention.ms": "1000",
    }
    fast, old = f"{settings.topic_prefix}fast.students", f"{settings.topic_prefix}old.students"
    await ensure_topics(
        settings.kafka_bootstrap,
        [fast, old],
        1,
        {fast: bound, old: {"cleanup.policy": "compact"}},
        **admin_security(),
    )
    profile = json.dumps(events.student("s-gone", skills=("quokka-forensics",))).encode()
    for topic in (fast, old):
        await send_unsigned(settings.kafka_bootstrap, topic, b"s-gone", profile)
        await send_unsigned(settings.kafka_bootstrap, topic, b"s-gone")

    async def profile_gone() -> bool:
        # appending rolls a segment older than segment.ms: the cleaner may then take it
        for topic in (fast, old):
            await send_unsigned(settings.kafka_bootstrap, topic, b"filler", b"{}")
        records = await read_all(settings.kafka_bootstrap, fast)
        return not any(r.key == b"s-gone" and r.value for r in records)

    await eventually(profile_gone, within=180, what="the erased profile compacted away")
    kept = await read_all(settings.kafka_bootstrap, old)
    assert any(r.key == b"s-gone" and r.value == profile for r in kept), "control"


async def test_a_schools_outcome_topic_gets_its_retention_and_a_drifted_one_is_reported(
    settings: Settings,
) -> None:
    topics = Topics.from_settings(settings)
    wanted = retention_configs(settings)
    await ensure_topics(settings.kafka_bootstrap, list(wanted), 1, wanted, **admin_security())
    made = TopicMaker(
        settings.kafka_bootstrap,
        config_of=lambda t: party_topic_made_with(settings, t),
        client=admin_security(),
    )
    await made(topics.outcomes("roc-amsterdam"))
    # control: made before outcome topics had a retention of their own
    await ensure_topics(
        settings.kafka_bootstrap, [topics.outcomes("roc-old")], 1, **admin_security()
    )
    with structlog.testing.capture_logs() as logs:
        drifted = await report_drift(settings)
    assert {(d.topic, d.name) for d in drifted} == {(topics.outcomes("roc-old"), "retention.ms")}
    assert [e["topic"] for e in logs if e["event"] == "topic_config_drift"] == [
        topics.outcomes("roc-old")
    ]
    # The small topic's layout too; the control, made without it, has Kafka's default.
    described = await describe(
        settings.kafka_bootstrap,
        [topics.outcomes("roc-amsterdam"), topics.outcomes("roc-old")],
        **admin_security(),
    )
    layouts = [{k: (c or {}).get(k) for k in PARTY_TOPIC_LAYOUT} for c in described.values()]
    assert layouts[0] == PARTY_TOPIC_LAYOUT
    assert layouts[1] != PARTY_TOPIC_LAYOUT
