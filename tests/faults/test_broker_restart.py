"""3. The broker killed and restarted under load: clients reconnect, nothing is lost."""

from __future__ import annotations

import asyncio
import time

from tests.faults import workload
from tests.faults.audit import Row, Table, audit, seconds
from tests.faults.harness import RATE, FaultEnv, Run, drive


async def restart_broker(run: Run) -> None:
    await run.reached(0.3)
    # A crash, not a clean shutdown; the restart keeps the port and the data.
    down = time.monotonic()
    await asyncio.to_thread(run.env.kafka.kill)
    await asyncio.to_thread(run.env.kafka.restart)
    run.notes.append(
        f"broker down {time.monotonic() - down:.1f} s; {run.partner.retries} partner retries"
    )
    await run.recovered()
    assert all(w.alive() for w in run.fleet.workers), "a worker died while the broker was away"


async def test_broker_restart_under_load_loses_nothing(env: FaultEnv, fault_table: Table) -> None:
    run = await drive(env, workload.exchange(), restart_broker, workers=1, rate=RATE)
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    fault_table.add(
        Row(
            number="3",
            scenario="broker (Kafka) kill -9 and restart under load",
            verdict=verdict,
            recover=seconds(run.recoveries),
            notes=tuple(run.notes),
        )
    )
    assert not verdict.broken(), verdict.summary()
