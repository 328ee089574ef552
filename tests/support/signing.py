"""Partners' signatures for the test helpers: a key per source, enrolled in the registry.

The helpers write as the admin (they stand in for every partner at once), so they need
only the signing half of onboarding: each envelope ``source`` gets an Ed25519 key whose
public half goes to the test's registry topic through ``partners.publish_entries``, the
code ``partners add`` registers keys with. The demo and ``tests/security`` onboard
partners fully (credentials, ACLs) with ``partners.add``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bureau.schemas.envelope import BUREAU
from bureau.security import partners
from bureau.security.signing import PartnerEntry, generate_key, public_key_text, signed_headers
from bureau.settings import Settings
from bureau.topics import Topics

_KEYS: dict[tuple[str, str, str], Ed25519PrivateKey] = {}
"""(bootstrap, registry topic, org) → the key enrolled for that org there."""


def settings_for(bootstrap: str, topic: str) -> Settings:
    """The session's settings (credentials from ``BUREAU_*``) with ``topic``'s prefix."""
    # Topics are "<prefix>bureau.<area>.v1"; the registry is "<prefix>bureau.partners.v1".
    prefix = topic[: topic.find("bureau.")] if "bureau." in topic else ""
    return Settings(kafka_bootstrap=bootstrap, topic_prefix=prefix)


def _where(settings: Settings, org: str) -> tuple[str, str, str]:
    return settings.kafka_bootstrap, Topics.from_settings(settings).partners, org


def enrol(settings: Settings, orgs: Iterable[str]) -> None:
    """Register a fresh key for each of ``orgs`` not enrolled yet (never ``bureau``)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return
    new = {o: generate_key() for o in set(orgs) if o != BUREAU and _where(settings, o) not in _KEYS}
    if not new:
        return
    partners.publish_entries(
        settings,
        [PartnerEntry(org=o, kind="test", public_key=public_key_text(k)) for o, k in new.items()],
    )
    _KEYS.update({_where(settings, o): k for o, k in new.items()})


def source_of(value: bytes) -> str | None:
    """The envelope's ``source``, if ``value`` is a JSON object that has one."""
    try:
        found = json.loads(value)
    except ValueError:
        return None
    source = found.get("source") if isinstance(found, dict) else None
    return source if isinstance(source, str) else None


def headers(settings: Settings, key: bytes | None, value: bytes) -> list[tuple[str, bytes]]:
    """Sign ``value`` as its source with an enrolled key; none for unreadable bodies."""
    source = source_of(value)
    if source is None or settings.kafka_security_protocol == "PLAINTEXT":
        return []
    enrol(settings, [source])
    found = _KEYS.get(_where(settings, source))
    return [] if found is None else signed_headers(source, found, key, value)


async def enrol_async(settings: Settings, values: Iterable[bytes]) -> None:
    """``enrol`` the sources of ``values`` without blocking the event loop."""
    sources = {s for v in values if (s := source_of(v)) is not None}
    await asyncio.to_thread(enrol, settings, sources)
