"""Event streams for the fault scenarios: what partner systems send, and what it should cause.

A workload is a plain list of :class:`Message` in the order partners send them. The
scenario driver (``harness.Partner``) sends any such list, so a new event type only
needs a generator here and a :class:`~tests.faults.audit.Projection` entry in the audit.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from tests.support import events

LEVELS = ("vmbo", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo")
SCHOOLS = ("roc-amsterdam", "roc-mondriaan", "hva", "uva", "tu-delft", "avans")
THEME_SKILLS = {
    "cybersecurity": ("linux", "siem", "networking"),
    "cloud": ("kubernetes", "terraform", "python"),
    "smart-industry": ("plc", "robotics", "sensors"),
    "vr-ar": ("unity", "blender", "c#"),
    "agri-tech": ("iot", "gis", "data"),
}


@dataclass(frozen=True, kw_only=True)
class Message:
    """One record a partner sends, and what bureau should make of it."""

    area: str
    """The ``Topics`` attribute of the topic: ``offers``, ``students``, ..."""
    key: bytes
    value: bytes
    event: dict[str, Any] | None = None
    """The event as JSON-ready dict when the message is valid; None for poison."""
    poison: str | None = None
    """For poison: the kind, also the start of the dead-letter reason bureau must give."""
    reason: str | None = None
    """For poison whose reason starts otherwise: that start ("" accepts any reason)."""

    @property
    def event_id(self) -> str | None:
        """The event id of a valid message."""
        return None if self.event is None else str(self.event["event_id"])


@dataclass(frozen=True, kw_only=True)
class Shape:
    """How many offers and students, in clusters small enough to match order-independently."""

    clusters: int = 8
    offers_per_cluster: int = 3
    students_per_cluster: int = 10
    resends: int = 2
    """Extra events per aggregate after its first: same details, new event id."""
    seed: int = 7
    start_minutes: int = 0
    """Shifts every ``occurred_at``, so two workloads of one test do not collide."""
    tag: str = field(default="")
    """Prefix of every id, so two workloads of one test have disjoint aggregates."""


def exchange(shape: Shape = Shape()) -> list[Message]:
    """Offers and students of several regions, interleaved as partners would send them.

    Every aggregate gets ``1 + resends`` events (identical details, fresh event ids) so
    the order of application per key is visible in the projection's ``applied`` list.
    Students of a cluster share its skills, so each offer matches at most the students
    of its cluster (and each student at most its cluster's offers): with clusters no
    larger than bureau's top-K, the set of suggestions does not depend on the order in
    which partitions are processed, and the audit can predict it exactly.
    """
    rng = random.Random(shape.seed)
    themes = sorted(THEME_SKILLS)
    streams: list[list[Message]] = []
    for c in range(shape.clusters):
        theme = themes[c % len(themes)]
        skills = tuple(f"{s}-{c:02d}" for s in THEME_SKILLS[theme])
        for o in range(shape.offers_per_cluster):
            offer_id = f"{shape.tag}offer-{c:02d}-{o}"
            company = f"{shape.tag}company-{c:02d}-{o % 2}"
            levels = tuple(sorted(rng.sample(LEVELS, rng.randint(2, 4))))
            wanted = tuple(sorted(rng.sample(skills, rng.randint(1, 2))))
            streams.append(
                [
                    _valid(
                        "offers",
                        offer_id,
                        events.offer(
                            offer_id,
                            company_id=company,
                            levels=levels,
                            skills=wanted,
                            capacity=1 + o,
                        ),
                    )
                    for _ in range(1 + shape.resends)
                ]
            )
        for s in range(shape.students_per_cluster):
            student_id = f"{shape.tag}s-{c:02d}-{s:03d}"
            school, level = rng.choice(SCHOOLS), rng.choice(LEVELS)
            knows = tuple(sorted(rng.sample(skills, rng.randint(1, 2))))
            consent = rng.random() > 0.1
            streams.append(
                [
                    _valid(
                        "students",
                        student_id,
                        events.student(
                            student_id, school_id=school, level=level, skills=knows, consent=consent
                        ),
                    )
                    for _ in range(1 + shape.resends)
                ]
            )
    return _stamped(_interleave(streams, rng), shape.start_minutes)


def repeated(messages: Sequence[Message], *, every: int, times: int = 3) -> list[Message]:
    """Deliver every ``every``-th valid message ``times`` times: right away and later on."""
    out: list[Message] = []
    later: list[tuple[int, Message]] = []
    for i, message in enumerate(messages):
        out.append(message)
        if message.event is not None and i % every == 0:
            out.append(message)  # a partner's retry: the same bytes again at once
            later.extend((i + every // 2 + k, message) for k in range(times - 2))
        out.extend(m for at, m in later if at == i)
    out.extend(m for at, m in later if at >= len(messages))
    return out


def with_poison(
    messages: Sequence[Message], poison: Iterable[Message], *, seed: int
) -> list[Message]:
    """Mix poison messages into a valid stream at random places after the first tenth."""
    out = list(messages)
    rng = random.Random(seed)
    for bad in poison:
        out.insert(rng.randint(len(out) // 10, len(out)), bad)
    return out


def poison_for(valid: Message, *, max_message_bytes: int) -> list[Message]:
    """Every kind of bad input bureau can recognise today, keyed like ``valid``.

    Same key means same partition: the valid events after the poison show the
    partition is not blocked. (Illegal transitions come with the offer lifecycle.)
    """
    assert valid.event is not None
    event = valid.event
    wrong_schema = {**event, "event_id": str(uuid.uuid4()), "occurred_at": "yesterday"}
    unknown_type = {**event, "event_id": str(uuid.uuid4()), "event_type": "InternshipAuctioned"}
    oversize = {**event, "event_id": str(uuid.uuid4()), "padding": "x" * (max_message_bytes + 1)}

    def bad(kind: str, value: bytes) -> Message:
        return Message(area=valid.area, key=valid.key, value=value, poison=kind)

    return [
        bad("not JSON", b"\x00\x01 partner system crashed mid-write {"),
        bad("invalid event", json.dumps(wrong_schema).encode()),
        bad("invalid event", json.dumps(unknown_type).encode()),
        bad("message of", json.dumps(oversize).encode()),
    ]


def illegal_transition(offered: Message) -> Message:
    """A second, different ``InternshipOffered`` for an offer that exists: the offer's
    lifecycle refuses it (changes come as ``InternshipOfferUpdated``). Send it after
    ``offered``: the same key keeps the two in order."""
    assert offered.event is not None
    assert offered.event["event_type"] == "InternshipOffered"
    data = {**offered.event["data"], "capacity": offered.event["data"]["capacity"] + 1}
    event = {**offered.event, "event_id": str(uuid.uuid4()), "data": data}
    return Message(
        area=offered.area,
        key=offered.key,
        value=json.dumps(event).encode(),
        poison="illegal transition",
        reason="",
    )


def after(messages: Sequence[Message], anchor: Message, extra: Message) -> list[Message]:
    """Insert ``extra`` right after the first occurrence of ``anchor``."""
    out = list(messages)
    out.insert(out.index(anchor) + 1, extra)
    return out


def _valid(area: str, key: str, event: dict[str, Any]) -> Message:
    return Message(area=area, key=key.encode(), value=b"", event=event)


def _interleave(streams: list[list[Message]], rng: random.Random) -> Iterator[Message]:
    # Random global order that keeps each aggregate's own events in sequence.
    pending = [list(reversed(s)) for s in streams if s]
    while pending:
        i = rng.randrange(len(pending))
        yield pending[i].pop()
        if not pending[i]:
            pending[i] = pending[-1]
            pending.pop()


def _stamped(messages: Iterable[Message], start_minutes: int) -> list[Message]:
    # Partners send the current time: one second apart, so causes differ in occurred_at.
    out = []
    for i, message in enumerate(messages):
        assert message.event is not None
        at = events.T0 + timedelta(minutes=start_minutes, seconds=i)
        event = {**message.event, "occurred_at": at.isoformat()}
        out.append(replace(message, event=event, value=json.dumps(event).encode()))
    return out
