"""Benchmark of the fan-out to per-party topics (not a test): ``python -m bench.fanout``.

A suggestion goes to bureau's log, the company's topic and the school's, so a worker
writes to hundreds of one-partition topics at once. This sends rounds of 6,000 records
of ~400 bytes, spread over 950 one-partition topics, with Kafka's default log layout
and with ``PARTY_TOPIC_LAYOUT`` (and, as the reference, to one topic of 6 partitions),
the layouts in turns on one embedded broker, and prints records/s and the broker's CPU
seconds per round. ``--rounds N`` (default 6).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import Mapping
from pathlib import Path

from bureau.adapters.kafka import PARTY_TOPIC_LAYOUT, KafkaPublisher, ensure_topics
from bureau.embedded.kafka import ensure_kafka, run_kafka

TOPICS = 950
RECORDS = 6000


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process ``pid``."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return float("nan")


async def _rounds(bootstrap: str, pid: int, rounds: int) -> None:
    layouts: dict[str, tuple[list[str], Mapping[str, str]]] = {
        "one topic, 6 partitions": (["ref.v1"], {}),
        "950 topics, Kafka's layout": ([f"plain.{i}.v1" for i in range(TOPICS)], {}),
        "950 topics, PARTY_TOPIC_LAYOUT": (
            [f"party.{i}.v1" for i in range(TOPICS)],
            PARTY_TOPIC_LAYOUT,
        ),
    }
    for names, config in layouts.values():
        await ensure_topics(
            bootstrap, names, 6 if len(names) == 1 else 1, dict.fromkeys(names, config)
        )
    publisher = KafkaPublisher(bootstrap)
    value = b"x" * 400
    print(f"{'round':>5}  {'layout':<32}{'records/s':>10}{'broker CPU s':>14}", flush=True)
    try:
        for n in range(1, rounds + 1):
            for label, (names, _) in layouts.items():
                records = [
                    (names[i % len(names)], f"k{i}".encode(), value, None) for i in range(RECORDS)
                ]
                cpu, start = cpu_seconds(pid), time.perf_counter()
                for chunk in range(0, RECORDS, 1000):
                    await publisher.many(records[chunk : chunk + 1000])
                took = time.perf_counter() - start
                print(
                    f"{n:>5}  {label:<32}{RECORDS / took:>10.0f}{cpu_seconds(pid) - cpu:>14.2f}",
                    flush=True,
                )
    finally:
        await publisher.close()


def main() -> None:
    """Start a broker, send the rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    ensure_kafka()
    with run_kafka(num_partitions=1, security=False) as broker:  # a benchmark: no partners
        asyncio.run(_rounds(broker.bootstrap, broker.process.proc.pid, args.rounds))


if __name__ == "__main__":
    main()
