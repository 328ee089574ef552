"""Attacks as a rogue or curious partner would run them, each returning what happened."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError as AioKafkaError
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

SUCCEEDED = "succeeded"


def rdkafka(bootstrap: str, security: dict[str, Any]) -> dict[str, Any]:
    """Translate aiokafka security kwargs into a librdkafka config (the attacker's tool)."""
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "log_level": 0}
    if security:
        config |= {
            "security.protocol": security["security_protocol"],
            "sasl.mechanism": security["sasl_mechanism"],
            "sasl.username": security["sasl_plain_username"],
            "sasl.password": security["sasl_plain_password"],
        }
    return config


async def produce(bootstrap: str, security: dict[str, Any], topic: str) -> str:
    """Write one record; return ``succeeded`` or the refusal's exception name."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, request_timeout_ms=15000, acks="all", **security
    )
    try:
        await producer.start()
        try:
            await asyncio.wait_for(producer.send_and_wait(topic, b"x", key=b"k"), 30)
        finally:
            await producer.stop()
    except AioKafkaError as exc:
        return type(exc).__name__
    return SUCCEEDED


def read(bootstrap: str, security: dict[str, Any], topic: str, group: str | None = None) -> str:
    """Read ``topic`` from the start; return ``read N records`` or the refusal's error name."""
    consumer = Consumer(
        rdkafka(bootstrap, security)
        | {
            # librdkafka asks the group for offsets even when assigned: the reader's own.
            "group.id": group or f"{security.get('sasl_plain_username', 'anyone')}.reader",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=15)
        error = meta.topics[topic].error
        if error is not None:
            return str(error.name())
        if group is None:
            consumer.assign([TopicPartition(topic, 0, 0)])
        else:
            consumer.subscribe([topic])
        message = consumer.poll(timeout=15)
        if message is None:
            return "read 0 records"
        error = message.error()
        if error is not None:
            return str(error.name())
        return "read 1+ records"
    except KafkaException as exc:
        return str(exc.args[0].name())
    finally:
        consumer.close()


def create_topic(bootstrap: str, security: dict[str, Any], name: str) -> str:
    """Create a topic; ``succeeded`` or the refusal's error name."""
    admin = AdminClient(rdkafka(bootstrap, security))
    try:
        for future in admin.create_topics([NewTopic(name, 1, 1)]).values():
            future.result(timeout=30)
    except KafkaException as exc:
        return str(exc.args[0].name())
    return SUCCEEDED


def delete_topic(bootstrap: str, security: dict[str, Any], name: str) -> str:
    """Delete a topic; ``succeeded`` or the refusal's error name."""
    admin = AdminClient(rdkafka(bootstrap, security))
    try:
        for future in admin.delete_topics([name]).values():
            future.result(timeout=30)
    except KafkaException as exc:
        return str(exc.args[0].name())
    return SUCCEEDED


class SaslLog(logging.Handler):
    """Collects aiokafka's log lines, which name the SASL failure its exception hides."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
