"""Strict wire contracts: every refusal ``decode`` makes, with the reason the DLQ gets."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import TypeAdapter

from bureau.domain.decisions import Rejected, check_same_body
from bureau.handlers.decode import InvalidEventError, decode
from bureau.schemas.applications import PlacementConfirmed, application_event
from bureau.schemas.catalog import CATALOG
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.identity import (
    KEY_FIELD,
    KEY_FIELD_BY_TYPE,
    aggregate_id,
    body_digest,
    event_digest,
)
from bureau.schemas.lectures import lecture_event, specialist_event
from bureau.schemas.offers import offer_event
from bureau.schemas.organisations import organisation_event
from bureau.schemas.research import research_event
from bureau.schemas.rounds import round_event
from bureau.schemas.students import student_event

LIMIT = 1 << 20
ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "organisations": organisation_event,
    "students": student_event,
    "offers": offer_event,
    "applications": application_event,
    "research": research_event,
    "lectures": lecture_event,
    "specialists": specialist_event,
    "rounds": round_event,
}
INBOUND = [(c.name, m.__name__) for c in CATALOG if c.inbound for m in c.messages]


def example(event_type: str, /, **data: Any) -> dict[str, Any]:
    raw = copy.deepcopy(EXAMPLES[event_type])
    raw["data"] |= data
    return raw


def encoded(raw: dict[str, Any]) -> bytes:
    return json.dumps(raw).encode()


def key_of(raw: dict[str, Any], name: str) -> bytes:
    return str(raw["data"][KEY_FIELD_BY_TYPE[name]]).encode()


@pytest.mark.parametrize(("topic", "name"), INBOUND)
def test_every_example_decodes_strictly_under_its_key_and_round_trips(
    topic: str, name: str
) -> None:
    raw = EXAMPLES[name]
    event = decode(ADAPTERS[topic], encoded(raw), LIMIT, key_of(raw, name))
    assert event.event_type == name
    again = decode(ADAPTERS[topic], event.model_dump_json().encode(), LIMIT, key_of(raw, name))
    assert again == event


@dataclass(frozen=True)
class Bad:
    topic: str
    body: dict[str, Any] | bytes
    reason: str
    key: bytes | None = b""

    def run(self) -> str:
        body = self.body if isinstance(self.body, bytes) else encoded(self.body)
        key = self.key
        if key == b"" and isinstance(self.body, dict):
            key = key_of(self.body, self.body["event_type"])
        with pytest.raises(InvalidEventError) as caught:
            decode(ADAPTERS[self.topic], body, 4096, key)
        return str(caught.value)


def _with(name: str, **envelope: Any) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[name]) | envelope


REFUSALS: dict[str, Bad] = {
    "capacity as a string": Bad(
        "offers", example("InternshipOffered", capacity="2"), "capacity: Input should be a valid"
    ),
    "capacity as true": Bad(
        "offers", example("InternshipOffered", capacity=True), "capacity: Input should be a valid"
    ),
    "capacity as 2.0": Bad(
        "offers", example("InternshipOffered", capacity=2.0), "capacity: Input should be a valid"
    ),
    "consent as a string": Bad(
        "students", example("StudentRegistered", consent="true"), "consent: Input should be a"
    ),
    "schema_version 2": Bad(
        "offers", _with("InternshipOffered", schema_version=2), "schema_version: Input should be 1"
    ),
    "schema_version true": Bad(
        "offers",
        _with("InternshipOffered", schema_version=True),
        "schema_version must be an integer",
    ),
    "correlation_id too long": Bad(
        "offers",
        _with("InternshipOffered", correlation_id="c" * 65),
        "correlation_id: String should have at most 64 characters",
    ),
    "correlation_id with spaces": Bad(
        "offers",
        _with("InternshipOffered", correlation_id="a b"),
        "correlation_id: String should match pattern",
    ),
    "occurred_at at the end of time": Bad(
        "offers",
        _with("InternshipOffered", occurred_at="9999-12-31T23:00-14:00"),
        "occurred_at: Input should be less than or equal to 2100-12-31T23:59:59.999999Z",
    ),
    "occurred_at at the start of time": Bad(
        "offers",
        _with("InternshipOffered", occurred_at="0001-01-01T00:00+14:00"),
        "occurred_at: Input should be greater than or equal to 2000-01-01T00:00:00Z",
    ),
    "occurred_at as a number": Bad(
        "offers",
        _with("InternshipOffered", occurred_at=1_700_000_000),
        "occurred_at: Input should be a valid datetime",
    ),
    "a period in year 9999": Bad(
        "offers",
        example("InternshipOffered", period={"start": "2027-01-01", "end": "9999-12-31"}),
        "period.end: Input should be less than or equal to 2100-12-31",
    ),
    "a placement that ends before it starts": Bad(
        "applications",
        example("PlacementConfirmed", start="2027-06-30", end="2027-02-01"),
        "the placement ends before it starts",
    ),
    "a lecture window that ends before it starts": Bad(
        "lectures",
        example("GuestLectureRequested", window={"start": "2027-03-31", "end": "2027-03-01"}),
        "period ends before it starts",
    ),
    "a deadline in 1970": Bad(
        "research",
        example("ResearchQuestionPosted", deadline="1970-01-01"),
        "deadline: Input should be greater than or equal to 2000-01-01",
    ),
    "NUL in a title": Bad(
        "offers",
        example("InternshipOffered", title="SOC\x00analyst"),
        "title: Value error, contains the control or bidi character U+0000",
    ),
    "ANSI escape in a title": Bad(
        "offers",
        example("InternshipOffered", title="\x1b[31mSOC analyst"),
        "contains the control or bidi character U+001B",
    ),
    "C1 control in a reason": Bad(
        "offers",
        example("InternshipOfferWithdrawn", reason="can\x85celled"),
        "reason: Value error, contains the control or bidi character U+0085",
    ),
    "bidi override in a name": Bad(
        "organisations",
        example("OrganisationRegistered", name="ROC \u202eAmsterdam"),
        "name: Value error, contains the control or bidi character U+202E",
    ),
    "bidi isolate in a programme": Bad(
        "students",
        example("StudentRegistered", programme="ICT \u2066x\u2069"),
        "contains the control or bidi character U+2066",
    ),
    "right-to-left mark in a description": Bad(
        "research",
        example("ResearchQuestionPosted", description="dunes\u200f"),
        "contains the control or bidi character U+200F",
    ),
    "a ranking that repeats a student": Bad(
        "rounds",
        example("ApplicantsRanked", student_ids=["st-c4d1", "st-7f3a", "st-c4d1"]),
        "a student appears twice in the ranking: st-c4d1",
    ),
    "preferences that repeat an offer": Bad(
        "rounds",
        example("PreferencesSubmitted", offer_ids=["cloud-ops", "cloud-ops"]),
        "an offer appears twice in the preferences: cloud-ops",
    ),
    "a team that repeats a student": Bad(
        "research",
        example(
            "ResearchTeamProposed",
            members=[{"student_id": "st-11aa", "level": "hbo"}] * 2,
        ),
        "a student appears twice in the team: st-11aa",
    ),
    "a run record with a free-text hash": Bad(
        "rounds", example("MatchingRoundRun", inputs_hash="\x1b[2J"), "inputs_hash: String should"
    ),
    "key of another offer": Bad(
        "offers",
        EXAMPLES["InternshipOffered"],
        "record key 'pentest' differs from the event's offer id 'soc-analyst'",
        key=b"pentest",
    ),
    "an application keyed by its student": Bad(
        "applications",
        EXAMPLES["ApplicationSubmitted"],
        "record key 'st-7f3a' differs from the event's offer id 'soc-analyst'",
        key=b"st-7f3a",
    ),
    "no key": Bad(
        "students",
        EXAMPLES["StudentRegistered"],
        "record has no key; it must be the event's student id 'st-7f3a'",
        key=None,
    ),
    "a key that is not UTF-8": Bad(
        "rounds",
        EXAMPLES["MatchingRoundClosed"],
        "record key '\\ufffd' differs from the event's round id 'spring-2027'",
        key=b"\xff",
    ),
    "a key with an escape sequence": Bad(
        "organisations",
        EXAMPLES["OrganisationRegistered"],
        "record key '\\x1b[2J' differs",
        key=b"\x1b[2J",
    ),
    "an unknown event type with an escape": Bad(
        "offers",
        _with("InternshipOffered", event_type="\x1b[2J"),
        "invalid event: message: Input tag '\\x1b[2J' found using 'event_type'",
        key=b"soc-analyst",
    ),
    "not JSON": Bad("offers", b"{not json", "not JSON: message: Invalid JSON"),
    "too large": Bad("offers", b" " * 4097, "message of 4097 bytes exceeds the 4096 limit"),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_each_refusal_has_a_clear_reason(case: Bad) -> None:
    reason = case.run()
    assert case.reason in reason
    assert reason.isprintable()


def test_dates_and_ids_still_come_as_json_strings() -> None:
    raw = EXAMPLES["PlacementConfirmed"]
    event = decode(application_event, encoded(raw), LIMIT, b"soc-analyst")
    assert str(event.event_id) == raw["event_id"]
    assert isinstance(event, PlacementConfirmed)
    assert event.data.start.isoformat() == "2027-02-01"


def test_an_instant_is_normalised_to_utc_within_the_range() -> None:
    raw = _with("InternshipOffered", occurred_at="1999-12-31T23:30-01:00")
    event = decode(offer_event, encoded(raw), LIMIT, b"soc-analyst")
    assert event.occurred_at.isoformat() == "2000-01-01T00:30:00+00:00"


def test_every_event_type_knows_its_aggregate_id() -> None:
    catalogued = {m for c in CATALOG for m in c.messages}
    assert set(KEY_FIELD) == catalogued
    assert all(KEY_FIELD_BY_TYPE[m.__name__] == KEY_FIELD[m] for m in catalogued)
    for m in catalogued:
        assert m.model_fields["event_type"].annotation.__args__ == (m.__name__,)  # type: ignore[union-attr]
    assert aggregate_id(offer_event.validate_python(EXAMPLES["InternshipOffered"])) == "soc-analyst"


def test_the_digest_is_the_bodys_sha256_and_the_events_ignores_layout() -> None:
    assert body_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    raw = EXAMPLES["InternshipOffered"]
    compact = decode(offer_event, json.dumps(raw, separators=(",", ":")).encode(), LIMIT)
    spaced = decode(offer_event, json.dumps(raw, indent=4, sort_keys=True).encode(), LIMIT)
    assert event_digest(compact) == event_digest(spaced)


def test_a_reused_event_id_with_another_body_is_refused() -> None:
    first = offer_event.validate_python(EXAMPLES["InternshipOffered"])
    other = offer_event.validate_python(example("InternshipOffered", capacity=9))
    assert check_same_body(first, event_digest(first)) is None
    assert check_same_body(other, None) is None
    assert check_same_body(other, event_digest(first)) == Rejected(
        f"event id {other.event_id} was applied before with a different body"
    )
