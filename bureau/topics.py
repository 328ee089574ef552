"""Topic and consumer-group names: ``bureau.<area>.v<N>``, ``bureau-<purpose>``, ``<topic>.dlq``."""

from __future__ import annotations

from dataclasses import dataclass

from bureau.settings import Settings


class Purpose:
    """Consumer-group purposes: the group of purpose ``p`` is ``bureau-<p>``."""

    OFFER_BOOK = "offer-book"
    STUDENTS = "student-projector"
    ORGANISATIONS = "organisation-projector"
    RESEARCH = "research"
    LECTURES = "lectures"
    SPECIALISTS = "specialist-projector"
    ROUNDS = "rounds"


class Table:
    """Tables every worker keeps in memory, each fed from a changelog topic of bureau's."""

    STUDENTS = "students"
    OFFERS = "offers"
    ORGANISATIONS = "organisations"
    SPECIALISTS = "specialists"
    REQUESTS = "requests"

    ALL = (STUDENTS, OFFERS, ORGANISATIONS, SPECIALISTS, REQUESTS)


def dlq(topic: str) -> str:
    """Return the dead-letter topic of ``topic``."""
    return f"{topic}.dlq"


@dataclass(frozen=True, kw_only=True)
class Topics:
    """Names of bureau's topics and groups, with the settings' isolation prefixes."""

    prefix: str = ""
    group_prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Topics:
        """Take the prefixes from the settings."""
        return cls(prefix=settings.topic_prefix, group_prefix=settings.group_prefix)

    def _t(self, area: str) -> str:
        return f"{self.prefix}bureau.{area}.v1"

    @property
    def organisations(self) -> str:
        """Companies, schools and public bodies, keyed by organisation id."""
        return self._t("organisations")

    @property
    def students(self) -> str:
        """Pseudonymous student profiles, keyed by student id."""
        return self._t("students")

    @property
    def offers(self) -> str:
        """Internship places, keyed by offer id."""
        return self._t("offers")

    @property
    def applications(self) -> str:
        """Applications and placement decisions, keyed by offer id (co-partitioned)."""
        return self._t("applications")

    @property
    def research(self) -> str:
        """Research questions and teams, keyed by question id."""
        return self._t("research")

    @property
    def lectures(self) -> str:
        """Guest-lecture requests and bookings, keyed by request id."""
        return self._t("lectures")

    @property
    def specialists(self) -> str:
        """Specialists companies make available, keyed by specialist id."""
        return self._t("specialists")

    @property
    def rounds(self) -> str:
        """Matching rounds, rankings and run records, keyed by round id."""
        return self._t("rounds")

    @property
    def matches(self) -> str:
        """Every suggestion bureau makes, keyed by offer id: bureau's own log (audit)."""
        return self._t("matches")

    def suggestions(self, party: str) -> str:
        """Suggestions one company or school may read: one topic per party, for ACLs."""
        return f"{self.prefix}bureau.suggestions.{party}.v1"

    def state(self, table: str) -> str:
        """Bureau's changelog of one table (compacted): what every worker matches from."""
        return f"{self.prefix}bureau.state.{table}.v1"

    @property
    def changelogs(self) -> list[str]:
        """Every changelog topic, read in full by every worker."""
        return [self.state(t) for t in Table.ALL]

    def outcomes(self, school_id: str) -> str:
        """Placement outcomes of one school's students: one topic per school, for ACLs."""
        return f"{self.prefix}bureau.outcomes.{school_id}.v1"

    @property
    def partners(self) -> str:
        """The partner registry (compacted): signing keys and revocations, keyed by org id."""
        return self._t("partners")

    def group(self, purpose: str) -> str:
        """Return the consumer group for ``purpose``."""
        return f"{self.group_prefix}bureau-{purpose}"

    @property
    def inbound(self) -> list[str]:
        """Topics partners publish to."""
        return [
            self.organisations,
            self.students,
            self.offers,
            self.applications,
            self.research,
            self.lectures,
            self.specialists,
            self.rounds,
        ]

    def all(self) -> list[str]:
        """Every fixed topic bureau reads or writes, dead letters included."""
        return [
            *self.inbound,
            *(dlq(t) for t in self.inbound),
            self.matches,
            *self.changelogs,
            self.statistics,
        ]

    @property
    def statistics(self) -> str:
        """The open statistics feed (compacted), keyed ``<dimension>:<value>``."""
        return self._t("statistics")
