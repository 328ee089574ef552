"""Signed envelopes and the partner registry, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka.admin import AclOperation

from bureau.security.acls import partner_acls, partner_topics
from bureau.security.signing import (
    SIGNATURE,
    SIGNER,
    PartnerEntry,
    PartnerRegistry,
    Refusal,
    ensure_private_key,
    generate_key,
    public_key_text,
    signed_headers,
    verify,
)
from bureau.topics import Topics

KEY = generate_key()
OTHER = generate_key()


def _registry(**revoked: bool) -> PartnerRegistry:
    registry = PartnerRegistry()
    for org, key in (("school-a", KEY), ("school-b", OTHER)):
        entry = PartnerEntry(
            org=org, kind="school", public_key=public_key_text(key), revoked=revoked.get(org, False)
        )
        registry.apply(org.encode(), entry.to_json())
    return registry


def test_a_record_signed_by_its_source_is_accepted() -> None:
    headers = signed_headers("school-a", KEY, b"k", b"v")
    assert verify(_registry(), b"k", b"v", headers, "school-a") is None


@pytest.mark.parametrize(
    ("headers", "source", "reason"),
    [
        ([], "school-a", Refusal.UNSIGNED),
        (signed_headers("school-b", OTHER, b"k", b"v"), "school-a", Refusal.NOT_SOURCE),
        (signed_headers("school-a", OTHER, b"k", b"v"), "school-a", Refusal.BAD),
        (signed_headers("nobody", KEY, b"k", b"v"), "nobody", Refusal.UNKNOWN),
        ([(SIGNER, b"school-a"), (SIGNATURE, b"not base64!")], "school-a", Refusal.BAD),
    ],
)
def test_forged_or_missing_signatures_are_refused(
    headers: list[tuple[str, bytes]], source: str, reason: str
) -> None:
    assert verify(_registry(), b"k", b"v", headers, source) == reason


def test_the_signature_covers_key_and_value() -> None:
    headers = signed_headers("school-a", KEY, b"k", b"v")
    assert verify(_registry(), b"other-key", b"v", headers, "school-a") == Refusal.BAD
    assert verify(_registry(), b"k", b"v2", headers, "school-a") == Refusal.BAD


def test_a_revoked_signer_is_refused_and_a_tombstone_forgets_it() -> None:
    headers = signed_headers("school-a", KEY, b"k", b"v")
    assert verify(_registry(**{"school-a": True}), b"k", b"v", headers, "school-a") == (
        Refusal.REVOKED
    )
    registry = _registry()
    registry.apply(b"school-a", None)
    assert verify(registry, b"k", b"v", headers, "school-a") == Refusal.UNKNOWN


def test_headers_may_come_as_a_mapping_of_strings() -> None:
    signer, signature = signed_headers("school-a", KEY, b"k", b"v")
    headers = {signer[0]: signer[1].decode(), signature[0]: signature[1].decode()}
    assert verify(_registry(), b"k", b"v", headers, "school-a") is None


def test_a_key_file_is_owner_only_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "bureau.key"
    first = ensure_private_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert public_key_text(ensure_private_key(path)) == public_key_text(first)


def test_acls_follow_the_kind_and_the_prefix() -> None:
    topics = Topics(prefix="t1.", group_prefix="t1.")
    assert partner_topics(topics, "s", "school") == [
        "t1.bureau.outcomes.s.v1",
        "t1.bureau.suggestions.s.v1",
    ]
    assert partner_topics(topics, "c", "company") == ["t1.bureau.suggestions.c.v1"]
    reads = {
        a.name for a in partner_acls(topics, "c", "company") if a.operation == AclOperation.READ
    }
    assert reads == {"t1.bureau.suggestions.c.v1", "c."}


def test_bureaus_publisher_signs_each_record_for_its_own_key_and_value() -> None:
    """One signature per record body, reused for its other topics, never for another."""
    from bureau.adapters.kafka import KafkaPublisher

    publisher = KafkaPublisher("unused:9092", signer=("school-a", KEY))
    records = [(b"k", b"v1"), (b"k", b"v2"), (b"k2", b"v1"), (b"k", b"v1")]
    for key, value in records:
        headers = publisher._signed(("school-a", KEY), key, value)
        assert verify(_registry(), key, value, headers, "school-a") is None
    assert len(publisher._signatures) == 3  # the repeated record was signed once
