"""The worker's signature check: an envelope's ``source`` must be the record's signer.

``check`` is the rule (pure); ``SignatureCheck`` applies it to inbound records against
the registry a ``RegistryFollower`` keeps current, so onboarding and revocation take
effect without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka.structs import ConsumerRecord

from bureau.schemas.envelope import BUREAU
from bureau.security.client import aiokafka_security
from bureau.security.partners import BUREAU_KIND
from bureau.security.registry import RegistryFollower
from bureau.security.signing import (
    Headers,
    PartnerEntry,
    PartnerRegistry,
    Refusal,
    signer_of,
    verify,
)
from bureau.settings import Settings
from bureau.topics import Topics

NOT_BUREAU = "only bureau's own key signs as bureau"
_MAY_CHANGE = frozenset({Refusal.UNKNOWN, Refusal.REVOKED, Refusal.BAD, NOT_BUREAU})
"""Refusals a registry record not yet read could turn into an acceptance (or the reverse)."""


def check(
    registry: Mapping[str, PartnerEntry],
    key: bytes | None,
    value: bytes,
    headers: Headers,
    source: str,
    *,
    bureau_signer: str = BUREAU,
) -> str | None:
    """Return why ``source`` may not be believed for this record (a DLQ reason), or None.

    The signer must be registered, not revoked, its signature valid, and the signer the
    envelope's ``source``. ``bureau`` speaks only with bureau's own key, registered under
    ``bureau_signer`` (bureau's Kafka principal) with the kind ``bureau``. bureau's key
    also vouches for a partner's event it re-publishes: a parked event, whose partner
    signature was checked when it was first read, comes back re-encoded under bureau's.
    """
    vouched = signer_of(headers) == bureau_signer
    signer = bureau_signer if source == BUREAU or vouched else source
    refused = verify(registry, key, value, headers, signer)
    if refused is not None:
        return refused
    if (registry[signer].kind == BUREAU_KIND) != (signer == bureau_signer):
        return NOT_BUREAU
    return None


def signatures_required(settings: Settings) -> bool:
    """Whether the worker verifies signatures: on a secured broker, unless switched off."""
    return settings.require_signatures and settings.kafka_security_protocol != "PLAINTEXT"


class SignatureCheck:
    """``await check(record, source)``: the DLQ reason of an inbound record, or None."""

    def __init__(self, follower: RegistryFollower, *, bureau_signer: str = BUREAU) -> None:
        """Judge records against the registry ``follower`` keeps."""
        self.follower, self.bureau_signer = follower, bureau_signer
        self._started = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SignatureCheck | None:
        """The worker's check, or None where signatures are not required."""
        if not signatures_required(settings):
            return None
        follower = RegistryFollower(
            settings.kafka_bootstrap,
            Topics.from_settings(settings).partners,
            PartnerRegistry(),
            **aiokafka_security(settings),
        )
        return cls(follower, bureau_signer=settings.kafka_username)

    async def start(self) -> None:
        """Read the registry (once; later calls return at once)."""
        if not self._started:
            await self.follower.start()
            self._started = True

    async def __call__(self, record: ConsumerRecord[Any, Any], source: str) -> str | None:
        """Return why ``record`` may not be applied as ``source``, or None."""
        await self.start()
        headers = list(record.headers or ())
        refused = self._check(record, headers, source)
        # The partner may have been onboarded (or revoked) after our last read: catch up
        # once, unless a catch-up began after the record was written.
        if refused in _MAY_CHANGE and record.timestamp / 1000 > self.follower.synced_at - 1.0:
            await self.follower.sync()
            refused = self._check(record, headers, source)
        return refused

    def _check(self, record: ConsumerRecord[Any, Any], headers: Headers, source: str) -> str | None:
        return check(
            self.follower.registry,
            record.key,
            record.value,
            headers,
            source,
            bureau_signer=self.bureau_signer,
        )

    async def stop(self) -> None:
        """Stop following the registry."""
        await self.follower.stop()
        self._started = False
