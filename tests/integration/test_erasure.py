"""Right to erasure: the projection forgets, and the log gets a tombstone it compacts by."""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from pymongo import AsyncMongoClient

from bureau.app import create_app
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Purpose, Topics
from tests.support import events
from tests.support.kafka import as_json, produce, read_all, wait_consumed


async def _students(settings: Settings) -> dict[str, dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        docs = await client[settings.mongo_db]["students"].find().to_list()
        return {d["_id"]: d for d in docs}
    finally:
        await client.close()


async def _cleanup_policy(settings: Settings, topic: str) -> str:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **aiokafka_security(settings)
    )
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = {e[0]: e[1] for e in response.resources[0][4]}
        return str(entries["cleanup.policy"])
    finally:
        await admin.close()


async def test_an_erased_student_leaves_no_profile_and_a_tombstone_in_the_log(
    settings: Settings,
) -> None:
    topics = Topics.from_settings(settings)
    registered = [
        events.student("s-keep"),
        events.student("s-gone", gender="female", skills=("linux", "python")),
    ]
    async with create_app(settings):
        await produce(settings.kafka_bootstrap, topics.students, as_json(registered, "student_id"))
        await produce(
            settings.kafka_bootstrap,
            topics.students,
            as_json([events.erasure("s-gone")], "student_id"),
        )
        await wait_consumed(
            settings.kafka_bootstrap, topics.group(Purpose.STUDENTS), topics.students
        )

    students = await _students(settings)
    assert students["s-keep"]["level"] == "mbo-4"
    gone = students["s-gone"]
    assert gone["erased"] is True
    assert gone["state"] == {"school_id": "roc-amsterdam", "erased": True}
    for personal in ("level", "skills", "region", "gender", "levels_seen", "themes"):
        assert personal not in gone
        assert personal not in gone["state"]

    records = await read_all(settings.kafka_bootstrap, topics.students)
    assert [r.value for r in records if r.key == b"s-gone"][-1] is None, "a tombstone comes last"
    assert await _cleanup_policy(settings, topics.students) == "compact"
