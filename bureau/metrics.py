"""Prometheus metrics: FastStream's broker middleware plus bureau's own counters and lag.

Exposed at ``/metrics`` on ``BUREAU_METRICS_PORT`` by the worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any
from wsgiref.simple_server import WSGIServer

import structlog
from aiokafka.errors import KafkaError
from faststream import BaseMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from bureau.lag import Lag, consumer_lag
from bureau.topics import Topics

log = structlog.get_logger(__name__)

REGISTRY = CollectorRegistry()
"""bureau's registry: the broker middleware's metrics and bureau's own."""

_APPLIED = Counter(
    "bureau_events_applied",
    "Partner events applied to the projections, by event type.",
    ["event_type"],
    registry=REGISTRY,
)
_PARKED = Counter(
    "bureau_events_parked",
    "Partner events parked until what they refer to arrives, by event type.",
    ["event_type"],
    registry=REGISTRY,
)
_DUPLICATES = Counter(
    "bureau_events_duplicate",
    "Redelivered partner events recognised as already applied, by event type.",
    ["event_type"],
    registry=REGISTRY,
)
_DEAD_LETTERED = Counter(
    "bureau_events_dead_lettered",
    "Messages put on a dead-letter topic, by origin topic and event type.",
    ["topic", "event_type"],
    registry=REGISTRY,
)
_SUGGESTIONS = Counter(
    "bureau_suggestions_sent",
    "Suggestions published on the matches topic, by event type.",
    ["event_type"],
    registry=REGISTRY,
)
_OUTCOMES = Counter(
    "bureau_outcomes_sent",
    "Placement outcomes published to the schools' own topics, by status.",
    ["status"],
    registry=REGISTRY,
)
_READ_AGAIN = Counter(
    "bureau_batches_read_again",
    "Poll batches applied again from reads: a creation taken as new was stored already.",
    registry=REGISTRY,
)
_LAG = Gauge(
    "bureau_consumer_lag",
    "Records on a partition not yet applied by a consumer group.",
    ["group", "topic", "partition"],
    registry=REGISTRY,
)

UNKNOWN = "unknown"


def applied(event_type: str) -> None:
    """Count one partner event applied."""
    _APPLIED.labels(event_type).inc()


def parked(event_type: str) -> None:
    """Count one partner event parked."""
    _PARKED.labels(event_type).inc()


def duplicate(event_type: str) -> None:
    """Count one redelivered event that was already applied."""
    _DUPLICATES.labels(event_type).inc()


def dead_lettered(topic: str, event_type: str) -> None:
    """Count one message dead-lettered from ``topic``."""
    _DEAD_LETTERED.labels(topic, event_type).inc()


def suggestion_sent(event_type: str) -> None:
    """Count one suggestion published."""
    _SUGGESTIONS.labels(event_type).inc()


def outcome_sent(status: str) -> None:
    """Count one placement outcome published."""
    _OUTCOMES.labels(status).inc()


def read_again(_: str) -> None:
    """Count one batch applied again from reads (after a redelivery, or a placeholder)."""
    _READ_AGAIN.inc()


def record_lag(rows: Iterable[Lag]) -> None:
    """Set the lag gauge to the latest reading."""
    for row in rows:
        _LAG.labels(row.group, row.topic, str(row.partition)).set(row.lag)


_DECISIONS: dict[str, Callable[[str], None]] = {
    "event_applied": applied,
    "event_parked": parked,
    "event_duplicate": duplicate,
    "batch_applied_again_from_reads": read_again,
}
"""The service's log events that record a decision, and the counter each one moves."""


def count_decisions(_: Any, __: str, event_dict: structlog.typing.EventDict) -> Any:
    """Structlog processor: count the service's ``event_applied|parked|duplicate`` lines."""
    count = _DECISIONS.get(str(event_dict.get("event")))
    if count is not None:
        # The handler binds event_type for the message; contextvars merge later in the chain.
        bound = structlog.contextvars.get_contextvars()
        count(str(event_dict.get("event_type") or bound.get("event_type") or UNKNOWN))
    return event_dict


def observe_decisions() -> None:
    """Put ``count_decisions`` first in structlog's chain (once)."""
    processors = list(structlog.get_config()["processors"])
    if count_decisions not in processors:
        structlog.configure(processors=[count_decisions, *processors])


# A search, not json.loads: closing a round publishes tens of thousands of records.
_FIELD = {
    name: re.compile(rb'"' + name.encode() + rb'"\s*:\s*"([^"]{1,100})"')
    for name in ("event_type", "status")
}


def _field(body: object, name: str) -> str:
    if not isinstance(body, bytes | bytearray):
        return UNKNOWN
    found = _FIELD[name].search(body)
    return found.group(1).decode(errors="replace") if found else UNKNOWN


def count_published(topics: Topics, destination: str, body: object) -> None:
    """Count a record bureau published: a dead letter, a suggestion or an outcome."""
    if destination.endswith(".dlq"):
        dead_lettered(destination.removesuffix(".dlq"), _field(body, "event_type"))
    elif destination == topics.matches:
        suggestion_sent(_field(body, "event_type"))
    elif destination.startswith(topics.outcomes("")[: -len(".v1")]):
        outcome_sent(_field(body, "status"))


class _Published(BaseMiddleware):
    def __init__(self, msg: Any, /, *, topics: Topics, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self.topics = topics

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        result = await call_next(cmd)
        count_published(self.topics, cmd.destination, cmd.body)
        return result


def middlewares(topics: Topics) -> list[Any]:
    """The broker middlewares: FastStream's Prometheus one and bureau's publish counter."""

    def published(msg: Any, /, **kwargs: Any) -> _Published:
        return _Published(msg, topics=topics, **kwargs)

    return [KafkaPrometheusMiddleware(registry=REGISTRY, app_name="bureau"), published]


_serving: list[str] = []
"""The address of this process's /metrics, while it is served (one registry, one server)."""


def serving() -> str | None:
    """Where this process serves ``/metrics`` now, if it does."""
    return _serving[-1] if _serving else None


class Exposition:
    """The ``/metrics`` HTTP server and the lag refresher of one worker process."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        bootstrap: str,
        groups: Mapping[str, Sequence[str]],
        client: Mapping[str, Any] | None = None,
    ) -> None:
        """Serve on ``host:port``; refresh the lag of ``groups`` (``client``: credentials)."""
        self.host, self.port, self.bootstrap, self.groups = host, port, bootstrap, groups
        self.client = dict(client or {})
        self.server: WSGIServer | None = None
        self._lag: asyncio.Task[None] | None = None

    @property
    def address(self) -> str | None:
        """Where ``/metrics`` answers, once started."""
        if self.server is None:
            return None
        return f"http://{self.host}:{self.server.server_port}/metrics"

    def start(self, lag_every: float) -> None:
        """Start serving; a port in use is a warning, not a reason to stop the worker."""
        try:
            self.server, _ = start_http_server(self.port, addr=self.host, registry=REGISTRY)
        except OSError as exc:
            log.warning("metrics_not_served", port=self.port, error=str(exc))
            return
        log.info("metrics_served", address=self.address)
        _serving.append(str(self.address))
        self._lag = asyncio.create_task(self._refresh_lag(lag_every), name="bureau-lag")

    async def _refresh_lag(self, every: float) -> None:
        while True:
            try:
                record_lag(await consumer_lag(self.bootstrap, self.groups, client=self.client))
            except (KafkaError, OSError) as exc:
                log.info("lag_unavailable", error=repr(exc))
            await asyncio.sleep(every)  # the refresh interval

    async def stop(self) -> None:
        """Stop the refresher and the server."""
        if self._lag is not None:
            self._lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag
        if self.server is not None:
            _serving.remove(str(self.address))
            self.server.shutdown()
            self.server.server_close()
            self.server = None
