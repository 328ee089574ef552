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
from typing import Any

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
        body: dict[str, Any] | None = json.loads(value) if value is not None else None
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
        profile = StudentProfile.model_validate(body["profile"])
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
            self.organisations[key] = OrganisationRegisteredData.model_validate(body["org"])

    def _specialist(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None:
            self.specialists.pop(key, None)
        else:
            self.specialists[key] = SpecialistDetails.model_validate(body["specialist"])

    def _request(self, key: str, body: dict[str, Any] | None) -> None:
        if body is None or body.get("closed"):
            self.requests.pop(key, None)
        else:
            self.requests[key] = LectureRequest.model_validate(body["request"])

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
