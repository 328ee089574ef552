"""The catalog: every channel, who publishes on it, its key, and its events."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from bureau.schemas import applications as app
from bureau.schemas import lectures, offers, organisations, research, rounds, students
from bureau.schemas.envelope import Envelope
from bureau.schemas.matches import LectureMatchSuggested, MatchSuggested, ResearchMatchSuggested
from bureau.schemas.outcomes import ConsentWithdrawalApplied, PlacementOutcome
from bureau.schemas.statistics import StatisticsRow


@dataclass(frozen=True)
class Channel:
    """A topic (``{school_id}`` stands for one school's id) and what travels on it.

    ``messages`` are events in the envelope; ``records`` are plain rows (the statistics
    feed's); a ``compacted`` topic keeps the latest record per key.
    """

    name: str
    address: str
    key: str
    publishers: str
    description: str
    messages: tuple[type[Envelope], ...]
    inbound: bool = True
    compacted: bool = False
    records: tuple[type[BaseModel], ...] = ()

    @property
    def payloads(self) -> tuple[type[BaseModel], ...]:
        """Everything that travels on the topic: events, then records."""
        return (*self.messages, *self.records)


CATALOG: tuple[Channel, ...] = (
    Channel(
        "organisations",
        "bureau.organisations.v1",
        "organisation id",
        "each organisation",
        "Companies, schools, public bodies and round coordinators joining the exchange; "
        "the first registration fixes an id's kind.",
        (organisations.OrganisationRegistered,),
    ),
    Channel(
        "students",
        "bureau.students.v1",
        "student id (a pseudonym)",
        "the student's school",
        "Pseudonymous student profiles; least data; consent as a record; erasure.",
        (
            students.StudentRegistered,
            students.StudentProfileUpdated,
            students.StudentErased,
            students.ConsentGiven,
            students.ConsentWithdrawn,
        ),
        compacted=True,
    ),
    Channel(
        "offers",
        "bureau.offers.v1",
        "offer id",
        "the offering company",
        "Internship places.",
        (offers.InternshipOffered, offers.InternshipOfferUpdated, offers.InternshipOfferWithdrawn),
    ),
    Channel(
        "applications",
        "bureau.applications.v1",
        "offer id",
        "the student's school (apply, withdraw, accept, decline) or the offering company "
        "(shortlist, reject, offer, confirm, complete); bureau (rejection when full)",
        "The application lifecycle, one offer's applications in order.",
        (
            app.ApplicationSubmitted,
            app.ApplicationWithdrawn,
            app.CandidateShortlisted,
            app.ApplicationRejected,
            app.PlacementOffered,
            app.PlacementAccepted,
            app.PlacementDeclined,
            app.PlacementConfirmed,
            app.PlacementCompleted,
            app.PlacementAllocated,
        ),
    ),
    Channel(
        "research",
        "bureau.research.v1",
        "question id",
        "the question's owner; schools or bureau (teams)",
        "Research questions, assignments and makathons, and proposed teams.",
        (
            research.ResearchQuestionPosted,
            research.ResearchQuestionClosed,
            research.ResearchTeamProposed,
        ),
    ),
    Channel(
        "lectures",
        "bureau.lectures.v1",
        "request id",
        "the requesting school",
        "Guest-lecture requests and their bookings.",
        (
            lectures.GuestLectureRequested,
            lectures.GuestLectureBooked,
            lectures.GuestLectureCancelled,
        ),
    ),
    Channel(
        "specialists",
        "bureau.specialists.v1",
        "specialist id",
        "the specialist's company",
        "Specialists companies make available for guest lectures.",
        (lectures.SpecialistAvailable,),
    ),
    Channel(
        "rounds",
        "bureau.rounds.v1",
        "round id",
        "the coordinator (open, close); schools (preferences); companies (rankings); "
        "bureau (the run record)",
        "Matching rounds: ranked preferences in, one stable allocation out.",
        (
            rounds.MatchingRoundOpened,
            rounds.PreferencesSubmitted,
            rounds.ApplicantsRanked,
            rounds.MatchingRoundClosed,
            rounds.MatchingRoundRun,
        ),
    ),
    Channel(
        "matches",
        "bureau.matches.v1",
        "offer, request or question id",
        "bureau",
        "Match suggestions with reasons: students and offers, specialists and lecture "
        "requests, schools and research questions; bureau's own log (only bureau reads it). "
        "Ids derive from the pair and the versions of both sides.",
        (MatchSuggested, LectureMatchSuggested, ResearchMatchSuggested),
        inbound=False,
    ),
    Channel(
        "suggestions",
        "bureau.suggestions.{party_id}.v1",
        "offer, request or question id",
        "bureau",
        "The suggestions one company or school may read (a copy of those on "
        "bureau.matches.v1 that name it); one topic per party, so access is granted per "
        "party.",
        (MatchSuggested, LectureMatchSuggested, ResearchMatchSuggested),
        inbound=False,
    ),
    Channel(
        "outcomes",
        "bureau.outcomes.{school_id}.v1",
        "student id",
        "bureau",
        "Placement decisions about one school's students, and consent withdrawals taking "
        "effect; one topic per school, so access can be granted per school.",
        (PlacementOutcome, ConsentWithdrawalApplied),
        inbound=False,
    ),
    Channel(
        "statistics",
        "bureau.statistics.v1",
        "`<dimension>:<value>`, e.g. `theme:cybersecurity`",
        "bureau",
        "The open statistics feed: a region's aggregate figures per region, theme, level "
        "and school, small groups suppressed (docs/open-data.md). Compacted: the latest "
        "record per key is the group's current row; a tombstone removes a group.",
        (),
        inbound=False,
        compacted=True,
        records=(StatisticsRow,),
    ),
)
