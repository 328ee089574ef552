"""A school signs in to its page with its broker credentials, checked by the broker itself.

On a secured broker a school's page also takes HTTP basic ``<school_id>:<its SCRAM
password>`` (what ``bureau partners add <school> --kind school`` made). The dashboard keeps
no copy of the passwords: it opens one SASL/SCRAM connection to the broker with them and
closes it. Successes are remembered briefly, keyed by a hash of the pair, so a page that
refreshes every few seconds does not cost a handshake each time. Tokens remain the fallback.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from aiokafka import errors as kafka_errors
from aiokafka.conn import collect_hosts, create_conn

from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.web.access import Access, AccessError, basic_pair

Verifier = Callable[[str, str], Awaitable[bool]]
"""``(user, password)``: True if the broker accepts them, False if it refuses them; raises
when it cannot tell (broker unreachable)."""

_REFUSED = (kafka_errors.SaslAuthenticationFailed, kafka_errors.AuthenticationFailedError)


def broker_verifier(settings: Settings, timeout: float = 5.0) -> Verifier:
    """A Verifier doing one SASL handshake with the first reachable bootstrap broker."""
    base = aiokafka_security(settings)
    hosts = collect_hosts(settings.kafka_bootstrap, randomize=False)

    async def verify(user: str, password: str) -> bool:
        security: dict[str, Any] = base | {
            "sasl_plain_username": user,
            "sasl_plain_password": password,
        }
        unreachable: Exception | None = None
        for host, port, _ in hosts:
            try:
                async with asyncio.timeout(timeout):
                    conn = await create_conn(
                        host, port, request_timeout_ms=int(timeout * 1000), **security
                    )
            except _REFUSED:
                return False
            except (OSError, TimeoutError, kafka_errors.KafkaError) as exc:
                unreachable = exc  # try the next bootstrap broker
                continue
            conn.close()
            return True
        raise ConnectionError(f"no broker answered ({type(unreachable).__name__})")

    return verify


@dataclass
class PartnerLogins:
    """School pages' second way in: the school's broker credentials."""

    verify: Verifier
    ttl_seconds: float = 60.0
    not_schools: Collection[str] = ()
    """bureau's own principals: their passwords open no school's page."""
    clock: Callable[[], float] = time.monotonic
    _verified: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> PartnerLogins | None:
        """Enabled only when the broker authenticates clients."""
        if settings.kafka_security_protocol == "PLAINTEXT":
            return None
        own = (settings.kafka_username, settings.kafka_admin_username)
        return cls(verify=broker_verifier(settings), not_schools=own)

    async def require_school(
        self, access: Access, authorization: str | None, school_id: str
    ) -> None:
        """Pass with a token ``access`` accepts, or with this school's broker credentials."""
        try:
            access.require_school(authorization, school_id)
            return
        except AccessError as refused:
            pair = basic_pair(authorization)
            if pair is None or not pair[0] or pair[0] in self.not_schools:
                raise
            if not await self._accepted(*pair):
                raise refused from None  # the token check's own answer (401, or 403)
            if pair[0] != school_id:
                detail = "A school may see only its own students' outcomes."
                raise AccessError(403, detail) from None

    async def _accepted(self, user: str, password: str) -> bool:
        # The key is a digest: the password itself is kept nowhere, not even in memory.
        key = hashlib.sha256(f"{user}\0{password}".encode()).hexdigest()
        now = self.clock()
        if self._verified.get(key, 0.0) > now:
            return True
        try:
            accepted = await self.verify(user, password)
        except Exception as exc:
            raise AccessError(503, "The broker cannot check this credential now.") from exc
        if accepted:
            self._verified = {k: t for k, t in self._verified.items() if t > now}
            self._verified[key] = now + self.ttl_seconds
        return accepted


__all__ = ["PartnerLogins", "Verifier", "broker_verifier"]
