"""Amsterdam's story: cybersecurity placements (the demo's original data)."""

from __future__ import annotations

from bureau import partners as p
from bureau.domain.book import Book
from bureau.domain.matching import suggest
from bureau.schemas import InternshipOffered, StudentRegistered
from bureau.service import offer_for_matching, student_for_matching
from bureau.stories.story import Chapter, Event, Story, placed

# (offer id, company, title, levels, skills, capacity)
OFFERS = [
    (
        "soc-analyst",
        "northsea-secure",
        "SOC analyst intern",
        ("mbo-4", "hbo"),
        ("linux", "siem", "networking"),
        2,
    ),
    (
        "pentest",
        "redteam-amsterdam",
        "Junior pentester",
        ("hbo", "wo"),
        ("python", "networking", "web"),
        1,
    ),
    (
        "cloud-ops",
        "canal-cloud",
        "Cloud operations intern",
        ("mbo-3", "mbo-4"),
        ("linux", "kubernetes"),
        3,
    ),
]
# (pseudonymous id, school, level, skills, consent)
STUDENTS = [
    ("st-7f3a", "roc-amsterdam", "mbo-4", ("linux", "networking"), True),
    ("st-91c2", "roc-amsterdam", "mbo-3", ("kubernetes",), True),
    ("st-2b8e", "hva", "hbo", ("python", "web"), True),
    ("st-c4d1", "hva", "hbo", ("siem",), True),
    ("st-e5f0", "uva", "wo", ("python", "networking"), True),
    ("st-0a9b", "roc-amsterdam", "mbo-4", ("linux",), False),
]


def offer_events() -> list[Event]:
    """Amsterdam's InternshipOffered events, as a company's system would send them."""
    return [
        p.envelope(
            "InternshipOffered",
            company,
            {
                "offer_id": oid,
                "company_id": company,
                "title": title,
                "levels": list(levels),
                "skills": list(skills),
                "region": "1012",
                "capacity": capacity,
            },
        )
        for oid, company, title, levels, skills, capacity in OFFERS
    ]


def student_events() -> list[Event]:
    """Amsterdam's StudentRegistered events, as a school's system would send them."""
    return [
        p.envelope(
            "StudentRegistered",
            school,
            {
                "student_id": sid,
                "school_id": school,
                "level": level,
                "programme": "ICT",
                "skills": list(skills),
                "region": "1091",
                "age_band": "18+",
                "consent": consent,
            },
        )
        for sid, school, level, skills, consent in STUDENTS
    ]


def expected_pairs() -> set[tuple[str, str]]:
    """The (offer, student) pairs the matching rule must suggest for Amsterdam's data."""
    offers = [InternshipOffered.model_validate(e).data for e in offer_events()]
    students = [StudentRegistered.model_validate(e).data for e in student_events()]
    return {
        (o.offer_id, s.student_id)
        for o in offers
        for s in students
        if suggest(offer_for_matching(Book(offer=o)), student_for_matching(s)) is not None
    }


def amsterdam() -> Story:
    """Cybersecurity placements: suggestions, then one application to a placement."""
    return Story(
        region="amsterdam",
        title="Amsterdam: cybersecurity placements",
        intro=(
            "The region's security companies offer internship places; ROC Amsterdam, HvA "
            "and UvA register their students. bureau suggests who fits where, and a school "
            "follows its own student's application on its own outcome topic."
        ),
        chapters=[
            Chapter(f"Schools register {len(STUDENTS)} students", "students", student_events()),
            Chapter(f"Companies offer {len(OFFERS)} places", "offers", offer_events()),
            Chapter(
                "roc-amsterdam applies for st-7f3a; northsea-secure places them",
                "applications",
                placed("app-st-7f3a", "soc-analyst", "st-7f3a", "roc-amsterdam", "northsea-secure"),
            ),
        ],
        expect_pairs=expected_pairs(),
        expect_outcomes={"roc-amsterdam": 5},
    )
