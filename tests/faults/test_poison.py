"""6. Poison input: each in its topic's dead-letter topic with the original bytes and the
reason, and the partition keeps flowing (the valid events after it are applied)."""

from __future__ import annotations

from bureau.handlers.dead_letter import ORIGIN, REASON
from bureau.topics import dlq
from tests.faults import workload
from tests.faults.audit import Row, Table, audit
from tests.faults.harness import RATE, FaultEnv, drive
from tests.support.kafka import read_all


async def test_poison_is_dead_lettered_and_does_not_block_its_partition(
    env: FaultEnv, fault_table: Table
) -> None:
    valid = workload.exchange()
    first_offer = next(m for m in valid if m.area == "offers")
    first_student = next(m for m in valid if m.area == "students")
    limit = env.settings.max_message_bytes
    poison = [
        *workload.poison_for(first_offer, max_message_bytes=limit),
        *workload.poison_for(first_student, max_message_bytes=limit),
    ]
    illegal = workload.illegal_transition(first_offer)
    messages = workload.after(workload.with_poison(valid, poison, seed=3), first_offer, illegal)
    run = await drive(env, messages, workers=1, rate=RATE)
    verdict = await audit(env, run.partner.sent, log=run.fleet.log())
    [rejected] = [s for s in run.partner.sent if s.message is illegal]
    origin = f"{rejected.topic}/{rejected.partition}/{rejected.offset}"
    [reason] = [
        dict(r.headers)[REASON].decode()
        for r in await read_all(env.settings.kafka_bootstrap, dlq(rejected.topic))
        if dict(r.headers)[ORIGIN].decode() == origin
    ]
    fault_table.add(
        Row(
            number="6",
            scenario="poison: not JSON, wrong schema, unknown type, oversize (x2 topics), "
            "illegal transition",
            verdict=verdict,
            notes=(f"illegal transition (a second, different InternshipOffered): {reason!r}",),
        )
    )
    assert verdict.dead_lettered == len(poison) + 1
    assert not verdict.broken(), verdict.summary()
