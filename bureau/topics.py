"""Topic and consumer-group names: ``bureau.<area>.v<N>``, ``bureau-<purpose>``, ``<topic>.dlq``."""

from __future__ import annotations

from dataclasses import dataclass

from bureau.settings import Settings


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

    @property
    def offers(self) -> str:
        """Internship places, keyed by offer id."""
        return f"{self.prefix}bureau.offers.v1"

    @property
    def students(self) -> str:
        """Pseudonymous student profiles, keyed by student id."""
        return f"{self.prefix}bureau.students.v1"

    @property
    def matches(self) -> str:
        """Match suggestions, keyed by offer id."""
        return f"{self.prefix}bureau.matches.v1"

    def group(self, purpose: str) -> str:
        """Return the consumer group for ``purpose``."""
        return f"{self.group_prefix}bureau-{purpose}"

    def all(self) -> list[str]:
        """Every topic bureau reads or writes, dead letters included."""
        inbound = [self.offers, self.students]
        return [*inbound, *(dlq(t) for t in inbound), self.matches]
