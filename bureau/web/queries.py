"""The dashboard's read model: what its pages show, read from the projections only.

This is the one module of ``bureau.web`` that knows collection names and document
shapes (the web's adapter); the values it returns are in ``bureau.web.views``. Pages
depend on the ``ReadModel`` protocol; the MongoDB implementation reads (never writes)
through PyMongo's async API, and the in-memory one serves unit tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bureau.domain.collaboration import LectureBooking, Question
from bureau.domain.round import Round
from bureau.domain.statistics import Row
from bureau.web.views import (
    DeadLetterGroup,
    LectureView,
    OfferFilter,
    OfferView,
    OutcomeView,
    Page,
    QuestionView,
    RoundView,
    SchoolView,
    TeamView,
)

Doc = dict[str, Any]
T = TypeVar("T")
OFFERS_PAGE = 20
"""Offers per page: an offer aggregate costs FerretDB about 6-15 ms to decode."""
APPLICATIONS_PAGE = 50
"""A school's applications per page (small documents)."""
LISTED = 200
"""At most this many rounds, questions or lecture requests are listed."""
DEAD_LETTERS_READ = 5000
"""Dead letters counted per operator page, at most."""


class ReadModel(Protocol):
    """What the dashboard reads."""

    async def statistics(self) -> list[Row]:
        """Every group's figures as last refreshed, sorted (not yet suppressed)."""
        ...

    async def offers(self, which: OfferFilter, page: int = 1) -> Page[OfferView]:
        """One page of the open offers ``which`` selects, in id order within the page."""
        ...

    async def companies(self) -> list[str]:
        """The ids of the registered companies, sorted."""
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

    async def school(self, school_id: str, status: str | None = None, page: int = 1) -> SchoolView:
        """One school's figures and a page of its applications (of one ``status``, or all)."""
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

    # FerretDB (the SQLite backend) pushes equality filters on strings down to SQL, and
    # then the limit, but decodes every document a query returns, skips or sorts,
    # projections included. So every query below filters by string equality only and is
    # limited, never sorted by the store (the sort is done here, on the page), and the
    # only unbounded reads are of small views.

    async def statistics(self) -> list[Row]:
        """Every group's figures, as the statistics view holds them (sorted)."""
        rows = [_row(d) async for d in self.db["statistics"].find({})]
        return sorted(rows, key=lambda r: (r.dimension, r.value))

    async def offers(self, which: OfferFilter, page: int = 1) -> Page[OfferView]:
        """One page of the offers, withdrawn ones left out; store order between pages."""
        where: Doc = {}
        if which.company:
            where["company_id"] = which.company
        if which.region:
            where["region"] = which.region
        # Withdrawn offers are left out here, not by the query: FerretDB hands a limit to
        # SQL only when every condition is (strings are, booleans are not), and otherwise
        # decodes a whole batch of documents for a 20-row page.
        docs, more = await self._page("offers", where, _OFFER_FIELDS, page, OFFERS_PAGE)
        offers = sorted((_offer(d) for d in docs if not d["withdrawn"]), key=_by_id)
        return Page(items=tuple(offers), number=page, more=more)

    async def companies(self) -> list[str]:
        """The ids of the registered companies, sorted."""
        docs = self.db["organisations"].find({"kind": "company"}, {"_id": 1}).limit(LISTED)
        return sorted([d["_id"] async for d in docs])

    async def offer(self, offer_id: str) -> OfferView | None:
        """One offer, or None."""
        doc = await self.db["offers"].find_one({"_id": offer_id}, _OFFER_FIELDS)
        return _offer(doc) if doc else None

    async def rounds(self) -> list[RoundView]:
        """The matching rounds (at most ``LISTED``), in id order."""
        docs = await self.db["rounds"].find({}).limit(LISTED).to_list()
        return sorted(map(_round, docs), key=lambda r: r.round_id)

    async def round(self, round_id: str) -> RoundView | None:
        """One round, or None."""
        doc = await self.db["rounds"].find_one({"_id": round_id})
        return _round(doc) if doc else None

    async def questions(self) -> list[QuestionView]:
        """Research questions (at most ``LISTED``) with their teams, in id order."""
        docs = await self.db["research"].find({}, {"state": 1}).limit(LISTED).to_list()
        return sorted((_question(d["state"]) for d in docs), key=lambda q: q.question_id)

    async def lectures(self) -> list[LectureView]:
        """Guest-lecture requests (at most ``LISTED``) with their bookings, in id order."""
        docs = await self.db["lectures"].find({}, {"state": 1}).limit(LISTED).to_list()
        return sorted((_lecture(d["state"]) for d in docs), key=lambda r: r.request_id)

    async def school(self, school_id: str, status: str | None = None, page: int = 1) -> SchoolView:
        """The school's statistics row and a page of its applications."""
        # Figures come from the statistics view: counting the students or applications
        # would decode every one of them.
        row = await self.db["statistics"].find_one({"_id": f"school:{school_id}"})
        where: Doc = {"school_id": school_id} | ({"status": status} if status else {})
        docs, more = await self._page(
            "applications", where, _APPLICATION_FIELDS, page, APPLICATIONS_PAGE
        )
        outcomes = sorted(map(_outcome, docs), key=lambda o: (o.student_id, o.offer_id))
        return SchoolView(
            school_id=school_id,
            figures=_row(row) if row else None,
            status=status,
            outcomes=Page(items=tuple(outcomes), number=page, more=more),
        )

    async def dead_letters(self) -> list[DeadLetterGroup]:
        """Dead letters recorded per topic (of at most ``DEAD_LETTERS_READ``), by reason."""
        docs = self.db["dead_letters"].find({}, {"topic": 1, "reason": 1, "at": 1})
        return _dead_letter_groups(await docs.limit(DEAD_LETTERS_READ).to_list())

    async def _page(
        self, collection: str, where: Doc, projection: Mapping[str, int], page: int, size: int
    ) -> tuple[list[Doc], bool]:
        # One more than the pages up to this one tells whether another follows. No skip:
        # FerretDB decodes what it skips anyway, and with a skip it no longer hands the
        # limit to SQL (it then decodes whole batches: 2.4 s for page 2 of 2,000 offers).
        # So page n costs n times page 1.
        cursor = self.db[collection].find(where, dict(projection))
        docs = await cursor.limit(page * size + 1).to_list()
        return docs[(page - 1) * size : page * size], len(docs) > page * size


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


_APPLICATION_FIELDS = {
    "student_id": 1,
    "offer_id": 1,
    "company_id": 1,
    "status": 1,
    "submitted_at": 1,
    "decided_at": 1,
}


_ROW_FIELDS = frozenset(f.name for f in fields(Row))


def _by_id(o: OfferView) -> str:
    return o.offer_id


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


def _outcome(a: Mapping[str, Any]) -> OutcomeView:
    return OutcomeView(
        student_id=a["student_id"],
        offer_id=a["offer_id"],
        company_id=a["company_id"],
        status=a["status"],
        submitted_at=str(a["submitted_at"])[:10],
        decided_at=str(a["decided_at"])[:10] if a.get("decided_at") else None,
    )


def _dead_letter_groups(docs: Sequence[Mapping[str, Any]]) -> list[DeadLetterGroup]:
    by_topic: dict[str, list[Mapping[str, Any]]] = {}
    for d in sorted(docs, key=lambda d: str(d.get("at", "")), reverse=True):
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
    """A read model of plain values, for unit tests of the pages (same paging)."""

    rows: list[Row] = field(default_factory=list)
    offer_views: list[OfferView] = field(default_factory=list)
    company_ids: list[str] = field(default_factory=list)
    round_views: list[RoundView] = field(default_factory=list)
    question_views: list[QuestionView] = field(default_factory=list)
    lecture_views: list[LectureView] = field(default_factory=list)
    applications: dict[str, list[OutcomeView]] = field(default_factory=dict)
    """Each school's students' applications."""
    dead_letter_groups: list[DeadLetterGroup] = field(default_factory=list)

    async def statistics(self) -> list[Row]:
        """The rows given."""
        return list(self.rows)

    async def offers(self, which: OfferFilter, page: int = 1) -> Page[OfferView]:
        """A page of the offers given, not withdrawn, as ``which`` selects."""
        chosen = [
            o
            for o in self.offer_views
            if which.company in (None, o.company_id) and which.region in (None, o.region)
        ]
        paged = _paged(chosen, page, OFFERS_PAGE, _by_id)
        return replace(paged, items=tuple(o for o in paged.items if not o.withdrawn))

    async def companies(self) -> list[str]:
        """The company ids given."""
        return sorted(self.company_ids)

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

    async def school(self, school_id: str, status: str | None = None, page: int = 1) -> SchoolView:
        """The school's row among the rows given, and a page of its applications."""
        chosen = [o for o in self.applications.get(school_id, []) if status in (None, o.status)]
        return SchoolView(
            school_id=school_id,
            figures=next(
                (r for r in self.rows if (r.dimension, r.value) == ("school", school_id)), None
            ),
            status=status,
            outcomes=_paged(chosen, page, APPLICATIONS_PAGE, lambda o: (o.student_id, o.offer_id)),
        )

    async def dead_letters(self) -> list[DeadLetterGroup]:
        """The dead-letter groups given."""
        return list(self.dead_letter_groups)


def _paged(items: Sequence[T], page: int, size: int, key: Callable[[T], Any]) -> Page[T]:
    start = (page - 1) * size
    return Page(
        items=tuple(sorted(items[start : start + size], key=key)),
        number=page,
        more=len(items) > start + size,
    )


__all__ = [
    "APPLICATIONS_PAGE",
    "OFFERS_PAGE",
    "DeadLetterGroup",
    "InMemoryReadModel",
    "LectureView",
    "MongoReadModel",
    "OfferFilter",
    "OfferView",
    "OutcomeView",
    "Page",
    "QuestionView",
    "ReadModel",
    "RoundView",
    "SchoolView",
    "TeamView",
]
