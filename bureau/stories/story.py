"""What a demo story is: chapters of partners' events, and what must come of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bureau import partners as p

Event = dict[str, Any]


@dataclass(frozen=True)
class Chapter:
    """What the narrator says, then the events partners send on one inbound topic."""

    say: str
    topic: str
    """The ``Topics`` attribute: ``students``, ``offers``, ``applications``, …"""
    events: Sequence[Event]


@dataclass(frozen=True)
class Story:
    """One region's story: its chapters and what a reader should see at the end."""

    region: str
    title: str
    intro: str
    chapters: Sequence[Chapter]
    expect_pairs: set[tuple[str, str]] = field(default_factory=set)
    """(offer, student) pairs that must be suggested."""
    expect_outcomes: dict[str, int] = field(default_factory=dict)
    """School → how many placement outcomes its own topic must carry."""
    expect_teams: int = 0
    """Teams bureau must propose for the story's research questions."""
    expect_dead_letters: int = 0


def application(
    event_type: str, app_id: str, offer: str, student: str, source: str, **x: Any
) -> Event:
    """An application-lifecycle event."""
    return p.application(event_type, app_id, offer_id=offer, student_id=student, source=source, **x)


def placed(app: str, offer: str, student: str, school: str, company: str) -> list[Event]:
    """An application from submission to a confirmed placement."""
    steps = [
        ("ApplicationSubmitted", school),
        ("CandidateShortlisted", company),
        ("PlacementOffered", company),
        ("PlacementAccepted", school),
        ("PlacementConfirmed", company),
    ]
    dates = {"start": "2027-02-01", "end": "2027-06-30"}
    return [
        application(
            kind, app, offer, student, who, **(dates if kind == "PlacementConfirmed" else {})
        )
        for kind, who in steps
    ]
