"""A short demo: partners publish offers and students; bureau projects and matches them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from bureau.app import create_app, until_signalled
from bureau.domain.book import Book
from bureau.domain.matching import suggest
from bureau.schemas import InternshipOffered, StudentRegistered
from bureau.service import offer_for_matching, student_for_matching
from bureau.settings import Settings
from bureau.topics import Topics

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

# (offer id, company, title, levels, skills, capacity)
OFFERS = [
    (
        "soc-analyst",
        "northsea-secure",
        "SOC analyst intern",
        ("mbo-4", "hbo"),
        ("linux", "siem", "networking"),
        2,
    ),
    (
        "pentest",
        "redteam-amsterdam",
        "Junior pentester",
        ("hbo", "wo"),
        ("python", "networking", "web"),
        1,
    ),
    (
        "cloud-ops",
        "canal-cloud",
        "Cloud operations intern",
        ("mbo-3", "mbo-4"),
        ("linux", "kubernetes"),
        3,
    ),
]
# (pseudonymous id, school, level, skills, consent)
STUDENTS = [
    ("st-7f3a", "roc-amsterdam", "mbo-4", ("linux", "networking"), True),
    ("st-91c2", "roc-amsterdam", "mbo-3", ("kubernetes",), True),
    ("st-2b8e", "hva", "hbo", ("python", "web"), True),
    ("st-c4d1", "hva", "hbo", ("siem",), True),
    ("st-e5f0", "uva", "wo", ("python", "networking"), True),
    ("st-0a9b", "roc-amsterdam", "mbo-4", ("linux",), False),
]


def _envelope(event_type: str, source: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": NOW.isoformat(),
        "source": source,
        "schema_version": 1,
        "data": data,
    }


def offer_events() -> list[dict[str, Any]]:
    """The demo's InternshipOffered events, as a company's system would send them."""
    return [
        _envelope(
            "InternshipOffered",
            company,
            {
                "offer_id": oid,
                "company_id": company,
                "title": title,
                "levels": list(levels),
                "skills": list(skills),
                "region": "1012",
                "capacity": capacity,
            },
        )
        for oid, company, title, levels, skills, capacity in OFFERS
    ]


def student_events() -> list[dict[str, Any]]:
    """The demo's StudentRegistered events, as a school's system would send them."""
    return [
        _envelope(
            "StudentRegistered",
            school,
            {
                "student_id": sid,
                "school_id": school,
                "level": level,
                "programme": "ICT",
                "skills": list(skills),
                "region": "1091",
                "age_band": "18+",
                "consent": consent,
            },
        )
        for sid, school, level, skills, consent in STUDENTS
    ]


def expected_pairs() -> set[tuple[str, str]]:
    """The (offer, student) pairs the matching rule must suggest for the demo data."""
    offers = [InternshipOffered.model_validate(e).data for e in offer_events()]
    students = [StudentRegistered.model_validate(e).data for e in student_events()]
    return {
        (o.offer_id, s.student_id)
        for o in offers
        for s in students
        if suggest(offer_for_matching(Book(offer=o)), student_for_matching(s)) is not None
    }


async def _send(bootstrap: str, topic: str, key: bytes, event: dict[str, Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(event).encode(), key=key)
    finally:
        await producer.stop()


async def _publish(bootstrap: str, topics: Topics) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in student_events():
            key = event["data"]["student_id"].encode()
            await producer.send_and_wait(topics.students, json.dumps(event).encode(), key=key)
        for event in offer_events():
            key = event["data"]["offer_id"].encode()
            await producer.send_and_wait(topics.offers, json.dumps(event).encode(), key=key)
    finally:
        await producer.stop()


async def _collect(
    bootstrap: str, topic: str, ident: Callable[[dict[str, Any]], Any], want: int, patience: float
) -> list[dict[str, Any]]:
    """Read ``topic`` from the start until ``want`` distinct events (by ``ident``) arrived."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: dict[Any, dict[str, Any]] = {}
    deadline = time.monotonic() + patience
    try:
        while len(found) < want and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = json.loads(record.value)
                    found[ident(event)] = event
    finally:
        await consumer.stop()
    if len(found) < want:
        raise TimeoutError(f"saw {len(found)} of {want} events on {topic} after {patience:.0f}s")
    return list(found.values())


# The school applies for one student; the company takes the application to a placement.
LIFECYCLE = [
    ("ApplicationSubmitted", "roc-amsterdam"),
    ("CandidateShortlisted", "northsea-secure"),
    ("PlacementOffered", "northsea-secure"),
    ("PlacementAccepted", "roc-amsterdam"),
    ("PlacementConfirmed", "northsea-secure"),
]


def lifecycle_events() -> list[dict[str, Any]]:
    """One application, from submission to a confirmed placement."""
    ref = {"application_id": "app-st-7f3a", "offer_id": "soc-analyst", "student_id": "st-7f3a"}
    dates = {"start": "2027-02-01", "end": "2027-06-30"}
    return [
        _envelope(kind, source, {**ref, **(dates if kind == "PlacementConfirmed" else {})})
        for kind, source in LIFECYCLE
    ]


async def _show_projections(settings: Settings) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        db = client[settings.mongo_db]
        offers = await db["offers"].find().sort("_id").to_list()
        students = await db["students"].count_documents({})
        print(f"\nProjection 'offers' ({len(offers)}), 'students' ({students}):")
        for doc in offers:
            print(f"  {doc['_id']:<12} {doc['title']:<26} levels={','.join(doc['levels'])}")
    finally:
        await client.close()


async def run_demo(settings: Settings, *, keep_running: bool) -> None:
    """Run the worker, publish the demo events, show the projections and suggestions."""
    topics = Topics.from_settings(settings)
    print("• Starting the bureau worker…", flush=True)
    async with create_app(settings):
        print(f"• Publishing {len(OFFERS)} offers and {len(STUDENTS)} students…", flush=True)
        started = time.monotonic()
        await _publish(settings.kafka_bootstrap, topics)
        pairs = expected_pairs()
        matches = await _collect(
            settings.kafka_bootstrap,
            topics.matches,
            lambda e: (e["data"]["offer_id"], e["data"]["student_id"]),
            len(pairs),
            patience=60,
        )
        matches.sort(key=lambda e: (e["data"]["offer_id"], -e["data"]["score"]))
        took = time.monotonic() - started
        await _show_projections(settings)
        print(f"\nMatchSuggested on {topics.matches} ({len(matches)}, in {took:.1f} s):")
        for event in matches:
            d = event["data"]
            print(
                f"  {d['offer_id']:<12} → {d['student_id']} ({d['school_id']:<13}) "
                f"score {d['score']:.2f}  {'; '.join(d['reasons'])}"
            )
        school_topic = topics.outcomes("roc-amsterdam")
        print("\n• roc-amsterdam applies for st-7f3a; northsea-secure places them…", flush=True)
        for event in lifecycle_events():
            await _send(settings.kafka_bootstrap, topics.applications, b"soc-analyst", event)
        outcomes = await _collect(
            settings.kafka_bootstrap, school_topic, lambda e: e["event_id"], len(LIFECYCLE), 60
        )
        print(f"PlacementOutcome on {school_topic} (only this school's students):")
        for event in outcomes:
            d = event["data"]
            print(f"  {d['student_id']} {d['offer_id']:<12} {d['company_id']:<16} {d['status']}")
        print("\nDemo complete: every expected suggestion and outcome arrived.", flush=True)
        if keep_running:
            print(
                f"The exchange keeps running on {settings.kafka_bootstrap}; "
                "press Ctrl-C to stop it.",
                flush=True,
            )
            await until_signalled()
