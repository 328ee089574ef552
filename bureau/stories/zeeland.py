"""Zeeland's story: a VR/AR research question and a guest lecture."""

from __future__ import annotations

from datetime import date

from bureau import partners as p
from bureau.stories.story import Chapter, Story


def zeeland() -> Story:
    """A shipbuilder's VR/AR question for HZ, and a guest lecture at Scalda."""
    xr, scalda, hz = "damen-naval-xr", "scalda", "hz"
    vr = ("vr-ar",)
    organisations = [
        p.regional_organisation(xr, "company", region="4381", themes=vr),
        p.regional_organisation(scalda, "school", region="4382", levels=("mbo-4",), themes=vr),
        p.regional_organisation(hz, "school", region="4382", levels=("hbo",), themes=vr),
    ]
    research = p.question(
        "xr-training-twin",
        owner_id=xr,
        levels=("hbo", "wo"),
        themes=("vr-ar",),
        region="4381",
        team_min=2,
        team_max=4,
    )
    guide = p.specialist(
        "xr-guide-1", company_id=xr, levels=("mbo-4", "hbo"), themes=("vr-ar",), region="4381"
    )
    march = (date(2027, 3, 1), date(2027, 3, 31))
    april = (date(2027, 4, 1), date(2027, 4, 30))
    requests = [
        p.lecture_request("scalda-vr", school_id=scalda, window=march, themes=vr, region="4382"),
        p.lecture_request(
            "hz-ar", school_id=hz, level="hbo", window=april, themes=vr, region="4382"
        ),
    ]
    return Story(
        region="zeeland",
        title="Zeeland: VR/AR research and a guest lecture",
        intro=(
            "A naval shipbuilder asks HZ students to research a VR training twin, and lends "
            "a specialist for guest lectures at Scalda and HZ. A booking outside the "
            "school's window is refused."
        ),
        chapters=[
            Chapter("The shipbuilder, Scalda and HZ join", "organisations", organisations),
            Chapter("The shipbuilder posts a VR/AR research question", "research", [research]),
            Chapter("It makes a specialist available", "specialists", [guide]),
            Chapter("Scalda asks for a lecture in March, HZ in April", "lectures", requests),
            Chapter(
                "Scalda books the specialist on 12 March; HZ, by mistake, on 15 May",
                "lectures",
                [
                    p.lecture_booking(
                        "scalda-vr", "xr-guide-1", date(2027, 3, 12), school_id=scalda
                    ),
                    p.lecture_booking("hz-ar", "xr-guide-1", date(2027, 5, 15), school_id=hz),
                ],
            ),
        ],
        expect_dead_letters=1,
    )
