"""The scenario driver: bureau workers as processes, partners that send, a probe that watches.

Workers are started as a user starts them (``python -m bureau worker`` with ``BUREAU_*``
variables) and can be killed; partners send a workload at a steady rate and retry
until the broker acknowledges; the probe reads end offsets and the consumer groups'
commits, so progress and recovery are observed from outside bureau, as an operator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bureau.adapters.kafka import ensure_topics
from bureau.adapters.memory import InMemoryStore
from bureau.app import build_broker
from bureau.embedded.ferretdb import EmbeddedFerretDB
from bureau.embedded.kafka import EmbeddedKafka
from bureau.embedded.process import ChildProcess
from bureau.replay import consumer_groups
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Topics
from tests.faults.workload import Message
from tests.support import signing

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# FastStream logs every assignment: "Consumer <id> assigned to partitions: (TopicPartition(...
_ASSIGNED = re.compile(r"Consumer (\S+) assigned to partitions")
_PARTITION = re.compile(r"TopicPartition\(topic='([^']+)', partition=(\d+)\)")
RATE = 15.0
"""Events per second the partners send: about half of what one worker applies on
FerretDB here, so a fault leaves a backlog that the recovery has to work off."""


@dataclass(kw_only=True)
class FaultEnv:
    """One scenario's isolated world on the shared, killable Kafka and FerretDB."""

    kafka: EmbeddedKafka
    ferretdb: EmbeddedFerretDB
    settings: Settings
    workdir: Path
    fleets: list[Fleet] = field(default_factory=list)
    """Every fleet of the scenario, so the fixture can stop what a failed test left."""

    @property
    def topics(self) -> Topics:
        """Topic and group names with this scenario's prefixes."""
        return Topics.from_settings(self.settings)

    def worker_env(self, **overrides: str) -> dict[str, str]:
        """The ``BUREAU_*`` variables a worker of this scenario is started with."""
        s = self.settings
        env = {
            "BUREAU_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
            "BUREAU_MONGO_URL": s.mongo_url,
            "BUREAU_MONGO_DB": s.mongo_db,
            "BUREAU_TOPIC_PREFIX": s.topic_prefix,
            "BUREAU_GROUP_PREFIX": s.group_prefix,
            "BUREAU_PARTITIONS": str(s.partitions),
            "BUREAU_LOG_FORMAT": "json",
            "BUREAU_LOG_LEVEL": "INFO",
            # The workers run the source tree under test, whatever is installed.
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        return env | overrides

    def consumers(self) -> dict[str, list[str]]:
        """Each consumer group of a worker and the topics it reads, as the worker declares them."""
        return consumer_groups(build_broker(self.settings, InMemoryStore()))

    def topic_of(self, area: str) -> str:
        """The topic of a workload area (``offers`` → this scenario's offers topic)."""
        name: str = getattr(self.topics, area)
        return name


class Worker:
    """One ``bureau worker`` process with its own JSON log file."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        """Start the worker; it runs until stopped or killed."""
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.started = time.monotonic()
        # The working directory keeps a developer's .env out of the scenario.
        self._process = ChildProcess(
            name,
            [sys.executable, "-m", "bureau", "worker"],
            log_path=self.log_path,
            env=env,
            cwd=workdir,
        )

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._process.proc.pid

    def alive(self) -> bool:
        """Tell whether the process still runs."""
        return self._process.alive()

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown, no final commit."""
        self._process.kill()
        self._process.stop()

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: the worker leaves its groups."""
        self._process.stop()

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log(self) -> list[dict[str, Any]]:
        """The worker's structured log lines (lines that are not JSON are skipped)."""
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(raw)
                if isinstance(entry, dict):
                    lines.append(entry)
        return lines

    def assignments(self, since: datetime) -> dict[str, set[tuple[str, int]]]:
        """Each consumer's latest partition assignment logged after ``since``."""
        latest: dict[str, set[tuple[str, int]]] = {}
        for line in self.log():
            text = str(line.get("event", ""))
            found = _ASSIGNED.match(text)
            if found and datetime.fromisoformat(line["timestamp"]) > since:
                parts = {(t, int(p)) for t, p in _PARTITION.findall(text)}
                latest[found.group(1)] = parts
        return latest

    def tail(self, lines: int = 30) -> str:
        """The end of the log, for failure messages."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Fleet:
    """The workers of one scenario; every one of them is stopped at the end."""

    def __init__(self, env: FaultEnv, **defaults: str) -> None:
        """Start no worker yet; every worker gets the ``BUREAU_*`` variables in ``defaults``."""
        self.env = env
        self.defaults = defaults
        self.workers: list[Worker] = []
        self.retired: list[Worker] = []
        env.fleets.append(self)

    def start(self, n: int = 1, **env: str) -> list[Worker]:
        """Start ``n`` more workers (extra ``BUREAU_*`` variables in ``env``)."""
        first = len(self.workers) + len(self.retired) + 1
        variables = self.env.worker_env(**(self.defaults | env))
        new = [Worker(f"worker-{first + i}", variables, self.env.workdir) for i in range(n)]
        self.workers.extend(new)
        return new

    def kill(self, worker: Worker) -> None:
        """kill -9 one worker."""
        worker.kill()
        self._retire(worker)

    def stop(self, worker: Worker) -> None:
        """Stop one worker gracefully."""
        worker.stop()
        self._retire(worker)

    def stop_all(self) -> None:
        """Stop every worker still running."""
        for worker in list(self.workers):
            self.stop(worker)

    def log(self) -> list[dict[str, Any]]:
        """The log lines of every worker this fleet ever ran."""
        return [line for w in [*self.retired, *self.workers] for line in w.log()]

    def tails(self) -> str:
        """The last log lines of every worker, for failure messages."""
        return "\n".join(f"--- {w.name} ---\n{w.tail()}" for w in [*self.retired, *self.workers])

    def _retire(self, worker: Worker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
            self.retired.append(worker)


@dataclass(frozen=True, kw_only=True)
class Sent:
    """A message the broker acknowledged, and where it landed."""

    message: Message
    topic: str
    partition: int
    offset: int


class Partner:
    """Partner systems sending a workload at a steady rate, retrying until acknowledged."""

    def __init__(self, env: FaultEnv, messages: Sequence[Message], *, rate: float) -> None:
        """Send ``messages`` in order, about ``rate`` per second."""
        self.env = env
        self.messages = list(messages)
        self.rate = rate
        self.sent: list[Sent] = []
        self.retries = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def total(self) -> int:
        """How many messages the workload holds."""
        return len(self.messages)

    def start(self) -> None:
        """Begin sending in the background."""
        self._task = asyncio.create_task(self._run(), name="partner")

    async def finished(self, within: float = 300.0) -> list[Sent]:
        """Wait until every message was acknowledged."""
        assert self._task is not None, "start() first"
        await asyncio.wait_for(asyncio.shield(self._task), within)
        return self.sent

    async def cancel(self) -> None:
        """Stop sending (teardown after a failure)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.env.settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            max_request_size=4 * 1024 * 1024,
            **aiokafka_security(self.env.settings, admin=True),
        )
        # Every source signs with a key enrolled in the scenario's registry first.
        await signing.enrol_async(self.env.settings, (m.value for m in self.messages))
        await producer.start()
        try:
            began = time.monotonic()
            for i, message in enumerate(self.messages):
                # Pacing, not synchronisation: partners send at their own steady rate.
                await asyncio.sleep(max(0.0, began + i / self.rate - time.monotonic()))
                self.sent.append(await self._send(producer, message))
        finally:
            await producer.stop()

    async def _send(self, producer: AIOKafkaProducer, message: Message) -> Sent:
        topic = self.env.topic_of(message.area)
        deadline = time.monotonic() + 120.0
        while True:
            try:
                meta = await producer.send_and_wait(
                    topic,
                    message.value,
                    key=message.key,
                    headers=signing.headers(self.env.settings, message.key, message.value),
                )
            except KafkaError:
                # A partner retries what the broker did not acknowledge (at-least-once in).
                if time.monotonic() > deadline:
                    raise
                self.retries += 1
                await asyncio.sleep(0.5)
                continue
            return Sent(message=message, topic=topic, partition=meta.partition, offset=meta.offset)


class Probe:
    """End offsets and committed offsets of the scenario's groups, read like an operator would."""

    def __init__(self, env: FaultEnv, areas: Iterable[str]) -> None:
        """Watch the groups that read the topics of ``areas``."""
        self.bootstrap = env.settings.kafka_bootstrap
        wanted = {env.topic_of(a) for a in areas}
        self.groups = {
            group: sorted(set(topics) & wanted)
            for group, topics in env.consumers().items()
            if set(topics) & wanted
        }
        self.topics = sorted(wanted)
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._security = aiokafka_security(env.settings, admin=True)
        self._partitions: list[TopicPartition] = []

    async def close(self) -> None:
        """Close the probe's clients."""
        consumer, admin, self._consumer, self._admin = self._consumer, self._admin, None, None
        # aiokafka may re-raise the cancellation of its own background task on stop.
        with contextlib.suppress(KafkaError, OSError, asyncio.CancelledError):
            if consumer is not None:
                await consumer.stop()
        with contextlib.suppress(KafkaError, OSError, asyncio.CancelledError):
            if admin is not None:
                await admin.close()

    async def ends(self) -> dict[TopicPartition, int] | None:
        """Log-end offset of every partition, or None while the broker does not answer."""
        try:
            if not self._partitions:
                admin = await self._admin_client()
                described = await admin.describe_topics(self.topics)
                self._partitions = [
                    TopicPartition(d["topic"], part["partition"])
                    for d in described
                    for part in d.get("partitions", [])
                ]
                # An empty answer must never read as "nothing left to consume".
                if {tp.topic for tp in self._partitions} != set(self.topics):
                    self._partitions = []
                    return None
            if self._consumer is None:
                self._consumer = AIOKafkaConsumer(
                    bootstrap_servers=self.bootstrap, request_timeout_ms=5000, **self._security
                )
                await self._consumer.start()
            return dict(await self._consumer.end_offsets(self._partitions))
        except (KafkaError, OSError):
            await self.close()
            return None

    async def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=5000, **self._security
            )
            await self._admin.start()
        return self._admin

    async def committed(self) -> dict[tuple[str, TopicPartition], int] | None:
        """Committed offset per (group, partition), or None while the broker does not answer."""
        try:
            admin = await self._admin_client()
            out: dict[tuple[str, TopicPartition], int] = {}
            for group, topics in self.groups.items():
                offsets = await admin.list_consumer_group_offsets(group)
                out |= {
                    (group, tp): meta.offset
                    for tp, meta in offsets.items()
                    if tp.topic in topics and meta.offset >= 0
                }
            return out
        except (KafkaError, OSError):
            await self.close()
            return None

    async def consumed(self) -> int | None:
        """How many records the groups have committed in all, over all their topics."""
        done = await self.committed()
        return None if done is None else sum(done.values())

    async def lags(self, ends: dict[TopicPartition, int]) -> dict[str, int] | None:
        """Per group, the records up to ``ends`` it has not committed yet."""
        done = await self.committed()
        if done is None:
            return None
        return {
            group: sum(
                max(0, end - done.get((group, tp), 0))
                for tp, end in ends.items()
                if tp.topic in topics
            )
            for group, topics in self.groups.items()
        }

    async def lag(self, ends: dict[TopicPartition, int]) -> int | None:
        """Records up to ``ends`` not yet committed by every group that reads them."""
        lags = await self.lags(ends)
        return None if lags is None else sum(lags.values())

    async def wait_until(
        self, check: Callable[[], Awaitable[bool]], *, within: float, what: str
    ) -> float:
        """Poll ``check`` until true; return the seconds it took or fail after ``within``."""
        began = time.monotonic()
        while not await check():
            if time.monotonic() - began > within:
                raise AssertionError(f"{what}: not true after {within:.0f} s")
            await asyncio.sleep(0.2)  # poll interval, not synchronisation
        return time.monotonic() - began

    async def wait_consumed(self, count: int, *, within: float = 300.0) -> float:
        """Wait until the groups have committed at least ``count`` records in all."""

        async def reached() -> bool:
            done = await self.consumed()
            return done is not None and done >= count

        return await self.wait_until(reached, within=within, what=f"{count} records consumed")

    async def wait_caught_up(
        self, ends: dict[TopicPartition, int] | None = None, *, within: float = 300.0
    ) -> float:
        """Wait until every group committed everything up to ``ends`` (default: now)."""
        while ends is None:
            ends = await self.ends()

        async def caught_up() -> bool:
            assert ends is not None
            return await self.lag(ends) == 0

        return await self.wait_until(caught_up, within=within, what="consumers caught up")


@dataclass(frozen=True)
class Moment:
    """A point in time, by the wall clock (to compare with log lines) and monotonically."""

    wall: datetime
    mono: float

    @classmethod
    def now(cls) -> Moment:
        """This moment."""
        return cls(datetime.now(UTC), time.monotonic())


@dataclass(kw_only=True)
class Run:
    """What a scenario's fault step can use while the partners keep sending."""

    env: FaultEnv
    fleet: Fleet
    partner: Partner
    probe: Probe
    recoveries: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    async def reached(self, fraction: float, *, within: float = 300.0) -> None:
        """Wait until bureau has consumed ``fraction`` of the workload (mid-stream faults)."""
        readers = {
            t: sum(t in topics for topics in self.probe.groups.values()) for t in self.probe.topics
        }
        total = sum(readers[self.env.topic_of(m.area)] for m in self.partner.messages)
        await self.probe.wait_consumed(max(1, int(fraction * total)), within=within)

    async def progressed(self, by: int, *, within: float = 300.0) -> None:
        """Wait until the groups have committed ``by`` more records than now."""
        now = None
        while now is None:
            now = await self.probe.consumed()
        await self.probe.wait_consumed(now + by, within=within)

    async def backlogged(self, at_least: int, *, within: float = 300.0) -> None:
        """Wait until a watched group has ``at_least`` records waiting: its consumer is busy."""

        async def busy() -> bool:
            ends = await self.probe.ends()
            lags = None if ends is None else await self.probe.lags(ends)
            return lags is not None and max(lags.values()) >= at_least

        await self.probe.wait_until(busy, within=within, what=f"a backlog of {at_least}")

    def reassigned(self, since: datetime) -> bool:
        """Whether the running workers, by the assignments they logged after ``since``, now
        share every watched partition exactly once, in every watched group.

        Groups rebalance one at a time, each possibly in several rounds: a group counts
        as settled only when each running worker holds part of it and no two hold the
        same partition, i.e. all its members are in the same, final generation.
        """
        latest = [worker.assignments(since) for worker in self.fleet.workers]
        for topics in self.probe.groups.values():
            wanted = {(t, p) for t in topics for p in range(self.env.settings.partitions)}
            shares = []
            for consumers in latest:
                mine = [parts & wanted for parts in consumers.values() if parts & wanted]
                if len(mine) != 1:
                    return False
                shares.append(mine[0])
            if sum(len(s) for s in shares) != len(wanted) or set().union(*shares) != wanted:
                return False
        return True

    async def recovered(
        self, *, rebalanced_since: Moment | None = None, within: float = 300.0
    ) -> float:
        """Time from the end of a fault (now, or ``rebalanced_since``) until bureau caught up
        with everything sent by then.

        With ``rebalanced_since`` (the moment membership changed), the running workers must
        first have taken over every partition anew: until then the old owners keep working.
        """
        began = rebalanced_since or Moment.now()
        if rebalanced_since is not None:

            async def settled() -> bool:
                return self.reassigned(rebalanced_since.wall)

            await self.probe.wait_until(settled, within=within, what="partitions reassigned")
        ends = None
        while ends is None:
            ends = await self.probe.ends()
        await self.probe.wait_caught_up(ends, within=within)
        seconds = time.monotonic() - began.mono
        self.recoveries.append(seconds)
        return seconds


Fault = Callable[[Run], Awaitable[None]]


async def nothing(run: Run) -> None:
    """No fault: a baseline."""


@contextlib.asynccontextmanager
async def running(
    env: FaultEnv,
    messages: Sequence[Message],
    *,
    workers: int,
    rate: float,
    settled: bool = False,
    **worker_env: str,
) -> AsyncIterator[Run]:
    """Topics, ``workers`` bureau workers and the partners sending ``messages``; stopped after.

    With ``settled``, the partners start only once the workers share every partition.
    """
    await ensure_topics(
        env.settings.kafka_bootstrap,
        env.topics.all(),
        env.settings.partitions,
        **aiokafka_security(env.settings, admin=True),
    )
    fleet = Fleet(env, **worker_env)
    partner = Partner(env, messages, rate=rate)
    run = Run(env=env, fleet=fleet, partner=partner, probe=Probe(env, {m.area for m in messages}))
    try:
        began = Moment.now()
        fleet.start(workers)
        if settled:

            async def assigned() -> bool:
                return run.reassigned(began.wall)

            await run.probe.wait_until(assigned, within=300.0, what="workers share the partitions")
        partner.start()
        yield run
    finally:
        await partner.cancel()
        await run.probe.close()
        fleet.stop_all()


async def drive(
    env: FaultEnv,
    messages: Sequence[Message],
    fault: Fault = nothing,
    *,
    workers: int = 1,
    rate: float = RATE,
    settled: bool = False,
    within: float = 300.0,
    **worker_env: str,
) -> Run:
    """Send ``messages`` through ``workers`` workers, inject ``fault`` mid-stream, wait for the end.

    Returns once every group has committed every record sent, and the workers stopped.
    """
    async with running(
        env, messages, workers=workers, rate=rate, settled=settled, **worker_env
    ) as run:
        try:
            await fault(run)
            await run.partner.finished()
            await run.probe.wait_caught_up(within=within)
        except BaseException as exc:
            exc.add_note(run.fleet.tails())
            raise
    return run


async def rewind(env: FaultEnv, group: str, partitions: Sequence[TopicPartition]) -> None:
    """Commit offset 0 for ``partitions`` in ``group`` (its members must be stopped)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=env.settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        **aiokafka_security(env.settings, admin=True),
    )
    await consumer.start()
    try:
        consumer.assign(list(partitions))
        await consumer.commit(dict.fromkeys(partitions, 0))
    finally:
        await consumer.stop()
