"""Benchmark of sealing personal fields (not a test): the cost of encryption per event.

``python -m bench.privacy [events]`` (default 20000) prints, in one run: µs per
seal and per open of a MatchSuggested's reasons, and the throughput of producing
MatchSuggested bodies as the service does (build, dump to JSON) without and with
the reasons sealed (key from a warm write-path cache, as on the hot path).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from bureau.privacy.crypto import open_sealed, seal
from bureau.privacy.fields import seal_personal
from bureau.privacy.keys import CachedKeyStore, InMemoryKeyStore
from bureau.schemas.matches import MatchSuggested, MatchSuggestedData

REASONS = (
    "level mbo-4 is accepted",
    "shared skills: linux, networking, siem",
    "themes: cybersecurity",
    "about 12 km away",
)


def _event(i: int) -> MatchSuggested:
    return MatchSuggested(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 9, 1, tzinfo=UTC),
        source="bureau",
        data=MatchSuggestedData(
            offer_id=f"offer-{i % 500}",
            company_id="northsea-secure",
            student_id=f"st-{i % 2000:04d}",
            school_id="roc-amsterdam",
            score=0.67,
            reasons=REASONS,
        ),
    )


def _per_op(n: int, op: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for i in range(n):
        op(i)
    return (time.perf_counter() - started) / n * 1e6


async def _run(n: int) -> None:
    keys = CachedKeyStore(InMemoryKeyStore())
    key = await keys.get_or_create("st-0001")
    tokens = [seal(key, [*REASONS, str(i)]) for i in range(n)]
    seal_us = _per_op(n, lambda i: seal(key, [*REASONS, str(i)]))
    open_us = _per_op(n, lambda i: open_sealed({key.key_id: key}, tokens[i]))
    events = [_event(i) for i in range(n)]
    for i in range(2000):  # warm the cache: every student's key made once
        await keys.get_or_create(f"st-{i:04d}")

    started = time.perf_counter()
    plain = [e.model_dump_json() for e in events]
    plain_s = time.perf_counter() - started

    started = time.perf_counter()
    sealed = [
        json.dumps(await seal_personal(e.model_dump(mode="json"), keys), separators=(",", ":"))
        for e in events
    ]
    sealed_s = time.perf_counter() - started

    size = sum(map(len, plain)) / n
    sealed_size = sum(map(len, sealed)) / n
    print(f"payload: MatchSuggested, {size:.0f} B plain, {sealed_size:.0f} B sealed; n={n}")
    print(f"seal  (AES-256-GCM, reasons only): {seal_us:8.1f} µs")
    print(f"open  (AES-256-GCM, reasons only): {open_us:8.1f} µs")
    print(f"events without encryption:         {n / plain_s:10.0f} /s ({plain_s / n * 1e6:.1f} µs)")
    print(
        f"events with reasons sealed:        {n / sealed_s:10.0f} /s ({sealed_s / n * 1e6:.1f} µs)"
    )
    print(f"cost of sealing per event:         {(sealed_s - plain_s) / n * 1e6:8.1f} µs")


def main() -> None:
    """Run the benchmark with the event count from the command line."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    asyncio.run(_run(n))


if __name__ == "__main__":
    main()
