"""Research questions with their teams, and guest-lecture requests with their bookings."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict

from bureau.domain.decisions import Applied, IdMap, Rejected
from bureau.schemas.lectures import (
    Booking,
    GuestLectureBooked,
    GuestLectureCancelled,
    GuestLectureRequested,
    LectureEvent,
    LectureRequest,
    SpecialistDetails,
)
from bureau.schemas.research import (
    QuestionDetails,
    ResearchEvent,
    ResearchQuestionClosed,
    ResearchQuestionPosted,
    TeamProposal,
)


class Question(BaseModel):
    """A research question, whether it is open, and the teams proposed for it."""

    model_config = ConfigDict(frozen=True)

    details: QuestionDetails
    closed: bool = False
    teams: IdMap[TeamProposal] = {}


def apply_research_event(
    question: Question | None, event: ResearchEvent
) -> Applied[Question] | Rejected:
    """Post or close a question, or accept a team that meets its composition wishes."""
    if isinstance(event, ResearchQuestionPosted):
        if question is not None and question.details != event.data:
            return Rejected(f"question {event.data.question_id} exists")
        return Applied(question or Question(details=event.data))
    if question is None:
        return Rejected(f"question {event.data.question_id} is unknown")
    if question.closed:
        return Rejected("the question is closed")
    if isinstance(event, ResearchQuestionClosed):
        if event.source != question.details.owner_id:
            return Rejected("only the question's owner may close it")
        return Applied(question.model_copy(update={"closed": True}))
    team = event.data
    if team.team_id in question.teams:
        return Rejected(f"team {team.team_id} exists")
    problem = team_problem(question.details, team)
    if problem:
        return Rejected(problem)
    teams = {**question.teams, team.team_id: team}
    return Applied(question.model_copy(update={"teams": teams}))


def team_problem(question: QuestionDetails, team: TeamProposal) -> str:
    """Say why ``team`` does not fit ``question``, or return an empty string."""
    size = len(team.members)
    if not question.team_min <= size <= question.team_max:
        return f"team of {size} outside {question.team_min}..{question.team_max}"
    wrong = sorted({m.level.value for m in team.members if m.level not in question.levels})
    if wrong:
        return f"the question does not take level {', '.join(wrong)}"
    have = Counter(m.level for m in team.members)
    for quota in question.composition:
        if have[quota.level] < quota.at_least:
            return f"needs at least {quota.at_least} {quota.level.value}, has {have[quota.level]}"
    return ""


class LectureBooking(BaseModel):
    """A lecture request and, once booked, its specialist and date."""

    model_config = ConfigDict(frozen=True)

    request: LectureRequest
    booking: Booking | None = None
    company_id: str | None = None
    cancelled: bool = False


def apply_lecture_event(
    lecture: LectureBooking | None, event: LectureEvent, specialist: SpecialistDetails | None
) -> Applied[LectureBooking] | Rejected:
    """Request, book or cancel a guest lecture."""
    if isinstance(event, GuestLectureRequested):
        if lecture is not None and lecture.request != event.data:
            return Rejected(f"request {event.data.request_id} exists")
        return Applied(lecture or LectureBooking(request=event.data))
    if lecture is None:
        return Rejected(f"request {event.data.request_id} is unknown")
    if isinstance(event, GuestLectureCancelled):
        if lecture.booking is None or lecture.cancelled:
            return Rejected("illegal transition: nothing booked to cancel")
        if event.source not in (lecture.request.school_id, lecture.company_id):
            return Rejected("only the school or the specialist's company may cancel")
        return Applied(lecture.model_copy(update={"cancelled": True}))
    assert isinstance(event, GuestLectureBooked)
    return _book(lecture, event, specialist)


def _book(
    lecture: LectureBooking, event: GuestLectureBooked, specialist: SpecialistDetails | None
) -> Applied[LectureBooking] | Rejected:
    request, booking = lecture.request, event.data
    if event.source != request.school_id:
        return Rejected("only the requesting school may book")
    if lecture.booking is not None and not lecture.cancelled:
        return Rejected("illegal transition: the request is already booked")
    if specialist is None:
        return Rejected(f"specialist {booking.specialist_id} is unknown")
    if not request.window.start <= booking.on <= request.window.end:
        return Rejected("the date is outside the request's window")
    if not specialist.available.start <= booking.on <= specialist.available.end:
        return Rejected("the specialist is not available on that date")
    if request.level not in specialist.levels or request.language not in specialist.languages:
        return Rejected("the specialist does not teach this level or language")
    return Applied(
        lecture.model_copy(
            update={"booking": booking, "company_id": specialist.company_id, "cancelled": False}
        )
    )
