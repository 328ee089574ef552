"""Wire contracts: pydantic models of every event on bureau's topics."""

from bureau.schemas.applications import ApplicationEvent, application_event
from bureau.schemas.common import Level, Period, PostcodeArea, Skill, Theme
from bureau.schemas.envelope import BUREAU, Envelope, Identifier, UtcDatetime
from bureau.schemas.lectures import LectureEvent, SpecialistEvent, lecture_event, specialist_event
from bureau.schemas.matches import MatchSuggested, MatchSuggestedData
from bureau.schemas.offers import (
    InternshipOffered,
    InternshipOfferUpdated,
    InternshipOfferWithdrawn,
    OfferDetails,
    OfferEvent,
    offer_event,
)
from bureau.schemas.organisations import OrganisationEvent, organisation_event
from bureau.schemas.outcomes import Outcome, PlacementOutcome, PlacementStatus
from bureau.schemas.research import ResearchEvent, research_event
from bureau.schemas.students import (
    ConsentEvent,
    ConsentGiven,
    ConsentWithdrawn,
    StudentErased,
    StudentEvent,
    StudentProfile,
    StudentProfileUpdated,
    StudentRegistered,
    consent_event,
    student_event,
)

__all__ = [
    "BUREAU",
    "ApplicationEvent",
    "ConsentEvent",
    "ConsentGiven",
    "ConsentWithdrawn",
    "Envelope",
    "Identifier",
    "InternshipOfferUpdated",
    "InternshipOfferWithdrawn",
    "InternshipOffered",
    "LectureEvent",
    "Level",
    "MatchSuggested",
    "MatchSuggestedData",
    "OfferDetails",
    "OfferEvent",
    "OrganisationEvent",
    "Outcome",
    "Period",
    "PlacementOutcome",
    "PlacementStatus",
    "PostcodeArea",
    "ResearchEvent",
    "Skill",
    "SpecialistEvent",
    "StudentErased",
    "StudentEvent",
    "StudentProfile",
    "StudentProfileUpdated",
    "StudentRegistered",
    "Theme",
    "UtcDatetime",
    "application_event",
    "consent_event",
    "lecture_event",
    "offer_event",
    "organisation_event",
    "research_event",
    "specialist_event",
    "student_event",
]
