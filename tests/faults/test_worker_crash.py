"""1. kill -9 of a worker mid-stream, then a restart: every event applied exactly once.

And the control: with the test-only switch that commits each offset before applying
the message, the same faults (and a store outage) must show losses, so the checker is
known to see them.
"""

from __future__ import annotations

import asyncio

from tests.faults import workload
from tests.faults.audit import Row, Table, audit, seconds
from tests.faults.harness import RATE, Fault, FaultEnv, Run, drive


def kill_and_restart(at: tuple[float, ...]) -> Fault:
    """kill -9 the worker when bureau has consumed each fraction in ``at``; restart it."""

    async def fault(run: Run) -> None:
        for fraction in at:
            await run.reached(fraction)
            [victim] = run.fleet.workers
            run.fleet.kill(victim)
            run.fleet.start(1)
            await run.recovered()

    return fault


async def _taken_or_drained(run: Run, by: int) -> None:
    """Wait until ``by`` more records are committed, or none is left to take.

    A worker takes a whole poll batch at once: with acking first, the backlog may be
    committed in one go before the outage, and then there is nothing more to take.
    """
    now = None
    while now is None:
        now = await run.probe.consumed()
    start = now

    async def moved() -> bool:
        done = await run.probe.consumed()
        ends = await run.probe.ends()
        lag = None if ends is None else await run.probe.lag(ends)
        return (done is not None and done >= start + by) or lag == 0

    await run.probe.wait_until(moved, within=300.0, what=f"{by} records taken, or none left")


async def kills_and_an_outage(run: Run) -> None:
    """A backlog, then two kill -9 and a store outage, each as soon as the worker took more.

    Acking first commits a whole poll batch as it is taken: a kill -9 right after that
    loses what the batch had not applied yet. The worker starts once the partners have
    sent everything, so its first batch is the backlog (a worker that keeps up with the
    partners would be idle at every fault).
    """
    await run.partner.finished()
    run.fleet.start(1)
    for outage in (False, True, False):
        await _taken_or_drained(run, 1)
        if outage:
            # Acking first, each message taken while the store is down is committed,
            # fails and is never taken again: certain losses. A kill loses a message only
            # when it lands between the message's commit and its effects.
            await asyncio.to_thread(run.env.ferretdb.stop)
            try:
                await _taken_or_drained(run, 3)
            finally:
                await asyncio.to_thread(run.env.ferretdb.start)
        else:
            [victim] = run.fleet.workers
            run.fleet.kill(victim)
            run.fleet.start(1)
    await run.recovered()


async def test_kill_9_mid_stream_applies_every_event_exactly_once(
    env: FaultEnv, fault_table: Table
) -> None:
    run = await drive(env, workload.exchange(), kill_and_restart((0.3, 0.6)), rate=RATE)
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    fault_table.add(
        Row(
            number="1",
            scenario="worker kill -9 mid-stream, then restart (x2)",
            verdict=verdict,
            recover=seconds(run.recoveries),
            notes=("recovery includes the killed member's 10 s session timeout",),
        )
    )
    assert not verdict.broken(), verdict.summary()


async def test_the_checker_reports_the_losses_of_acking_before_processing(
    env: FaultEnv, fault_table: Table
) -> None:
    # A backlog, so the faults find the worker in the middle of a batch.
    run = await drive(
        env,
        workload.exchange(),
        kills_and_an_outage,
        workers=0,
        rate=100.0,
        BUREAU_UNSAFE_ACK_FIRST="true",
    )
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    fault_table.add(
        Row(
            number="1c",
            scenario="control: BUREAU_UNSAFE_ACK_FIRST, kill -9 (x2) and a store outage",
            verdict=verdict,
            recover=seconds(run.recoveries),
            notes=("control row: the guarantee is broken on purpose, losses are expected",),
        )
    )
    assert verdict.lost > 0, (
        f"acking first lost nothing: is the checker blind?\n{verdict.summary()}"
    )
