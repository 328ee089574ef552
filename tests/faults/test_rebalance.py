"""4. Three workers in one group on six partitions; one added and one removed mid-stream.

Per-key order holds (each aggregate's ``applied`` list is in send order, and its final
fields are those of its last event), and no effect is lost or doubled.
"""

from __future__ import annotations

import asyncio

from tests.faults import workload
from tests.faults.audit import Row, Table, audit, seconds
from tests.faults.harness import RATE, FaultEnv, Moment, Run, drive


async def grow_and_shrink(run: Run) -> None:
    await run.reached(0.25)
    joined = Moment.now()
    run.fleet.start(1)
    await run.recovered(rebalanced_since=joined)
    await run.reached(0.55)
    left = Moment.now()
    await asyncio.to_thread(run.fleet.stop, run.fleet.workers[0])
    await run.recovered(rebalanced_since=left)
    run.notes.append("3 workers; a 4th joins at 25 % consumed, the first leaves (SIGTERM) at 55 %")


async def test_rebalance_keeps_per_key_order_and_exactly_once(
    env: FaultEnv, fault_table: Table
) -> None:
    assert env.settings.partitions == 6
    # More events per aggregate, so that order across a hand-over is visible.
    messages = workload.exchange(workload.Shape(resends=4, students_per_cluster=6))
    run = await drive(env, messages, grow_and_shrink, workers=3, rate=RATE)
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    fault_table.add(
        Row(
            number="4",
            scenario="rebalance: 3 workers, +1 and -1 mid-stream",
            verdict=verdict,
            recover=seconds(run.recoveries),
            notes=tuple(run.notes),
        )
    )
    assert not verdict.broken(), verdict.summary()
