"""2. The store stopped for ~10 s under load, then started again.

No offset is committed for an event that was not applied, nothing is lost, and the
worker resumes by itself: it stays up (no crash loop) and waits between retries with
a growing backoff (no busy spin).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from tests.faults import workload
from tests.faults.audit import Row, Table, audit, seconds
from tests.faults.harness import RATE, FaultEnv, Run, drive

OUTAGE = 10.0
"""How long the store is down: a deliberate fault duration, not a synchronisation."""


@dataclass
class Outage:
    """What the worker did while the store was down."""

    committed_meanwhile: bool = False
    alive: bool = False
    cpu_share: float = 0.0
    retries: list[float] = field(default_factory=list)

    async def __call__(self, run: Run) -> None:
        await run.reached(0.3)
        [worker] = run.fleet.workers
        cpu, began = worker.cpu_seconds(), time.monotonic()
        await asyncio.to_thread(run.env.ferretdb.stop)
        stopped_at = datetime.now().astimezone()
        # Messages in flight when the store went away fail within the first seconds;
        # from then on nothing may be committed until the store is back.
        await asyncio.sleep(2.0)
        frozen = await run.probe.committed()
        await asyncio.sleep(OUTAGE - 2.0)
        self.committed_meanwhile = frozen != await run.probe.committed()
        self.cpu_share = (worker.cpu_seconds() - cpu) / (time.monotonic() - began)
        await asyncio.to_thread(run.env.ferretdb.start)
        started_at = datetime.now().astimezone()
        self.alive = worker.alive()
        self.retries = [
            float(line["retry_in"])
            for line in worker.log()
            if line.get("event") == "transient_failure"
            and stopped_at <= datetime.fromisoformat(line["timestamp"]) <= started_at
        ]
        await run.recovered()


async def test_store_outage_loses_nothing_and_resumes_with_backoff(
    env: FaultEnv, fault_table: Table
) -> None:
    outage = Outage()
    run = await drive(env, workload.exchange(), outage, workers=1, rate=RATE)
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    fault_table.add(
        Row(
            number="2",
            scenario=f"store (FerretDB) stopped {OUTAGE:.0f} s under load",
            verdict=verdict,
            recover=seconds(run.recoveries),
            notes=(
                f"during the outage: worker alive={outage.alive}, offsets committed="
                f"{outage.committed_meanwhile}, {len(outage.retries)} retries after "
                f"{', '.join(f'{r:g}' for r in outage.retries)} s, "
                f"CPU {outage.cpu_share:.0%} of a core",
            ),
        )
    )
    assert not verdict.broken(), verdict.summary()
    assert outage.alive, "the worker died during the outage"
    assert not outage.committed_meanwhile, "offsets were committed while the store was down"
    retries = outage.retries
    assert retries, "no transient_failure was logged while the store was down"
    # Backoff, not a busy spin: few attempts, each wait at least as long as the one before.
    assert len(retries) <= 12, f"{len(retries)} retries in {OUTAGE:.0f} s: {retries}"
    assert retries == sorted(retries), f"backoff does not grow: {retries}"
    assert retries[-1] <= env.settings.retry_backoff_max
    assert outage.cpu_share < 0.3, f"the worker used {outage.cpu_share:.0%} of a core waiting"
