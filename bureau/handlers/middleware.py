"""Retries of a failed batch with backoff instead of a busy spin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiokafka.errors import KafkaError
from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.message import StreamMessage
from pymongo.errors import ConnectionFailure

from bureau.adapters.store import ConcurrentWriteError

log = structlog.get_logger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    KafkaError,
    OSError,
    ConcurrentWriteError,
)
"""Failures of the store or broker that go away by themselves: retry, never dead-letter."""


class Backoff:
    """Exponential delays for consecutive failures, reset by a success."""

    def __init__(self, initial: float, maximum: float) -> None:
        """Start at ``initial`` seconds, double per failure, cap at ``maximum``."""
        self.initial, self.maximum, self.failures = initial, maximum, 0

    def next_delay(self) -> float:
        """Count a failure and return how long to wait before the retry."""
        delay: float = min(self.maximum, self.initial * 2.0 ** min(self.failures, 32))
        self.failures += 1
        return delay

    def reset(self) -> None:
        """Forget earlier failures."""
        self.failures = 0


class Resilience:
    """Middleware factory shared by a broker's subscribers: one backoff for all of them."""

    def __init__(
        self, *, backoff: Backoff, max_attempts: int = 5, unsafe_ack_first: bool = False
    ) -> None:
        """A message is dead-lettered after ``max_attempts`` non-transient failures.

        ``unsafe_ack_first`` is the test-only fault switch of the same setting: it
        commits each batch's offsets before the batch is applied, to show what that loses.
        """
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.unsafe_ack_first = unsafe_ack_first
        self.attempts: dict[tuple[str, int, int], int] = {}

    def failed(self, where: tuple[str, int, int]) -> int:
        """Count a non-transient failure of the message at ``where``; return the count."""
        self.attempts[where] = attempts = self.attempts.get(where, 0) + 1
        return attempts

    def forget(self, where: tuple[str, int, int]) -> None:
        """The message at ``where`` is done with (applied or dead-lettered)."""
        self.attempts.pop(where, None)

    def __call__(self, msg: Any, /, **kwargs: Any) -> _Scope:
        """Create the middleware for one message."""
        return _Scope(msg, owner=self, **kwargs)


class _Scope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, owner: Resilience, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self.owner = owner

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        if self.owner.unsafe_ack_first:
            # Fault switch: commit before applying (at-most-once). The acknowledgement
            # middleware's later ack or nack then does nothing for this batch.
            await msg.ack()
        owner = self.owner
        try:
            result = await call_next(msg)
        except HandlerException:
            raise
        except TRANSIENT as exc:
            delay = owner.backoff.next_delay()
            log.warning("transient_failure", error=repr(exc), retry_in=delay)
            await asyncio.sleep(delay)  # backoff before the nack re-delivers the batch
            raise
        except Exception:
            delay = owner.backoff.next_delay()
            log.exception("handler_failed", retry_in=delay)
            await asyncio.sleep(delay)
            raise
        owner.backoff.reset()
        return result
