"""``bureau status`` against a running exchange: lag, dead letters by reason, rounds."""

from __future__ import annotations

import asyncio
import os
import sys

from bureau.app import create_app
from bureau.settings import Settings
from tests.support import events
from tests.support.scenarios import Partners


async def _status(settings: Settings) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUREAU_")}
    env |= {
        "BUREAU_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "BUREAU_MONGO_URL": settings.mongo_url,
        "BUREAU_MONGO_DB": settings.mongo_db,
        "BUREAU_TOPIC_PREFIX": settings.topic_prefix,
        "BUREAU_GROUP_PREFIX": settings.group_prefix,
        "COLUMNS": "250",  # one table row per line
    }
    # bureau's own principal, as an operator's shell has it (a password file, not a password).
    for name in ("kafka_security_protocol", "kafka_username", "kafka_password_file"):
        if (value := getattr(settings, name)) is not None:
            env[f"BUREAU_{name.upper()}"] = str(value)
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bureau",
        "status",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode is not None
    return command.returncode, out.decode()


async def test_status_shows_lag_dead_letters_with_reasons_and_reachability(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    bad = [events.offer("o-bad", capacity=-1), events.offer("o-worse", capacity=-2)]
    async with create_app(settings):
        await p.publish(t.offers, [events.offer("o-1"), *bad])

    code, out = await _status(settings)

    assert code == 0, out
    assert out.count("reachable") == 2, out
    assert "unreachable" not in out, out
    rows = [
        [c.strip() for c in line.strip().strip("│").split("│")]
        for line in out.splitlines()
        if "│" in line
    ]
    [dlq_row] = [r for r in rows if r[0] == f"{t.offers}.dlq"]
    assert dlq_row[1] == "2", dlq_row
    assert dlq_row[2].startswith("2x invalid event: InternshipOffered.data.capacity"), dlq_row
    [lag_row] = [r for r in rows if r[:2] == [p.group(t.offers), t.offers]]
    assert (lag_row[4], lag_row[5]) == ("3", "0"), lag_row  # three records, all applied
    assert "rounds  none yet" in out
