"""The open statistics feed is in the AsyncAPI document, compacted, with its record's schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from bureau.asyncapi import document
from bureau.domain.statistics import Row
from bureau.schemas.statistics import StatisticsRow
from bureau.topics import Topics
from bureau.web.feed import publish_statistics

ROWS = [
    Row(dimension="theme", value="cloud", places_offered=8, places_filled=3, placement_rate=0.375),
    Row(dimension="school", value="tiny", students=3, students_placed=1, placement_rate=0.3333),
    Row(dimension="level", value="hbo", students=40, students_placed=20, placement_rate=0.5),
]


async def _published() -> dict[str, Any]:
    sent: dict[str, Any] = {}

    async def publish(topic: str, key: bytes, value: bytes | None) -> None:
        sent[key.decode()] = json.loads(value or b"null")

    await publish_statistics(publish, Topics(), ROWS)
    return sent


def test_the_statistics_channel_is_in_the_document_and_compacted() -> None:
    doc = document()
    channel = doc["channels"]["statistics"]
    assert channel["address"] == Topics().statistics == "bureau.statistics.v1"
    kafka = channel["bindings"]["kafka"]
    assert kafka["topicConfiguration"]["cleanup.policy"] == ["compact"]
    assert channel["messages"] == {"StatisticsRow": {"$ref": "#/components/messages/StatisticsRow"}}
    assert doc["operations"]["send_statistics"]["action"] == "send"
    message = doc["components"]["messages"]["StatisticsRow"]
    assert message["payload"] == {"$ref": "#/components/schemas/StatisticsRow"}


def test_only_compacted_topics_carry_the_compaction_binding() -> None:
    channels = document()["channels"]
    assert "bindings" not in channels["offers"]
    assert "bindings" in channels["students"]


async def test_every_published_record_has_exactly_the_documented_fields() -> None:
    schema = document()["components"]["schemas"]["StatisticsRow"]
    assert {"schema", "dimension", "value"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    for key, record in (await _published()).items():
        assert set(record) == set(schema["properties"]), key
        assert StatisticsRow.model_validate(record).wire() == record


@pytest.mark.parametrize(
    "change",
    [{"dimension": "gender"}, {"placement_rate": 1.5}, {"suppressed": ["students"]}, {"x": 1}],
)
def test_the_record_schema_refuses_what_the_feed_never_sends(change: dict[str, Any]) -> None:
    """Control rows: the schema is not a shrug."""
    record = {"schema": "bureau.statistics/1", "dimension": "level", "value": "hbo", **change}
    with pytest.raises(ValidationError):
        StatisticsRow.model_validate(record)
