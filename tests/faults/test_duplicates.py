"""5. Duplicates: events delivered three times, then a whole partition re-read from 0.

One effect each, and the re-read publishes no new notification: what it sends again
(the last write of each aggregate it re-reads re-delivers its outbox, as after a crash)
repeats records already published, same key and same bytes, so same ids.
"""

from __future__ import annotations

import time

from aiokafka import TopicPartition

from bureau.replay import compare, digests
from tests.faults import workload
from tests.faults.audit import Row, Table, audit, seconds
from tests.faults.harness import RATE, FaultEnv, rewind, running
from tests.support.kafka import read_all


async def test_duplicates_and_a_reread_partition_have_one_effect_each(
    env: FaultEnv, fault_table: Table
) -> None:
    messages = workload.repeated(workload.exchange(), every=5, times=3)
    async with running(env, messages, workers=1, rate=RATE) as run:
        await run.partner.finished()
        await run.probe.wait_caught_up()
        before = await read_all(env.settings.kafka_bootstrap, env.topics.matches)
        state = await digests(env.settings.mongo_url, env.settings.mongo_db)

        # Re-read the busiest partition of every inbound topic, from offset 0.
        run.fleet.stop_all()
        counts: dict[TopicPartition, int] = {}
        for s in run.partner.sent:
            tp = TopicPartition(s.topic, s.partition)
            counts[tp] = counts.get(tp, 0) + 1
        busiest = {tp.topic: tp for tp in sorted(counts, key=lambda tp: counts[tp])}.values()
        for group, topics in run.probe.groups.items():
            await rewind(env, group, [tp for tp in busiest if tp.topic in topics])
        reread = sum(counts[tp] for tp in busiest)
        began = time.monotonic()
        run.fleet.start(1)
        await run.probe.wait_caught_up()
        recovered = time.monotonic() - began

        after = await read_all(env.settings.kafka_bootstrap, env.topics.matches)
        changed = compare(await digests(env.settings.mongo_url, env.settings.mongo_db), state)
    new = {(r.key, r.value) for r in after} - {(r.key, r.value) for r in before}
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    deliveries = sum(1 for s in run.partner.sent if s.message.event is not None)
    fault_table.add(
        Row(
            number="5",
            scenario="duplicates: 1 in 5 events sent 3x; a partition per topic re-read from 0",
            verdict=verdict,
            recover=seconds([recovered]),
            notes=(
                f"{deliveries} deliveries of {verdict.sent} events, then {reread} records "
                f"re-read: {len(new)} new notifications ({len(after) - len(before)} records "
                "sent again, each the same bytes as one before), projections "
                + (f"changed: {', '.join(changed)}" if changed else "unchanged (canonical hash)"),
            ),
        )
    )
    assert not new, f"re-reading a partition published {len(new)} new notifications"
    assert not changed, f"re-reading a partition changed {changed}"
    assert not verdict.broken(), verdict.summary()
