"""What every worker keeps in memory: a global table of the exchange's current state.

Fed from bureau's own changelog topics (one record per applied change, compacted),
read in full by every worker, so candidates come from memory and never from a
store scan. Records carry the aggregate's version: an older record arriving after a
newer one (our own write-through, then the topic) changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypeVar

from pydantic import BaseModel, StrictInt, StrictStr, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from bureau.domain.eligibility import DEFAULT_RULES, Rules
from bureau.domain.index import CandidateIndex
from bureau.domain.matching import Offer
from bureau.domain.scoring import DEFAULT_WEIGHTS, Weights
from bureau.schemas.common import Level, Period
from bureau.schemas.lectures import LectureRequest, SpecialistDetails
from bureau.schemas.organisations import OrganisationRegisteredData
from bureau.schemas.students import StudentProfile
from bureau.service.documents import student_for_matching
from bureau.topics import Table

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class Versioned:
    """A table row: the aggregate's version and when it last changed."""

    version: int
    at: datetime
    own: bool = False
    """Our own write-through, not read back from the changelog yet."""


@dataclass(frozen=True)
class Saved:
    """A row as it was before a change, to put back if that change is never committed."""

    table: str
    key: str
    row: Versioned | None
    body: dict[str, Any] | None
    """What ``Tables.apply`` takes to make the row again (None: no row)."""


@dataclass
class Tables:
    """Students, open offers, organisations, specialists and open lecture requests."""

    weights: Weights = DEFAULT_WEIGHTS
    rules: Rules = DEFAULT_RULES
    index: CandidateIndex = field(init=False)
    students: dict[str, StudentProfile] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    organisations: dict[str, OrganisationRegisteredData] = field(default_factory=dict)
    specialists: dict[str, SpecialistDetails] = field(default_factory=dict)
    requests: dict[str, LectureRequest] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    """Pseudonyms of erased students (ids only), so their late events are refused."""
    rows: dict[tuple[str, str], Versioned] = field(default_factory=dict)
    changes: int = 0
    """How many records changed a row: a matcher compares it to see if others moved."""

    def __post_init__(self) -> None:
        """Create the candidate index with the exchange's weights and rules."""
        self.index = CandidateIndex(weights=self.weights, rules=self.rules)

    def changed_at(self, table: str, key: str) -> datetime | None:
        """When the row last changed, if it is known."""
        row = self.rows.get((table, key))
        return row.at if row else None

    def apply(self, table: str, key: str, value: bytes | str | None, *, own: bool = False) -> bool:
        """Apply one changelog record (None: the row is gone); whether it changed the row.

        ``own``: our own record, applied before it is committed (write-through).
        """
        body = _body(table, value) if value is not None else None
        if body is not None:
            row = Versioned(body["v"], datetime.fromisoformat(body["at"]), own)
            old = self.rows.get((table, key))
            if old is not None and old.version >= row.version:
                if old.own and not own and old.version == row.version:
                    self.rows[(table, key)] = row  # our own, read back: it was committed
                return False  # or an older record after a newer one
            self.rows[(table, key)] = row
        elif self.rows.pop((table, key), None) is None:
            return False
        self.changes += 1
        _APPLY[table](self, key, body)
        return True

    def saved(self, table: str, key: str) -> Saved:
        """The row of ``key`` as it is now, for ``put_back``."""
        row = self.rows.get((table, key))
        return Saved(table, key, row, None if row is None else _SAVED[table](self, key))

    def put_back(self, saved: Saved, version: int | None) -> None:
        """Undo our own change to version ``version`` (None: a removal): never committed.

        A row read from the changelog since (ours read back, or another) stays.
        """
        now = self.rows.get((saved.table, saved.key))
        if version is None and now is not None:
            return
        if version is not None and (now is None or now.version != version or not now.own):
            return
        if saved.row is None:
            self.rows.pop((saved.table, saved.key), None)
        else:
            self.rows[(saved.table, saved.key)] = saved.row
        self.changes += 1
        _APPLY[saved.table](self, saved.key, saved.body)

    def _student(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None or body.get("erased"):
            self.students.pop(key, None)
            self.index.remove_student(key)
            if body is not None:
                self.erased.add(key)
            return
        profile = _row(StudentProfile, body["profile"])
        self.students[key] = profile
        self.erased.discard(key)
        self.index.upsert_student(student_for_matching(profile))

    def _offer(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None:
            self.offers.pop(key, None)
            self.index.remove_offer(key)
            return
        offer = offer_view(body["offer"])
        self.offers[key] = offer
        self.index.upsert_offer(offer)

    def _organisation(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None:
            self.organisations.pop(key, None)
        else:
            self.organisations[key] = _row(OrganisationRegisteredData, body["org"])

    def _specialist(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None:
            self.specialists.pop(key, None)
        else:
            self.specialists[key] = _row(SpecialistDetails, body["specialist"])

    def _request(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None or body.get("closed"):
            self.requests.pop(key, None)
        else:
            self.requests[key] = _row(LectureRequest, body["request"])

    def consenting_students(self) -> Iterable[StudentProfile]:
        """Students who may be matched, in id order."""
        return (self.students[k] for k in sorted(self.students) if self.students[k].may_be_matched)


_APPLY = {
    Table.STUDENTS: Tables._student,
    Table.OFFERS: Tables._offer,
    Table.ORGANISATIONS: Tables._organisation,
    Table.SPECIALISTS: Tables._specialist,
    Table.REQUESTS: Tables._request,
}


def _saved_student(tables: Tables, key: str) -> dict[str, Any] | None:
    if key in tables.erased:
        return {"erased": True}
    profile = tables.students.get(key)
    return None if profile is None else {"profile": profile}


def _saved_offer(tables: Tables, key: str) -> dict[str, Any] | None:
    offer = tables.offers.get(key)
    return None if offer is None else {"offer": offer_body(offer)}


def _saved_request(tables: Tables, key: str) -> dict[str, Any]:
    request = tables.requests.get(key)
    return {"closed": True} if request is None else {"request": request}


_Saver = Callable[["Tables", str], dict[str, Any] | None]


def _saved_row(attr: str, name: str) -> _Saver:
    def saved(tables: Tables, key: str) -> dict[str, Any] | None:
        found = getattr(tables, attr).get(key)
        return None if found is None else {name: found}

    return saved


# A row's body as ``_APPLY`` takes it (models as they are: ``_row`` keeps them).
_SAVED: dict[str, _Saver] = {
    Table.STUDENTS: _saved_student,
    Table.OFFERS: _saved_offer,
    Table.ORGANISATIONS: _saved_row("organisations", "org"),
    Table.SPECIALISTS: _saved_row("specialists", "specialist"),
    Table.REQUESTS: _saved_request,
}


class _Header(TypedDict):
    # Strict: a version or time of another JSON type is left to the plain path, which
    # fails on it as it always did (lax validation would coerce "2" into 2).
    v: StrictInt
    at: StrictStr


class _StudentBody(_Header):
    profile: NotRequired[StudentProfile]
    erased: NotRequired[Any]


class _OrganisationBody(_Header):
    org: NotRequired[OrganisationRegisteredData]


class _SpecialistBody(_Header):
    specialist: NotRequired[SpecialistDetails]


class _RequestBody(_Header):
    request: NotRequired[LectureRequest]
    closed: NotRequired[Any]


# A record's row validated straight from its bytes in one pass (no dict of dicts made by
# json.loads first, then validated again): restoring a table is mostly this. Other keys
# are dropped, as the handlers never read them. The row arrives as its model instance,
# which the handlers take as it is (``_row``).
_BODIES: dict[str, TypeAdapter[Any]] = {
    Table.STUDENTS: TypeAdapter(_StudentBody),
    Table.ORGANISATIONS: TypeAdapter(_OrganisationBody),
    Table.SPECIALISTS: TypeAdapter(_SpecialistBody),
    Table.REQUESTS: TypeAdapter(_RequestBody),
}


def _body(table: str, value: bytes | str) -> dict[str, Any] | None:
    """A changelog record's body: ``json.loads``'s, with the row made already if it can be.

    A record the typed pass refuses (not JSON, a row that does not validate, a version
    that is no integer, ...) is read the plain way, so it is applied, skipped or fails
    exactly as it did before the typed pass existed.
    """
    adapter = _BODIES.get(table)
    if adapter is not None:
        try:
            body: dict[str, Any] = adapter.validate_json(value)
        except ValidationError:
            pass
        else:
            return body
    parsed: dict[str, Any] | None = json.loads(value)
    return parsed


def _row(model: type[_M], value: Any) -> _M:
    # The typed pass made the row already: validating it again would only run its model
    # validators once more. The plain pass gives a dict.
    return value if type(value) is model else model.model_validate(value)


def offer_view(d: dict[str, Any]) -> Offer:
    """An offer's matching view from its changelog form."""
    return Offer(
        offer_id=d["offer_id"],
        company_id=d["company_id"],
        title=d["title"],
        levels=frozenset(Level(v) for v in d["levels"]),
        skills=frozenset(d["skills"]),
        region=d["region"],
        capacity=d["capacity"],
        withdrawn=d["withdrawn"],
        period=Period.model_validate(d["period"]) if d.get("period") else None,
        remote=d["remote"],
        themes=frozenset(d["themes"]),
    )


def offer_body(offer: Offer) -> dict[str, Any]:
    """An offer's matching view in its changelog form."""
    return {
        "offer_id": offer.offer_id,
        "company_id": offer.company_id,
        "title": offer.title,
        "levels": sorted(v.value for v in offer.levels),
        "skills": sorted(offer.skills),
        "region": offer.region,
        "capacity": offer.capacity,
        "withdrawn": offer.withdrawn,
        "period": offer.period.model_dump(mode="json") if offer.period else None,
        "remote": offer.remote,
        "themes": sorted(offer.themes),
    }
