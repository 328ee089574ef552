"""Per-message log context, and retries with backoff instead of a busy spin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiokafka.errors import KafkaError
from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.kafka.message import KafkaMessage
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

DeadLetter = Callable[[KafkaMessage, str], Awaitable[None]]


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
        self,
        *,
        dead_letter: DeadLetter,
        backoff: Backoff,
        max_attempts: int = 5,
        unsafe_ack_first: bool = False,
    ) -> None:
        """Dead-letter a message after ``max_attempts`` non-transient failures.

        ``unsafe_ack_first`` is the test-only fault switch of the same setting: it
        commits each offset before the message is applied, to show what that loses.
        """
        self.dead_letter = dead_letter
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.unsafe_ack_first = unsafe_ack_first
        self.attempts: dict[tuple[str, int, int], int] = {}

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
            # middleware's later ack or nack then does nothing for this message.
            await msg.ack()
        record = msg.raw_message
        where = (record.topic, record.partition, record.offset)
        with structlog.contextvars.bound_contextvars(
            message_id=msg.message_id,
            correlation_id=msg.correlation_id,
            topic=where[0],
            partition=where[1],
            offset=where[2],
        ):
            return await self._guarded(call_next, msg, where)

    async def _guarded(
        self,
        call_next: Callable[[Any], Awaitable[Any]],
        msg: StreamMessage[Any],
        where: tuple[str, int, int],
    ) -> Any:
        owner = self.owner
        try:
            result = await call_next(msg)
        except HandlerException:
            raise
        except TRANSIENT as exc:
            delay = owner.backoff.next_delay()
            log.warning("transient_failure", error=repr(exc), retry_in=delay)
            await asyncio.sleep(delay)  # backoff before the nack re-delivers the message
            raise
        except Exception as exc:
            attempts = owner.attempts.get(where, 0) + 1
            owner.attempts[where] = attempts
            if attempts < owner.max_attempts:
                delay = owner.backoff.next_delay()
                log.exception("handler_failed", attempt=attempts, retry_in=delay)
                await asyncio.sleep(delay)
                raise
            # A bug must not block the partition forever: park the message, move on.
            log.exception("handler_failed_dead_lettered", attempt=attempts)
            del owner.attempts[where]
            assert isinstance(msg, KafkaMessage)
            await owner.dead_letter(msg, f"handler failed {attempts} times: {exc!r}")
            return None
        owner.backoff.reset()
        owner.attempts.pop(where, None)
        return result
