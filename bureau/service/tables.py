"""What every worker keeps in memory: a global table of the exchange's current state.

Fed from bureau's own changelog topics (one record per applied change, compacted),
read in full by every worker, so candidates come from memory and never from a
store scan. Records carry the aggregate's version: an older record arriving after a
newer one (our own write-through, then the topic) changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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

    def apply(self, table: str, key: str, value: bytes | str | None) -> None:
        """Apply one changelog record (None: the row is gone)."""
        body = _body(table, value) if value is not None else None
        if body is not None:
            row = Versioned(body["v"], datetime.fromisoformat(body["at"]))
            old = self.rows.get((table, key))
            if old is not None and old.version >= row.version:
                return  # our own write-through read back, or an older record after it
            self.rows[(table, key)] = row
        elif self.rows.pop((table, key), None) is None:
            return
        self.changes += 1
        _APPLY[table](self, key, body)

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
