"""Who may do what: the ACLs of bureau's principal and of each partner kind (no I/O)."""

from __future__ import annotations

from typing import Literal

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from bureau.settings import Settings
from bureau.topics import Topics

Kind = Literal["school", "company", "public-body"]
KINDS: tuple[Kind, ...] = ("school", "company", "public-body")

_ALLOW = AclPermissionType.ALLOW
_LITERAL = ResourcePatternType.LITERAL
_PREFIXED = ResourcePatternType.PREFIXED


def principal(user: str) -> str:
    """Return the Kafka principal of a SCRAM user."""
    return f"User:{user}"


def _allow(
    user: str,
    restype: ResourceType,
    name: str,
    pattern: ResourcePatternType,
    *operations: AclOperation,
) -> list[AclBinding]:
    return [
        AclBinding(restype, name, pattern, principal(user), "*", op, _ALLOW) for op in operations
    ]


def bureau_acls(settings: Settings) -> list[AclBinding]:
    """The bureau worker: everything under its own topic and group prefixes, nothing else."""
    user, topics = settings.kafka_username, Topics.from_settings(settings)
    ops = (AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE)
    return [
        *_allow(user, ResourceType.TOPIC, f"{topics.prefix}bureau.", _PREFIXED, *ops),
        # DESCRIBE_CONFIGS: ensure_topics and replay read topic configs.
        *_allow(
            user,
            ResourceType.TOPIC,
            f"{topics.prefix}bureau.",
            _PREFIXED,
            AclOperation.DESCRIBE_CONFIGS,
        ),
        *_allow(
            user,
            ResourceType.GROUP,
            f"{topics.group_prefix}bureau-",
            _PREFIXED,
            AclOperation.READ,
            AclOperation.DESCRIBE,
        ),
    ]


def partner_acls(topics: Topics, org: str, kind: Kind) -> list[AclBinding]:
    """A partner: write the inbound topics, read its own topics, its own groups."""
    acls: list[AclBinding] = []
    for topic in topics.inbound:
        acls += _allow(
            org, ResourceType.TOPIC, topic, _LITERAL, AclOperation.WRITE, AclOperation.DESCRIBE
        )
    for topic in partner_topics(topics, org, kind):
        acls += _allow(org, ResourceType.TOPIC, topic, _LITERAL, AclOperation.READ)
    acls += _allow(org, ResourceType.GROUP, f"{org}.", _PREFIXED, AclOperation.READ)
    return acls


def partner_topics(topics: Topics, org: str, kind: Kind) -> list[str]:
    """The topics a partner reads (created for it at onboarding)."""
    if kind == "school":
        return [topics.outcomes(org), topics.suggestions(org)]
    if kind == "company":
        return [topics.suggestions(org)]
    return []
