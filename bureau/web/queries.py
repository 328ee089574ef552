"""The dashboard's read model: what its pages show, read from the projections only.

This is the one module of ``bureau.web`` that knows collection names and document
shapes (the web's adapter). Pages depend on the ``ReadModel`` protocol; the MongoDB
implementation reads (never writes) through PyMongo's async API, and the in-memory
one serves unit tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bureau.domain.collaboration import LectureBooking, Question
from bureau.domain.round import Round
from bureau.domain.statistics import Row

Doc = dict[str, Any]
PLACED = ("offered", "accepted", "confirmed", "completed")


@dataclass(frozen=True, kw_only=True)
class OfferView:
    """An offer as listed: its places and who offers it (no applicants)."""

    offer_id: str
    title: str
    company_id: str
    region: str
    levels: tuple[str, ...]
    themes: tuple[str, ...]
    places_open: int
    places_filled: int
    withdrawn: bool


@dataclass(frozen=True, kw_only=True)
class RoundView:
    """A matching round and, once closed, its audit record and what places remain."""

    round_id: str
    coordinator_id: str
    offers: int
    follows: str | None
    closed: bool
    algorithm_version: str | None = None
    inputs_hash: str | None = None
    students: int | None = None
    places: int | None = None
    placed: int | None = None
    unplaced: int | None = None
    remaining: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TeamView:
    """A proposed team, as counts per level (members are not named publicly)."""

    team_id: str
    size: int
    levels: Mapping[str, int]


@dataclass(frozen=True, kw_only=True)
class QuestionView:
    """A research question with the teams proposed for it."""

    question_id: str
    owner_id: str
    kind: str
    title: str
    levels: tuple[str, ...]
    themes: tuple[str, ...]
    deadline: str
    closed: bool
    teams: tuple[TeamView, ...]


@dataclass(frozen=True, kw_only=True)
class LectureView:
    """A guest-lecture request and its booking, if any."""

    request_id: str
    school_id: str
    topic: str
    level: str
    window: str
    company_id: str | None
    booked_on: str | None
    cancelled: bool


@dataclass(frozen=True, kw_only=True)
class OutcomeView:
    """One application of a school's student (pseudonymous id only)."""

    student_id: str
    offer_id: str
    company_id: str
    status: str
    submitted_at: str
    decided_at: str | None


@dataclass(frozen=True, kw_only=True)
class SchoolView:
    """A school's own students and their outcomes; ``students`` as of the last statistics."""

    school_id: str
    students: int
    by_status: Mapping[str, int]
    outcomes: tuple[OutcomeView, ...]

    @property
    def placed(self) -> int:
        """Students with at least one placement."""
        return len({o.student_id for o in self.outcomes if o.status in PLACED})


@dataclass(frozen=True, kw_only=True)
class DeadLetterGroup:
    """Dead letters recorded for one topic, with how often each reason occurred."""

    topic: str
    count: int
    reasons: tuple[tuple[str, int], ...]
    last_at: str | None


class ReadModel(Protocol):
    """What the dashboard reads."""

    async def statistics(self) -> list[Row]:
        """Every group's figures as last refreshed, sorted (not yet suppressed)."""
        ...

    async def offers(self, limit: int = 200) -> list[OfferView]:
        """Offers not withdrawn, newest id last, at most ``limit``."""
        ...

    async def offer(self, offer_id: str) -> OfferView | None:
        """One offer, or None."""
        ...

    async def rounds(self) -> list[RoundView]:
        """Every matching round."""
        ...

    async def round(self, round_id: str) -> RoundView | None:
        """One round, or None."""
        ...

    async def questions(self) -> list[QuestionView]:
        """Every research question with its teams."""
        ...

    async def lectures(self) -> list[LectureView]:
        """Every guest-lecture request with its booking."""
        ...

    async def school(self, school_id: str) -> SchoolView:
        """One school's students and their outcomes."""
        ...

    async def dead_letters(self) -> list[DeadLetterGroup]:
        """Dead letters recorded per topic."""
        ...


class MongoReadModel:
    """The read model on the MongoDB-wire projections (read-only)."""

    def __init__(self, url: str, database: str, *, timeout_ms: int = 5000) -> None:
        """Create the client; it connects lazily on first use."""
        self._client: AsyncMongoClient[Doc] = AsyncMongoClient(
            url, serverSelectionTimeoutMS=timeout_ms, uuidRepresentation="standard"
        )
        self.db: AsyncDatabase[Doc] = self._client[database]

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def statistics(self) -> list[Row]:
        """Every group's figures, as the statistics view holds them (sorted)."""
        rows = [_row(d) async for d in self.db["statistics"].find({})]
        return sorted(rows, key=lambda r: (r.dimension, r.value))

    async def offers(self, limit: int = 200) -> list[OfferView]:
        """Offers not withdrawn, in id order, at most ``limit``."""
        cursor = self.db["offers"].find({"withdrawn": False}, _OFFER_FIELDS)
        return [_offer(d) async for d in cursor.sort("_id", ASCENDING).limit(limit)]

    async def offer(self, offer_id: str) -> OfferView | None:
        """One offer, or None."""
        doc = await self.db["offers"].find_one({"_id": offer_id}, _OFFER_FIELDS)
        return _offer(doc) if doc else None

    async def rounds(self) -> list[RoundView]:
        """Every matching round, in id order."""
        return [_round(d) async for d in self.db["rounds"].find({}).sort("_id", ASCENDING)]

    async def round(self, round_id: str) -> RoundView | None:
        """One round, or None."""
        doc = await self.db["rounds"].find_one({"_id": round_id})
        return _round(doc) if doc else None

    async def questions(self) -> list[QuestionView]:
        """Every research question with its teams, in id order."""
        return [
            _question(d["state"])
            async for d in self.db["research"].find({}, {"state": 1}).sort("_id", ASCENDING)
        ]

    async def lectures(self) -> list[LectureView]:
        """Every guest-lecture request with its booking, in id order."""
        return [
            _lecture(d["state"])
            async for d in self.db["lectures"].find({}, {"state": 1}).sort("_id", ASCENDING)
        ]

    async def school(self, school_id: str) -> SchoolView:
        """One school's students (as last counted by the statistics) and their applications."""
        # Counted from the statistics view, not the students: FerretDB decodes every whole
        # student aggregate to count them (26 s for 10k students on a busy machine).
        row = await self.db["statistics"].find_one({"_id": f"school:{school_id}"})
        apps = await self.db["applications"].find({"school_id": school_id}).to_list()
        return _school(school_id, (row or {}).get("students") or 0, apps)

    async def dead_letters(self) -> list[DeadLetterGroup]:
        """Dead letters recorded per topic, most frequent reasons first."""
        docs = self.db["dead_letters"].find({}, {"topic": 1, "reason": 1, "at": 1})
        return _dead_letter_groups([d async for d in docs.sort("at", DESCENDING).limit(50_000)])


_OFFER_FIELDS = {
    "title": 1,
    "company_id": 1,
    "region": 1,
    "levels": 1,
    "themes": 1,
    "capacity": 1,
    "filled": 1,
    "withdrawn": 1,
}


_ROW_FIELDS = frozenset(f.name for f in fields(Row))


def _row(d: Mapping[str, Any]) -> Row:
    return Row(**{k: v for k, v in d.items() if k in _ROW_FIELDS})


def _offer(d: Mapping[str, Any]) -> OfferView:
    return OfferView(
        offer_id=d["_id"],
        title=d["title"],
        company_id=d["company_id"],
        region=d["region"],
        levels=tuple(d["levels"]),
        themes=tuple(d.get("themes", ())),
        places_open=d["capacity"],
        places_filled=d["filled"],
        withdrawn=d["withdrawn"],
    )


def _round(d: Mapping[str, Any]) -> RoundView:
    r = Round.model_validate(d["state"])
    run = r.run
    return RoundView(
        round_id=r.details.round_id,
        coordinator_id=r.details.coordinator_id,
        offers=len(r.details.offer_ids),
        follows=r.details.follows,
        closed=r.closed,
        algorithm_version=run.algorithm_version if run else None,
        inputs_hash=run.inputs_hash if run else None,
        students=run.students if run else None,
        places=run.places if run else None,
        placed=run.placed if run else None,
        unplaced=run.unplaced if run else None,
        remaining=dict(r.remaining),
    )


def _question(state: Mapping[str, Any]) -> QuestionView:
    q = Question.model_validate(state)
    d = q.details
    return QuestionView(
        question_id=d.question_id,
        owner_id=d.owner_id,
        kind=d.kind.value,
        title=d.title,
        levels=tuple(sorted(level.value for level in d.levels)),
        themes=tuple(sorted(str(t) for t in d.themes)),
        deadline=d.deadline.isoformat(),
        closed=q.closed,
        teams=tuple(
            TeamView(
                team_id=t.team_id,
                size=len(t.members),
                levels=dict(sorted(Counter(m.level.value for m in t.members).items())),
            )
            for t in sorted(q.teams.values(), key=lambda t: t.team_id)
        ),
    )


def _lecture(state: Mapping[str, Any]) -> LectureView:
    lecture = LectureBooking.model_validate(state)
    r = lecture.request
    return LectureView(
        request_id=r.request_id,
        school_id=r.school_id,
        topic=r.topic,
        level=r.level.value,
        window=f"{r.window.start.isoformat()} to {r.window.end.isoformat()}",
        company_id=lecture.company_id,
        booked_on=lecture.booking.on.isoformat() if lecture.booking else None,
        cancelled=lecture.cancelled,
    )


def _school(school_id: str, students: int, apps: Sequence[Mapping[str, Any]]) -> SchoolView:
    outcomes = tuple(
        OutcomeView(
            student_id=a["student_id"],
            offer_id=a["offer_id"],
            company_id=a["company_id"],
            status=a["status"],
            submitted_at=str(a["submitted_at"])[:10],
            decided_at=str(a["decided_at"])[:10] if a.get("decided_at") else None,
        )
        for a in sorted(apps, key=lambda a: (a["student_id"], a["offer_id"]))
    )
    return SchoolView(
        school_id=school_id,
        students=students,
        by_status=dict(sorted(Counter(o.status for o in outcomes).items())),
        outcomes=outcomes,
    )


def _dead_letter_groups(docs: Sequence[Mapping[str, Any]]) -> list[DeadLetterGroup]:
    by_topic: dict[str, list[Mapping[str, Any]]] = {}
    for d in docs:
        by_topic.setdefault(d["topic"], []).append(d)
    return [
        DeadLetterGroup(
            topic=topic,
            count=len(group),
            reasons=tuple(Counter(str(d.get("reason", "")) for d in group).most_common(5)),
            last_at=str(group[0].get("at")) if group[0].get("at") else None,
        )
        for topic, group in sorted(by_topic.items())
    ]


@dataclass(kw_only=True)
class InMemoryReadModel:
    """A read model of plain values, for unit tests of the pages."""

    rows: list[Row] = field(default_factory=list)
    offer_views: list[OfferView] = field(default_factory=list)
    round_views: list[RoundView] = field(default_factory=list)
    question_views: list[QuestionView] = field(default_factory=list)
    lecture_views: list[LectureView] = field(default_factory=list)
    schools: dict[str, SchoolView] = field(default_factory=dict)
    dead_letter_groups: list[DeadLetterGroup] = field(default_factory=list)

    async def statistics(self) -> list[Row]:
        """The rows given."""
        return list(self.rows)

    async def offers(self, limit: int = 200) -> list[OfferView]:
        """The offers given, not withdrawn."""
        return [o for o in self.offer_views if not o.withdrawn][:limit]

    async def offer(self, offer_id: str) -> OfferView | None:
        """The offer given with this id."""
        return next((o for o in self.offer_views if o.offer_id == offer_id), None)

    async def rounds(self) -> list[RoundView]:
        """The rounds given."""
        return list(self.round_views)

    async def round(self, round_id: str) -> RoundView | None:
        """The round given with this id."""
        return next((r for r in self.round_views if r.round_id == round_id), None)

    async def questions(self) -> list[QuestionView]:
        """The questions given."""
        return list(self.question_views)

    async def lectures(self) -> list[LectureView]:
        """The lectures given."""
        return list(self.lecture_views)

    async def school(self, school_id: str) -> SchoolView:
        """The school given, or an empty one."""
        return self.schools.get(
            school_id, SchoolView(school_id=school_id, students=0, by_status={}, outcomes=())
        )

    async def dead_letters(self) -> list[DeadLetterGroup]:
        """The dead-letter groups given."""
        return list(self.dead_letter_groups)


__all__ = [
    "DeadLetterGroup",
    "InMemoryReadModel",
    "LectureView",
    "MongoReadModel",
    "OfferView",
    "OutcomeView",
    "QuestionView",
    "ReadModel",
    "RoundView",
    "SchoolView",
    "TeamView",
]
