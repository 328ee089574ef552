"""Events on ``bureau.research.v1`` (key: question id): research questions and teams."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from bureau.schemas.common import (
    Frozen,
    Level,
    Levels,
    PostcodeArea,
    Text,
    Themes,
    Title,
    WireDate,
    distinct,
)
from bureau.schemas.envelope import Envelope, Identifier


class QuestionKind(StrEnum):
    """Research, a practice assignment, or a makathon (a short team challenge)."""

    RESEARCH = "research"
    ASSIGNMENT = "assignment"
    MAKATHON = "makathon"


class LevelQuota(Frozen):
    """A composition wish: at least ``at_least`` members of ``level``."""

    level: Level
    at_least: int = Field(ge=1, le=20)


class QuestionDetails(Frozen):
    """A question a company or public body brings to education."""

    question_id: Identifier
    owner_id: Identifier
    kind: QuestionKind
    title: Title
    description: Text = ""
    levels: Levels
    themes: Themes = frozenset()
    region: PostcodeArea
    team_min: int = Field(ge=1, le=30)
    team_max: int = Field(ge=1, le=30)
    composition: tuple[LevelQuota, ...] = ()
    deadline: WireDate

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.team_max < self.team_min:
            raise ValueError("team_max is below team_min")
        if sum(q.at_least for q in self.composition) > self.team_max:
            raise ValueError("the composition wishes need more members than team_max")
        if any(q.level not in self.levels for q in self.composition):
            raise ValueError("a composition wish names a level the question does not take")
        return self


class ResearchQuestionPosted(Envelope):
    """A company or public body posted a research question, assignment or makathon."""

    event_type: Literal["ResearchQuestionPosted"]
    data: QuestionDetails

    @model_validator(mode="after")
    def _owner_speaks(self) -> Self:
        if self.data.owner_id != self.source:
            raise ValueError("source must be the question's owner")
        return self


class QuestionRef(Frozen):
    """Which question an event is about."""

    question_id: Identifier


class ResearchQuestionClosed(Envelope):
    """The owner closed the question: no more teams."""

    event_type: Literal["ResearchQuestionClosed"]
    data: QuestionRef


class TeamMember(Frozen):
    """A pseudonymous student and their level."""

    student_id: Identifier
    level: Level


class TeamProposal(Frozen):
    """A team put forward for a question."""

    question_id: Identifier
    team_id: Identifier
    members: tuple[TeamMember, ...] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        distinct(tuple(m.student_id for m in self.members), "a student appears twice in the team")
        return self


class ResearchTeamProposed(Envelope):
    """A school or bureau proposed a (possibly mixed-level) team for a question."""

    event_type: Literal["ResearchTeamProposed"]
    data: TeamProposal


ResearchEvent = Annotated[
    ResearchQuestionPosted | ResearchQuestionClosed | ResearchTeamProposed,
    Field(discriminator="event_type"),
]
research_event: TypeAdapter[ResearchEvent] = TypeAdapter(ResearchEvent)
