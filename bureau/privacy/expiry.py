"""The parked events' expiry: past ``BUREAU_PARKED_TTL_DAYS`` they go to their DLQ, with why.

An event parks on the aggregate it waits for (a student, an offer, an organisation).
A reference that never comes would keep it, and the personal data in it, for ever;
the sweep moves each expired one to its topic's dead-letter topic (sealed under the
student it names, like every dead letter bureau writes; an erased student's is only
dropped) and takes it off the aggregate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import structlog

from bureau.adapters.store import Store
from bureau.domain.retention import Expire, decide_expiry
from bureau.privacy.dead_letters import seal_dead_letter
from bureau.privacy.keys import KeyStore
from bureau.privacy.outbox import OutboxSealer

log = structlog.get_logger(__name__)

Send = Callable[[str, bytes, bytes, str], Awaitable[None]]
"""(dead-letter topic, key, value, reason): publish one dead letter."""


async def expire_parked(
    store: Store,
    keys: KeyStore,
    send: Send,
    *,
    kinds: Sequence[str],
    now: datetime,
    ttl: timedelta,
) -> int:
    """Move every parked event older than ``ttl`` to its DLQ; return how many expired."""
    expired = 0
    for kind in kinds:
        for key, entries in await store.parked(kind):
            for entry in entries:
                decision = decide_expiry(entry, now, ttl)
                if not isinstance(decision, Expire):
                    continue
                [*opened] = await OutboxSealer(keys).unpark([entry])
                for e in opened:  # none if the student was erased: nothing left to keep
                    value = await seal_dead_letter(
                        e["value"].encode(), e["key"].encode(), students_topic=False, keys=keys
                    )
                    await send(
                        decision.dead_letter_topic, e["key"].encode(), value, decision.reason
                    )
                # Only after the dead letter is out: a crash in between sends it twice.
                await store.unpark(kind, key, entry)
                expired += 1
                log.info("parked_event_expired", kind=kind, key=key, reason=decision.reason)
    return expired


async def expire_forever(sweep: Callable[[], Awaitable[int]], *, every: float) -> None:
    """Run ``sweep`` every ``every`` seconds until cancelled."""
    while True:
        await sweep()
        await asyncio.sleep(every)


__all__ = ["Send", "expire_forever", "expire_parked"]
