"""One exchange run as the outside world sees it: partners publishing, readers reading.

Partners publish with plain aiokafka producers (``tests.support.kafka``); projections
are read with a plain PyMongo client, outcomes, suggestions and dead letters with a
plain consumer. Nothing here goes through bureau's own adapters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient

from bureau.domain.book import SCHOOL_EVENTS
from bureau.handlers.dead_letter import REASON
from bureau.privacy.dead_letters import open_dead_letter
from bureau.privacy.fields import unseal_many
from bureau.privacy.keys import MongoKeyStore
from bureau.schemas import MatchSuggested, PlacementOutcome, PlacementStatus
from bureau.settings import Settings
from bureau.topics import Purpose, Topics, dlq
from tests.support import events
from tests.support.kafka import as_json, eventually, produce, read_all, wait_consumed

S = PlacementStatus

EXTRA: dict[str, dict[str, Any]] = {
    "ApplicationRejected": {"reason": "not a fit"},
    "PlacementConfirmed": {"start": "2027-02-01", "end": "2027-06-30"},
    "PlacementCompleted": {"rating": 4},
}
"""Fields some lifecycle events carry besides the application reference."""

PATHS: dict[S, tuple[str, ...]] = {
    S.SUBMITTED: (),
    S.SHORTLISTED: ("CandidateShortlisted",),
    S.REJECTED: ("ApplicationRejected",),
    S.OFFERED: ("CandidateShortlisted", "PlacementOffered"),
    S.ACCEPTED: ("PlacementOffered", "PlacementAccepted"),
    S.DECLINED: ("PlacementOffered", "PlacementDeclined"),
    S.CONFIRMED: (
        "CandidateShortlisted",
        "PlacementOffered",
        "PlacementAccepted",
        "PlacementConfirmed",
    ),
    S.COMPLETED: (
        "PlacementOffered",
        "PlacementAccepted",
        "PlacementConfirmed",
        "PlacementCompleted",
    ),
    S.WITHDRAWN: ("ApplicationWithdrawn",),
}
"""The events after ApplicationSubmitted that bring an application to each status."""


@dataclass(frozen=True, kw_only=True)
class Candidacy:
    """One application and the two parties who speak about it."""

    application_id: str
    offer_id: str
    student_id: str
    school_id: str
    company_id: str

    def event(self, event_type: str, *, source: str | None = None) -> dict[str, Any]:
        """Return a lifecycle event, sent by whoever speaks for it unless ``source`` says."""
        speaker = self.school_id if event_type in SCHOOL_EVENTS else self.company_id
        return events.application(
            event_type,
            self.application_id,
            offer_id=self.offer_id,
            student_id=self.student_id,
            source=source or speaker,
            **EXTRA.get(event_type, {}),
        )

    def path_to(self, status: S) -> list[dict[str, Any]]:
        """Return the events that submit the application and bring it to ``status``."""
        return [self.event(e) for e in ("ApplicationSubmitted", *PATHS[status])]


@dataclass(frozen=True)
class DeadLetter:
    """A record on a dead-letter topic."""

    key: bytes | None
    value: bytes
    reason: str


@dataclass(frozen=True)
class Partners:
    """The partner systems and outside readers of one test's exchange."""

    settings: Settings

    @property
    def topics(self) -> Topics:
        """The test's topic names."""
        return Topics.from_settings(self.settings)

    @property
    def bootstrap(self) -> str:
        """The Kafka bootstrap address."""
        return self.settings.kafka_bootstrap

    def _key_field(self, topic: str) -> str:
        t = self.topics
        return {
            t.organisations: "organisation_id",
            t.students: "student_id",
            t.offers: "offer_id",
            t.applications: "offer_id",
            t.research: "question_id",
            t.lectures: "request_id",
            t.specialists: "specialist_id",
            t.rounds: "round_id",
        }[topic]

    def group(self, topic: str) -> str:
        """The consumer group that applies ``topic``."""
        t = self.topics
        purpose = {
            t.organisations: Purpose.ORGANISATIONS,
            t.students: Purpose.STUDENTS,
            t.offers: Purpose.OFFER_BOOK,
            t.applications: Purpose.OFFER_BOOK,
            t.research: Purpose.RESEARCH,
            t.lectures: Purpose.LECTURES,
            t.specialists: Purpose.SPECIALISTS,
            t.rounds: Purpose.ROUNDS,
        }[topic]
        return t.group(purpose)

    async def send(self, topic: str, batch: Iterable[dict[str, Any]]) -> None:
        """Publish events keyed by their aggregate id, in order, as a partner would."""
        await produce(self.bootstrap, topic, as_json(batch, self._key_field(topic)))

    async def send_raw(self, topic: str, records: Iterable[tuple[bytes, bytes]]) -> None:
        """Publish ``(key, value)`` records exactly as given."""
        await produce(self.bootstrap, topic, records)

    async def settle(self, *topics: str) -> None:
        """Wait until bureau has applied every record now in ``topics``."""
        for topic in topics:
            await wait_consumed(self.bootstrap, self.group(topic), topic)

    async def publish(self, topic: str, batch: Iterable[dict[str, Any]]) -> None:
        """Send events and wait until bureau has applied them."""
        await self.send(topic, batch)
        await self.settle(topic)

    async def docs(
        self, collection: str, where: Mapping[str, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Read a projection with a plain client, keyed by ``_id``."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.settings.mongo_url)
        try:
            found = client[self.settings.mongo_db][collection].find(dict(where or {}))
            return {doc["_id"]: doc async for doc in found}
        finally:
            await client.close()

    async def opened(self, view: str) -> dict[str, dict[str, Any]]:
        """Read a view with its personal fields opened, as an entitled reader gets it."""
        docs = await self.docs(view)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.settings.mongo_url)
        try:
            keys = MongoKeyStore(client[self.settings.mongo_db])
            found = await unseal_many(list(docs.values()), keys, kind=view)
        finally:
            await client.close()
        return {d["_id"]: d for d in found}

    async def doc(self, collection: str, key: str) -> dict[str, Any] | None:
        """Read one projection document, or None."""
        return (await self.docs(collection, {"_id": key})).get(key)

    async def until_doc(
        self, collection: str, key: str, *, what: str, **fields: Any
    ) -> dict[str, Any]:
        """Wait until the document ``key`` exists with ``fields``; return it."""
        found: dict[str, Any] = {}

        async def there() -> bool:
            doc = await self.doc(collection, key)
            if doc is None or any(doc.get(k) != v for k, v in fields.items()):
                return False
            found.update(doc)
            return True

        await eventually(there, what=what)
        return found

    async def outcomes(self, school_id: str) -> list[PlacementOutcome]:
        """Read every outcome on the school's own topic."""
        records = await read_all(self.bootstrap, self.topics.outcomes(school_id))
        return [PlacementOutcome.model_validate_json(r.value) for r in records]

    async def matches(self) -> list[MatchSuggested]:
        """Read every match suggestion bureau has published."""
        records = await read_all(self.bootstrap, self.topics.matches)
        # Lecture and research suggestions share the topic; these are students' and offers'.
        return [
            MatchSuggested.model_validate_json(r.value)
            for r in records
            if b'"event_type":"MatchSuggested"' in r.value
        ]

    async def dead_letters(self, topic: str, *, sealed: bool = False) -> list[DeadLetter]:
        """Read every dead letter of ``topic``, opened as the operator's redrive opens them.

        ``sealed``: as they rest on the topic. An erased student's are left out when opened.
        """
        records = await read_all(self.bootstrap, dlq(topic))
        found = [DeadLetter(r.key, r.value, dict(r.headers)[REASON].decode()) for r in records]
        if sealed:
            return found
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.settings.mongo_url)
        try:
            keys = MongoKeyStore(client[self.settings.mongo_db])
            opened = [(d, await open_dead_letter(d.value, keys)) for d in found]
        finally:
            await client.close()
        return [DeadLetter(d.key, v, d.reason) for d, v in opened if v is not None]


def entries(stored: list[dict[str, Any]]) -> dict[str, Any]:
    """An id-keyed map of an aggregate's stored state (kept as ``[{key, value}]``) as a dict."""
    return {entry["key"]: entry["value"] for entry in stored}


def encoded(event: dict[str, Any]) -> bytes:
    """The bytes a partner sends for ``event``: what ``as_json`` makes of it."""
    return json.dumps(event).encode()


def trail(outcomes: Iterable[PlacementOutcome]) -> dict[str, list[str]]:
    """Group outcomes by application: the statuses the school saw, in order."""
    seen: dict[str, list[str]] = {}
    for o in outcomes:
        seen.setdefault(o.data.application_id, []).append(o.data.status.value)
    return seen
