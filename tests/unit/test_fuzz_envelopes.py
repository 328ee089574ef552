"""Fuzzed envelopes through ``decode``: an event or an InvalidEventError, never anything else.

Anything else would be taken for a handler bug and retried forever, stalling the partition.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from bureau.handlers.decode import InvalidEventError, decode
from bureau.schemas.catalog import CATALOG
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.identity import aggregate_id
from tests.unit.test_decode import ADAPTERS

LIMIT = 64 * 1024
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
INBOUND = [(c.name, m.__name__) for c in CATALOG if c.inbound for m in c.messages]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from(["", "2", "true", "1", "bureau", "\x00", "\x1b[31m", "\u202e", "\ud7ff"]),
)


def _edgy(low: int, high: int, *edges: int) -> st.SearchStrategy[int]:
    """Integers in ``low..high``, with the edges of the range drawn often."""
    return st.sampled_from(edges) | st.integers(low, high)


instants = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}{}{:02d}:{:02d}".format,
    _edgy(0, 9999, 0, 1, 1999, 2000, 2100, 2101, 9999),
    _edgy(1, 12, 0, 1, 12, 13),
    _edgy(1, 28, 0, 1, 29, 31, 32),
    _edgy(0, 23, 0, 23, 24),
    _edgy(0, 59, 0, 59, 60),
    st.sampled_from(["+", "-"]),
    _edgy(0, 14, 0, 14, 23, 24),
    _edgy(0, 59, 0, 59),
) | st.builds(
    # Real local times anywhere in 1..9999 (Hypothesis favours the ends) at the widest offsets.
    lambda local, offset: local.isoformat() + offset,
    st.datetimes(),
    st.sampled_from(["-14:00", "+14:00", "-23:59", "+23:59", "Z", "+00:00"]),
)
json_values = st.recursive(
    st.one_of(scalars, instants),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


WHITE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
"""Unicode's White_Space property: what the schemas strip (Python's strip takes more)."""


def _unprintable(c: str) -> bool:
    """Written from the Unicode categories, independently of the schemas' pattern."""
    bidi = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    return unicodedata.category(c) in ("Cc", "Zl", "Zp") or ord(c) in bidi


def _outcome(topic: str, body: bytes, key: bytes | None) -> Any:
    """Decode, turning the one allowed refusal into None; anything else fails the test."""
    try:
        return decode(ADAPTERS[topic], body, LIMIT, key)
    except InvalidEventError as refused:
        reason = str(refused)
        assert reason.isprintable()
        # The safety net in decode is for bugs: every refusal here has a schema reason.
        assert not reason.startswith("undecodable"), reason
        event("refused")
        return None


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> tuple[str, bytes, bytes | None]:
    """An example event with up to three parts replaced, removed or added, under some key."""
    topic, name = draw(st.sampled_from(INBOUND))
    raw: Any = copy.deepcopy(EXAMPLES[name])
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(raw)))
        if not path:
            raw = draw(json_values) if draw(st.integers(0, 9)) == 0 else raw
            continue
        parent = raw
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "instant", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "instant":
            parent[path[-1]] = draw(instants)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
    right = aggregate_id(ADAPTERS[topic].validate_python(EXAMPLES[name])).encode()
    others = [v.encode() for v in EXAMPLES[name]["data"].values() if isinstance(v, str)]
    key = draw(
        st.one_of(st.just(right), st.none(), st.binary(max_size=70), st.sampled_from(others))
        if draw(st.booleans())
        else st.just(right)
    )
    return topic, json.dumps(raw, allow_nan=True).encode(), key


@FUZZ
@given(topic=st.sampled_from(sorted(ADAPTERS)), body=st.binary(max_size=512), key=st.binary())
def test_arbitrary_bytes_are_refused_cleanly(topic: str, body: bytes, key: bytes) -> None:
    _outcome(topic, body, key)


@FUZZ
@given(topic=st.sampled_from(sorted(ADAPTERS)), value=json_values)
def test_arbitrary_json_is_refused_cleanly(topic: str, value: Any) -> None:
    assert _outcome(topic, json.dumps(value).encode(), b"k") is None


@FUZZ
@given(case=mutated_envelopes())
def test_mutated_envelopes_decode_or_are_refused_and_valid_ones_round_trip(
    case: tuple[str, bytes, bytes | None],
) -> None:
    topic, body, key = case
    decoded = _outcome(topic, body, key)
    if decoded is not None:
        event("valid")
        assert key == aggregate_id(decoded).encode()
        again = decode(ADAPTERS[topic], decoded.model_dump_json().encode(), LIMIT, key)
        assert again == decoded


@FUZZ
@given(case=st.sampled_from(INBOUND), instant=instants)
def test_any_occurred_at_is_taken_in_utc_or_refused_cleanly(
    case: tuple[str, str], instant: str
) -> None:
    topic, name = case
    raw = EXAMPLES[name] | {"occurred_at": instant}
    right = aggregate_id(ADAPTERS[topic].validate_python(EXAMPLES[name])).encode()
    decoded = _outcome(topic, json.dumps(raw).encode(), right)
    if decoded is not None:
        assert decoded.occurred_at.utcoffset() == timedelta(0)
        assert 2000 <= decoded.occurred_at.year <= 2100


@FUZZ
@given(text=st.text(max_size=300))
def test_text_is_taken_only_when_printable_and_then_kept(text: str) -> None:
    raw = copy.deepcopy(EXAMPLES["InternshipOffered"])
    raw["data"]["title"] = text
    decoded = _outcome("offers", json.dumps(raw).encode(), b"soc-analyst")
    if decoded is not None:
        assert not any(_unprintable(c) for c in decoded.data.title)
        assert decoded.data.title == text.strip(WHITE_SPACE)
    else:
        kept = text.strip(WHITE_SPACE)
        assert any(_unprintable(c) for c in kept) or not 0 < len(kept) <= 200


def test_the_adapters_cover_every_inbound_topic() -> None:
    assert set(ADAPTERS) == {c.name for c in CATALOG if c.inbound}
    assert all(isinstance(a, TypeAdapter) for a in ADAPTERS.values())
