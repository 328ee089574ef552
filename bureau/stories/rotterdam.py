"""Rotterdam's story: cloud internships across hundreds of companies."""

from __future__ import annotations

from bureau import partners as p
from bureau.domain.book import Book
from bureau.domain.eligibility import is_eligible
from bureau.schemas import OfferDetails, StudentProfile
from bureau.service import offer_for_matching, student_for_matching
from bureau.stories.story import Chapter, Event, Story

ROTTERDAM_GROUPS = 60


def _rotterdam_data() -> tuple[list[Event], list[Event], list[Event]]:
    skills = [f"cloud-{g:02d}" for g in range(ROTTERDAM_GROUPS)]
    school = {"mbo-4": "albeda", "mbo-3": "albeda", "hbo": "hogeschool-rotterdam", "wo": "eur"}
    organisations = [
        p.regional_organisation("albeda", "school", region="3011", levels=("mbo-3", "mbo-4")),
        p.regional_organisation("hogeschool-rotterdam", "school", region="3015", levels=("hbo",)),
        p.regional_organisation("eur", "school", region="3062", levels=("wo",)),
        *(
            p.regional_organisation(f"cloud-co-{i:03d}", "company", region=f"30{10 + i % 90}")
            for i in range(300)
        ),
    ]
    offers = [
        p.offer(
            f"cloud-{i:03d}",
            company_id=f"cloud-co-{i:03d}",
            levels=("mbo-4", "hbo") if i // ROTTERDAM_GROUPS % 2 == 0 else ("hbo", "wo"),
            skills=(skills[i % ROTTERDAM_GROUPS],),
            themes=("cloud",),
            capacity=1 + i % 3,
            region=f"30{10 + i % 90}",
        )
        for i in range(300)
    ]
    levels = ["mbo-4", "hbo", "wo", "mbo-3"]
    students = [
        p.student(
            f"rdm-{j:03d}",
            school_id=school[levels[j // ROTTERDAM_GROUPS % 4]],
            level=levels[j // ROTTERDAM_GROUPS % 4],
            skills=(skills[j % ROTTERDAM_GROUPS], "excel"),
            themes=("cloud",),
            consent=j % 25 != 7,
            region=f"30{20 + j % 70}",
        )
        for j in range(250)
    ]
    return organisations, offers, students


def rotterdam() -> Story:
    """Cloud Engineering Rotterdam: 300 companies, 300 offers, 250 students."""
    organisations, offers, students = _rotterdam_data()
    books = [offer_for_matching(Book(offer=OfferDetails.model_validate(o["data"]))) for o in offers]
    profiles = [student_for_matching(StudentProfile.model_validate(s["data"])) for s in students]
    return Story(
        region="rotterdam",
        title="Rotterdam: cloud internships across 300 companies",
        intro=(
            "Cloud Engineering Rotterdam brings hundreds of companies to Albeda, Hogeschool "
            "Rotterdam and Erasmus. Every eligible pair of offer and student is suggested, "
            "once, however the events arrive."
        ),
        chapters=[
            Chapter("3 schools and 300 companies join", "organisations", organisations),
            Chapter("The first 50 students register", "students", students[:50]),
            Chapter("300 companies each offer cloud internships", "offers", offers),
            Chapter("200 more students register", "students", students[50:]),
        ],
        expect_pairs={
            (o.offer_id, s.student_id) for o in books for s in profiles if is_eligible(o, s)
        },
    )
