"""Wire contracts: pydantic models of every event on bureau's topics."""

from bureau.schemas.common import Level, PostcodeArea, Skill
from bureau.schemas.envelope import Envelope, Identifier, UtcDatetime
from bureau.schemas.matches import MatchSuggested, MatchSuggestedData
from bureau.schemas.offers import (
    InternshipOffered,
    InternshipOfferedData,
    OfferEvent,
    offer_event,
)
from bureau.schemas.students import (
    StudentEvent,
    StudentRegistered,
    StudentRegisteredData,
    student_event,
)

__all__ = [
    "Envelope",
    "Identifier",
    "InternshipOffered",
    "InternshipOfferedData",
    "Level",
    "MatchSuggested",
    "MatchSuggestedData",
    "OfferEvent",
    "PostcodeArea",
    "Skill",
    "StudentEvent",
    "StudentRegistered",
    "StudentRegisteredData",
    "UtcDatetime",
    "offer_event",
    "student_event",
]
