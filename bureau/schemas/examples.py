"""One example of every event and record, for the AsyncAPI document (validated in tests)."""

from __future__ import annotations

from typing import Any

AT = "2026-09-01T09:00:00Z"


def _e(event_type: str, source: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-8000-{event_id:0>12}",
        "event_type": event_type,
        "occurred_at": AT,
        "source": source,
        "schema_version": 1,
        "data": data,
    }


_APP = {"application_id": "app-7f3a-soc", "offer_id": "soc-analyst", "student_id": "st-7f3a"}
_COMPANY, _SCHOOL = "northsea-secure", "roc-amsterdam"

EXAMPLES: dict[str, dict[str, Any]] = {
    "OrganisationRegistered": _e(
        "OrganisationRegistered",
        _SCHOOL,
        "1",
        {
            "organisation_id": _SCHOOL,
            "kind": "school",
            "name": "ROC Amsterdam",
            "region": "1091",
            "themes": ["cybersecurity"],
            "levels": ["mbo-3", "mbo-4"],
        },
    ),
    "StudentRegistered": _e(
        "StudentRegistered",
        _SCHOOL,
        "2",
        {
            "student_id": "st-7f3a",
            "school_id": _SCHOOL,
            "level": "mbo-4",
            "programme": "Expert IT systems and devices",
            "crebo": "25604",
            "skills": ["linux", "networking"],
            "themes": ["cybersecurity"],
            "region": "1091",
            "available": {"start": "2027-02-01", "end": "2027-06-30"},
            "age_band": "16-17",
            "consent": True,
        },
    ),
    "StudentProfileUpdated": _e(
        "StudentProfileUpdated",
        _SCHOOL,
        "3",
        {
            "student_id": "st-7f3a",
            "school_id": _SCHOOL,
            "level": "mbo-4",
            "programme": "Expert IT systems and devices",
            "skills": ["linux", "networking", "siem"],
            "region": "1091",
            "age_band": "18+",
            "consent": True,
            "statistics_consent": True,
            "gender": "female",
        },
    ),
    "StudentErased": _e(
        "StudentErased", _SCHOOL, "4", {"student_id": "st-7f3a", "school_id": _SCHOOL}
    ),
    "ConsentGiven": _e(
        "ConsentGiven",
        _SCHOOL,
        "34",
        {
            "student_id": "st-7f3a",
            "school_id": _SCHOOL,
            "by": "student",
            "purposes": ["matching", "teams"],
        },
    ),
    "ConsentWithdrawn": _e(
        "ConsentWithdrawn",
        _SCHOOL,
        "35",
        {"student_id": "st-7f3a", "school_id": _SCHOOL, "by": "student", "purposes": ["teams"]},
    ),
    "InternshipOffered": _e(
        "InternshipOffered",
        _COMPANY,
        "5",
        {
            "offer_id": "soc-analyst",
            "company_id": _COMPANY,
            "title": "SOC analyst intern",
            "levels": ["mbo-4", "hbo"],
            "skills": ["linux", "siem"],
            "nice_to_have": ["python"],
            "themes": ["cybersecurity"],
            "region": "1012",
            "period": {"start": "2027-02-01", "end": "2027-06-30"},
            "mode": "hybrid",
            "capacity": 2,
        },
    ),
    "InternshipOfferUpdated": _e(
        "InternshipOfferUpdated",
        _COMPANY,
        "6",
        {
            "offer_id": "soc-analyst",
            "company_id": _COMPANY,
            "title": "SOC analyst intern",
            "levels": ["mbo-4", "hbo"],
            "skills": ["linux", "siem"],
            "region": "1012",
            "capacity": 3,
        },
    ),
    "InternshipOfferWithdrawn": _e(
        "InternshipOfferWithdrawn",
        _COMPANY,
        "7",
        {
            "offer_id": "soc-analyst",
            "company_id": _COMPANY,
            "reason": "project cancelled",
        },
    ),
    "ApplicationSubmitted": _e("ApplicationSubmitted", _SCHOOL, "8", _APP),
    "ApplicationWithdrawn": _e("ApplicationWithdrawn", _SCHOOL, "9", _APP),
    "CandidateShortlisted": _e("CandidateShortlisted", _COMPANY, "10", _APP),
    "ApplicationRejected": _e(
        "ApplicationRejected", _COMPANY, "11", {**_APP, "reason": "no SIEM experience"}
    ),
    "PlacementOffered": _e("PlacementOffered", _COMPANY, "12", _APP),
    "PlacementAccepted": _e("PlacementAccepted", _SCHOOL, "13", _APP),
    "PlacementDeclined": _e("PlacementDeclined", _SCHOOL, "14", _APP),
    "PlacementConfirmed": _e(
        "PlacementConfirmed", _COMPANY, "15", {**_APP, "start": "2027-02-01", "end": "2027-06-30"}
    ),
    "PlacementCompleted": _e(
        "PlacementCompleted",
        _COMPANY,
        "16",
        {**_APP, "rating": 5, "remarks": "independent and careful"},
    ),
    "ResearchQuestionPosted": _e(
        "ResearchQuestionPosted",
        "pwn-water",
        "17",
        {
            "question_id": "dune-crowds",
            "owner_id": "pwn-water",
            "kind": "makathon",
            "title": "Crowd monitoring in the dunes",
            "levels": ["mbo-4", "hbo", "wo"],
            "themes": ["smart-industry", "data"],
            "region": "2011",
            "team_min": 3,
            "team_max": 6,
            "composition": [
                {"level": "mbo-4", "at_least": 1},
                {"level": "hbo", "at_least": 1},
                {"level": "wo", "at_least": 1},
            ],
            "deadline": "2027-03-15",
        },
    ),
    "ResearchQuestionClosed": _e(
        "ResearchQuestionClosed", "pwn-water", "18", {"question_id": "dune-crowds"}
    ),
    "ResearchTeamProposed": _e(
        "ResearchTeamProposed",
        "nova-college",
        "19",
        {
            "question_id": "dune-crowds",
            "team_id": "team-dunes-1",
            "members": [
                {"student_id": "st-11aa", "level": "mbo-4"},
                {"student_id": "st-22bb", "level": "hbo"},
                {"student_id": "st-33cc", "level": "wo"},
            ],
        },
    ),
    "GuestLectureRequested": _e(
        "GuestLectureRequested",
        "scalda",
        "20",
        {
            "request_id": "vr-lecture-1",
            "school_id": "scalda",
            "topic": "VR in shipbuilding",
            "themes": ["vr-ar"],
            "level": "mbo-4",
            "window": {"start": "2027-03-01", "end": "2027-03-31"},
            "region": "4381",
            "language": "nl",
        },
    ),
    "GuestLectureBooked": _e(
        "GuestLectureBooked",
        "scalda",
        "21",
        {
            "request_id": "vr-lecture-1",
            "specialist_id": "sp-damen-vr",
            "on": "2027-03-12",
        },
    ),
    "GuestLectureCancelled": _e(
        "GuestLectureCancelled",
        "scalda",
        "22",
        {
            "request_id": "vr-lecture-1",
            "reason": "exam week moved",
        },
    ),
    "SpecialistAvailable": _e(
        "SpecialistAvailable",
        "damen-naval",
        "23",
        {
            "specialist_id": "sp-damen-vr",
            "company_id": "damen-naval",
            "expertise": "VR training",
            "themes": ["vr-ar"],
            "levels": ["mbo-4", "hbo"],
            "languages": ["nl", "en"],
            "available": {"start": "2027-01-01", "end": "2027-12-31"},
            "region": "4382",
        },
    ),
    "PlacementAllocated": _e(
        "PlacementAllocated",
        "bureau",
        "26",
        {
            **_APP,
            "application_id": "spring-2027.st-7f3a",
            "round_id": "spring-2027",
        },
    ),
    "MatchingRoundOpened": _e(
        "MatchingRoundOpened",
        "cscmra",
        "27",
        {
            "round_id": "spring-2027",
            "coordinator_id": "cscmra",
            "offer_ids": ["soc-analyst", "pentest", "cloud-ops"],
        },
    ),
    "PreferencesSubmitted": _e(
        "PreferencesSubmitted",
        _SCHOOL,
        "28",
        {
            "round_id": "spring-2027",
            "student_id": "st-7f3a",
            "offer_ids": ["soc-analyst", "cloud-ops"],
        },
    ),
    "ApplicantsRanked": _e(
        "ApplicantsRanked",
        _COMPANY,
        "29",
        {
            "round_id": "spring-2027",
            "offer_id": "soc-analyst",
            "student_ids": ["st-c4d1", "st-7f3a"],
        },
    ),
    "MatchingRoundClosed": _e("MatchingRoundClosed", "cscmra", "30", {"round_id": "spring-2027"}),
    "MatchingRoundRun": _e(
        "MatchingRoundRun",
        "bureau",
        "31",
        {
            "round_id": "spring-2027",
            "algorithm_version": "deferred-acceptance/student-proposing/1",
            "inputs_hash": "sha256:" + "0" * 64,
            "students": 120,
            "places": 95,
            "placed": 91,
            "unplaced": 29,
        },
    ),
    "MatchSuggested": _e(
        "MatchSuggested",
        "bureau",
        "24",
        {
            "offer_id": "soc-analyst",
            "company_id": _COMPANY,
            "student_id": "st-7f3a",
            "school_id": _SCHOOL,
            "score": 0.67,
            "reasons": ["level mbo-4 is accepted", "shared skills: linux, networking"],
        },
    ),
    "LectureMatchSuggested": _e(
        "LectureMatchSuggested",
        "bureau",
        "32",
        {
            "request_id": "vr-lecture-1",
            "school_id": "scalda",
            "specialist_id": "sp-damen-vr",
            "company_id": "damen-naval",
            "score": 0.91,
            "reasons": ["teaches mbo-4 in nl", "themes: vr-ar", "about 3 km away"],
        },
    ),
    "ResearchMatchSuggested": _e(
        "ResearchMatchSuggested",
        "bureau",
        "33",
        {
            "question_id": "dune-crowds",
            "owner_id": "pwn-water",
            "school_id": "nova-college",
            "score": 0.7,
            "reasons": ["teaches mbo-4", "themes: data", "about 5 km away"],
        },
    ),
    "PlacementOutcome": _e(
        "PlacementOutcome",
        "bureau",
        "25",
        {
            "student_id": "st-7f3a",
            "school_id": _SCHOOL,
            "application_id": "app-7f3a-soc",
            "offer_id": "soc-analyst",
            "company_id": _COMPANY,
            "status": "confirmed",
            "start": "2027-02-01",
            "end": "2027-06-30",
        },
    ),
    "StatisticsRow": {
        "schema": "bureau.statistics/1",
        "dimension": "level",
        "value": "mbo-4",
        "places_offered": None,
        "places_filled": None,
        "students": 240,
        "students_placed": 96,
        "placement_rate": 0.4,
        "median_days_to_placement": 12.5,
        "continued_mbo_to_hbo": 7,
        "female_share_of_placed": None,
        "suppressed": ["female_share_of_placed"],
    },
    "ConsentWithdrawalApplied": _e(
        "ConsentWithdrawalApplied",
        "bureau",
        "36",
        {"student_id": "st-7f3a", "school_id": _SCHOOL, "purposes": ["matching"]},
    ),
}
