"""The tables read a changelog record with one typed pass; the result is the plain path's.

The plain path is ``json.loads`` and then the row's model (what ``Tables.apply`` did
before the typed pass): with no typed adapters it is all that is left, so each test
applies the same records both ways and compares everything the tables hold, and any
error raised.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.domain.matching import Offer
from bureau.schemas.common import Level
from bureau.service import tables as tables_module
from bureau.service.documents import student_for_matching
from bureau.service.tables import Tables
from bureau.topics import Table

AT = "2026-09-01T09:00:00+00:00"
PROFILE: dict[str, Any] = {
    "student_id": "s-1",
    "school_id": "school-1",
    "level": "mbo-4",
    "programme": "ICT",
    "skills": ["python", "linux"],
    "themes": ["cloud"],
    "region": "1012",
    "age_band": "18+",
    "consent": True,
}
ORG = {"organisation_id": "c-1", "kind": "company", "name": "Acme", "region": "1012"}
PERIOD = {"start": "2027-02-01", "end": "2027-06-30"}
SPECIALIST = {
    "specialist_id": "sp-1",
    "company_id": "c-1",
    "expertise": "Cloud",
    "levels": ["hbo"],
    "available": PERIOD,
    "region": "1012",
}
REQUEST = {
    "request_id": "r-1",
    "school_id": "school-1",
    "topic": "Security",
    "level": "hbo",
    "window": PERIOD,
    "region": "1012",
}
OFFER = Offer(
    offer_id="o-1",
    company_id="c-1",
    title="Dev",
    levels=frozenset({Level.MBO_4, Level.HBO}),
    skills=frozenset({"python", "linux", "go"}),
    region="1013",
    capacity=3,
)

Record = tuple[str, str, bytes | str | None]


def _value(**body: Any) -> bytes:
    return json.dumps({"kind": "x", **body}, sort_keys=True).encode()


def _outcome(tables: Tables, records: list[Record]) -> list[Any]:
    """Apply each record and return what happened and everything the tables then hold."""
    seen: list[Any] = []
    for table, key, value in records:
        try:
            tables.apply(table, key, value)
            seen.append(None)
        except Exception as exc:  # the plain path's errors must be the typed path's
            seen.append((type(exc), str(exc)))
    rows = {k: (type(r.version), r.version, r.at, r.at.utcoffset()) for k, r in tables.rows.items()}
    index = tables.index
    answers = [
        [(s.student_id, s.score) for s in index.students_for_offer(OFFER, 10)],
        *(
            [(s.offer_id, s.score) for s in index.offers_for_student(student_for_matching(p), 5)]
            for p in tables.students.values()
        ),
    ]
    held = (tables.students, tables.organisations, tables.specialists, tables.requests)
    return [seen, *held, tables.offers, tables.erased, rows, tables.changes, answers]


def _both_ways(records: list[Record], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    typed = _outcome(Tables(), records)
    with monkeypatch.context() as m:
        m.setattr(tables_module, "_BODIES", {})
        plain = _outcome(Tables(), records)
    return typed, plain


def test_typed_pass_equals_plain_path_on_every_kind_of_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = {**PROFILE, "student_id": "s-2", "skills": [" Linux ", "GO"], "region": "1013"}
    records: list[Record] = [
        (Table.STUDENTS, "s-1", _value(v=1, at=AT, profile=PROFILE)),
        (Table.STUDENTS, "s-2", _value(v=1, at=AT, profile=other).decode()),  # write-through
        (Table.STUDENTS, "s-1", _value(v=1, at=AT, profile={**PROFILE, "region": "9711"})),
        (Table.STUDENTS, "s-1", _value(v=2, at="2026-09-02T10:00:00+02:00", profile=other)),
        (Table.STUDENTS, "s-1", _value(v=3, at=AT, profile={**PROFILE, "region": "0000"})),
        (Table.STUDENTS, "s-1", _value(v=4, at=AT)),  # no profile, not erased
        (Table.STUDENTS, "s-1", _value(v=5.0, at=AT, profile=PROFILE)),  # a float version
        (Table.STUDENTS, "s-1", _value(v="6", at=AT, profile=PROFILE)),
        (Table.STUDENTS, "s-2", _value(v=2, at=AT, erased=True, profile={"bad": 1})),
        (Table.STUDENTS, "s-2", _value(v=3, at=AT, erased=0, profile=other)),
        (Table.STUDENTS, "s-3", b"null"),
        (Table.STUDENTS, "s-3", b"{not json"),
        (Table.STUDENTS, "s-1", None),
        (Table.STUDENTS, "s-4", _value(v=1, at=AT, profile={**PROFILE, "programme": "\ud800"})),
        (Table.ORGANISATIONS, "c-1", _value(v=1, at=AT, org=ORG)),
        (Table.ORGANISATIONS, "c-2", _value(v=1, at=AT, org={**ORG, "kind": "school"})),
        (Table.SPECIALISTS, "sp-1", _value(v=1, at=AT, specialist=SPECIALIST)),
        (Table.REQUESTS, "r-1", _value(v=1, at=AT, request=REQUEST)),
        (Table.REQUESTS, "r-2", _value(v=1, at=AT, request={**REQUEST, "request_id": "r-2"})),
        (Table.REQUESTS, "r-2", _value(v=2, at=AT, closed=True)),
        (Table.ORGANISATIONS, "c-1", None),
    ]
    typed, plain = _both_ways(records, monkeypatch)
    assert typed == plain
    errors = [e for e in typed[0] if e is not None]
    assert len(errors) >= 5, "the edge records must fail as they did, not be skipped"
    assert typed[1], "and valid students must be in the tables"


# Changes to a valid profile, valid ones and invalid ones; a record takes up to three.
CHANGES: list[tuple[str, Any]] = [
    *[("student_id", v) for v in ["s-2", "", 3]],
    *[("school_id", v) for v in ["school-2", "school 2"]],
    *[("level", v) for v in ["mbo-1", "hbo", "vwo", 4]],
    *[("programme", v) for v in [" Zorg ", "", "x" * 201, "a\x1bb", "\u202e", 7, None]],
    *[("crebo", v) for v in ["25604", "2560", None]],
    *[("skills", v) for v in [[], ["python", " Linux", "GO "], ["c++", "ä"], [""], "go"]],
    *[("themes", v) for v in [[], ["data", "cloud"], ["space"]]],
    *[("region", v) for v in ["1013", "9711", "0123", "10a2", 1012]],
    *[("available", v) for v in [None, {"start": "2027-06-30", "end": "2027-01-01"}]],
    *[("age_band", v) for v in ["16-17", "under-16", "adult"]],
    *[("consent", v) for v in [False, "true", 1, None]],
    *[("guardian_consent", v) for v in [True, False]],
    *[("statistics_consent", v) for v in [True, False]],
    *[("gender", v) for v in ["female", "x", "?"]],
    ("extra", 1),
]
records = st.lists(
    st.tuples(
        st.sampled_from(["s-1", "s-2"]),
        # Mostly well-formed versions and times, so that most records reach the rows.
        st.sampled_from([1, 2, 3, 4, 5, 2.0, "3", True]),
        st.sampled_from([AT, AT, "2026-09-02T10:00:00+02:00", "2026-13-01", 1]),
        st.lists(st.sampled_from(CHANGES), max_size=3).map(dict),
        st.sampled_from([{}, {"erased": True}, {"erased": False}, {"erased": "no"}]),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(records)
def test_typed_pass_equals_plain_path_on_generated_records(
    generated: list[tuple[str, Any, Any, dict[str, Any], dict[str, Any]]],
) -> None:
    base = {**PROFILE, "available": {"start": str(date(2027, 2, 1)), "end": "2027-06-30"}}
    stream: list[Record] = [
        (Table.STUDENTS, key, _value(v=v, at=at, profile={**base, **changes}, **flag))
        for key, v, at, changes, flag in generated
    ]
    with pytest.MonkeyPatch.context() as m:
        typed, plain = _both_ways(stream, m)
    assert typed == plain
