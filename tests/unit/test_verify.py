"""The worker's rule: an envelope's source is believed only on its own signature."""

from __future__ import annotations

import dataclasses

import pytest

from bureau.security.partners import BUREAU_KIND
from bureau.security.signing import (
    PartnerEntry,
    PartnerRegistry,
    Refusal,
    generate_key,
    public_key_text,
    signed_headers,
)
from bureau.security.verify import NOT_BUREAU, check, signatures_required
from bureau.settings import Settings

SCHOOL, BUREAUS, ROGUE = generate_key(), generate_key(), generate_key()


def _registry() -> PartnerRegistry:
    registry = PartnerRegistry()
    for org, kind, key in (
        ("school-a", "school", SCHOOL),
        ("bureau", BUREAU_KIND, BUREAUS),
        ("rogue", "company", ROGUE),
    ):
        entry = PartnerEntry(org=org, kind=kind, public_key=public_key_text(key))
        registry.apply(org.encode(), entry.to_json())
    return registry


def test_a_partner_and_bureau_each_speak_with_their_own_key() -> None:
    registry = _registry()
    assert (
        check(registry, b"k", b"v", signed_headers("school-a", SCHOOL, b"k", b"v"), "school-a")
        is None
    )
    assert (
        check(registry, b"k", b"v", signed_headers("bureau", BUREAUS, b"k", b"v"), "bureau") is None
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([], Refusal.UNSIGNED),
        (signed_headers("rogue", ROGUE, b"k", b"v"), Refusal.NOT_SOURCE),
        (signed_headers("bureau", ROGUE, b"k", b"v"), Refusal.BAD),
    ],
    ids=["unsigned", "signed-as-itself", "signed-as-bureau-with-its-key"],
)
def test_nobody_else_speaks_as_bureau(headers: list[tuple[str, bytes]], reason: str) -> None:
    assert check(_registry(), b"k", b"v", headers, "bureau") == reason


def test_bureaus_principal_name_signs_bureaus_events() -> None:
    """bureau's events say source 'bureau'; the key is registered under its principal."""
    registry = PartnerRegistry()
    entry = PartnerEntry(org="bureau-prod", kind=BUREAU_KIND, public_key=public_key_text(BUREAUS))
    registry.apply(b"bureau-prod", entry.to_json())
    headers = signed_headers("bureau-prod", BUREAUS, b"k", b"v")
    assert check(registry, b"k", b"v", headers, "bureau", bureau_signer="bureau-prod") is None
    # A partner's key registered under bureau's name is not bureau's key.
    registry.apply(b"bureau-prod", dataclasses.replace(entry, kind="company").to_json())
    assert check(registry, b"k", b"v", headers, "bureau", bureau_signer="bureau-prod") == (
        NOT_BUREAU
    )


def test_bureaus_key_vouches_for_a_partner_event_it_re_publishes() -> None:
    """A parked event comes back re-encoded under bureau's signature, source unchanged."""
    headers = signed_headers("bureau", BUREAUS, b"k", b"v")
    assert check(_registry(), b"k", b"v", headers, "school-a") is None
    # Nobody else's key vouches: the rogue's signature holds only for the rogue.
    forged = signed_headers("bureau", ROGUE, b"k", b"v")
    assert check(_registry(), b"k", b"v", forged, "school-a") == Refusal.BAD


def test_signatures_are_required_on_a_secured_broker_unless_switched_off() -> None:
    secured = Settings(kafka_security_protocol="SASL_PLAINTEXT")
    assert signatures_required(secured)
    assert not signatures_required(secured.model_copy(update={"require_signatures": False}))
    assert not signatures_required(Settings(kafka_security_protocol="PLAINTEXT"))
