"""A region's partner events for the dashboard: schools, students, offers, placements and more.

Built with the partner-event builders, so the projections they lead to are exactly
what the worker would write. Sizes are parameters: the browser tests use a small
region (two schools above the suppression threshold, one below), the page benchmark
a large one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bureau.schemas.outcomes import PlacementStatus as S
from tests.support import events
from tests.support.exchange_loop import ExchangeLoop
from tests.support.scenarios import Candidacy

THEMES = ("cybersecurity", "cloud", "software", "data", "vr-ar")
SKILLS = ("linux", "networking", "python", "kubernetes", "siem", "web", "sql")


@dataclass(frozen=True, kw_only=True)
class School:
    """A school, its level and how many of its students register and are placed."""

    school_id: str
    level: str
    students: int
    placed: int


SMALL = (
    School(school_id="roc-amsterdam", level="mbo-4", students=14, placed=10),
    School(school_id="hva", level="hbo", students=12, placed=5),
    School(school_id="uva", level="wo", students=3, placed=1),
)


def student_id(school: School, n: int) -> str:
    """The pseudonym of a school's ``n``-th student."""
    return f"st-{school.school_id}-{n:05d}"


def offer_id(n: int) -> str:
    """The id of the ``n``-th offer."""
    return f"offer-{n:05d}"


def _skills(n: int, vocabulary: int) -> tuple[str, str]:
    if vocabulary <= len(SKILLS):
        return SKILLS[n % len(SKILLS)], SKILLS[(n + 1) % len(SKILLS)]
    return f"skill-{n % vocabulary:03d}", f"skill-{(n + 1) % vocabulary:03d}"


def _offer(n: int, levels: tuple[str, ...], capacity: int, vocabulary: int) -> dict[str, Any]:
    return events.offer(
        offer_id(n),
        company_id=f"company-{n % 40:03d}",
        levels=levels,
        skills=_skills(n, vocabulary),
        themes=(THEMES[n % len(THEMES)],),
        capacity=capacity,
        region=f"{1011 + n % 7}",
    )


def _student(
    school: School, n: int, vocabulary: int, *, level: str | None = None
) -> dict[str, Any]:
    return events.student(
        student_id(school, n),
        school_id=school.school_id,
        level=level or school.level,
        skills=_skills(n, vocabulary),
        gender=("female", "male", "x")[n % 3],
        region=f"{1011 + n % 7}",
    )


async def play(
    loop: ExchangeLoop,
    schools: tuple[School, ...] = SMALL,
    *,
    offers: int = 6,
    with_collaboration: bool = True,
    vocabulary: int = len(SKILLS),
) -> None:
    """Register the region's organisations, offers and students, and place students.

    ``vocabulary``: how many distinct skills there are; a large one keeps the number of
    candidates per student small (fast to project at benchmark sizes).
    """
    t = loop.topics
    levels = ("mbo-4", "hbo", "wo")
    await loop.send(
        t.organisations,
        [
            events.organisation(COORDINATOR, "coordinator"),
            *(events.organisation(s.school_id, levels=(s.level,)) for s in schools),
        ],
    )
    per_offer = max(1, -(-sum(s.placed for s in schools) // offers)) + 2
    await loop.send(t.offers, [_offer(n, levels, per_offer, vocabulary) for n in range(offers)])
    # One hbo student came from mbo-4: registered there first, then moved up.
    continuing = schools[1] if len(schools) > 1 else schools[0]
    for school in schools:
        await loop.send(
            t.students,
            [
                _student(
                    school,
                    n,
                    vocabulary,
                    level="mbo-4" if (school, n) == (continuing, 0) else None,
                )
                for n in range(school.students)
            ],
        )
    await loop.send(t.students, [_continuation(continuing)])
    n_app = 0
    for school in schools:
        for n in range(school.placed):
            candidacy = Candidacy(
                application_id=f"app-{n_app:06d}",
                offer_id=offer_id(n_app % offers),
                student_id=student_id(school, n),
                school_id=school.school_id,
                company_id=f"company-{(n_app % offers) % 40:03d}",
            )
            await loop.send(t.applications, _dated(candidacy.path_to(S.CONFIRMED), days=3 + n))
            n_app += 1
    if with_collaboration:
        await _collaboration(loop, schools)
        await _round(loop, schools[0], offers)


COORDINATOR = "bureau-matching"


async def _round(loop: ExchangeLoop, school: School, offers: int) -> None:
    """A small round among the school's unplaced students, for two offers."""
    t = loop.topics
    rid, pool = "round-2027-1", [offer_id(offers - 1), offer_id(offers - 2)]
    unplaced = [student_id(school, n) for n in range(school.placed, school.students)]

    def envelope(event_type: str, source: str, **data: Any) -> dict[str, Any]:
        return events.envelope(event_type, source, data)

    await loop.send(
        t.rounds,
        [
            envelope(
                "MatchingRoundOpened",
                COORDINATOR,
                round_id=rid,
                coordinator_id=COORDINATOR,
                offer_ids=pool,
            ),
            *(
                envelope(
                    "PreferencesSubmitted",
                    school.school_id,
                    round_id=rid,
                    student_id=s,
                    offer_ids=pool if i % 2 else pool[::-1],
                )
                for i, s in enumerate(unplaced)
            ),
            *(
                envelope(
                    "ApplicantsRanked",
                    f"company-{(offers - 1 - i) % 40:03d}",
                    round_id=rid,
                    offer_id=o,
                    student_ids=unplaced,
                )
                for i, o in enumerate(pool)
            ),
            envelope("MatchingRoundClosed", COORDINATOR, round_id=rid),
        ],
    )


def _continuation(school: School) -> dict[str, Any]:
    sid = student_id(school, 0)
    return events.student(
        sid,
        school_id=school.school_id,
        level=school.level,
        skills=("python",),
        gender="female",
        event_type="StudentProfileUpdated",
    )


def _dated(path: list[dict[str, Any]], *, days: int) -> list[dict[str, Any]]:
    """Spread an application's events: submitted at T0, decided ``days`` later."""
    decided = (events.T0 + timedelta(days=days)).isoformat()
    return [path[0], *({**e, "occurred_at": decided} for e in path[1:])]


async def _collaboration(loop: ExchangeLoop, schools: tuple[School, ...]) -> None:
    t = loop.topics
    await loop.send(
        t.research,
        [
            events.question(
                "makathon-2027",
                owner_id="company-000",
                levels=("mbo-4", "hbo", "wo"),
                composition=(("mbo-4", 1), ("hbo", 1)),
                team_min=3,
                team_max=5,
                themes=("cybersecurity",),
            )
        ],
    )
    await loop.send(t.specialists, [events.specialist("spec-01", company_id="company-001")])
    school = schools[0].school_id
    await loop.send(
        t.lectures,
        [
            events.lecture_request("lecture-01", school_id=school),
            events.lecture_request("lecture-02", school_id=school),
        ],
    )
    await loop.send(
        t.lectures,
        [events.lecture_booking("lecture-01", "spec-01", date(2027, 3, 10), school_id=school)],
    )
