"""7. Replay: ``bureau replay`` rebuilds every projection from offset 0 into a fresh
database, with a progress bar, equal to the live one (canonical hash per collection),
without publishing anything again."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from bureau.replay import compare, digests
from bureau.topics import dlq
from tests.faults import workload
from tests.faults.audit import Row, Table, audit
from tests.faults.harness import FaultEnv, drive
from tests.support.kafka import read_all


async def test_replay_rebuilds_projections_equal_to_the_live_ones(
    env: FaultEnv, fault_table: Table
) -> None:
    valid = workload.exchange(workload.Shape(seed=11))
    poison = workload.poison_for(valid[0], max_message_bytes=env.settings.max_message_bytes)
    messages = workload.with_poison(workload.repeated(valid, every=6), poison, seed=5)
    run = await drive(env, messages, workers=2)
    bootstrap = env.settings.kafka_bootstrap
    published = {
        t: len(await read_all(bootstrap, t))
        for t in [env.topics.matches, dlq(env.topics.offers), dlq(env.topics.students)]
    }

    fresh = f"{env.settings.mongo_db}_rebuilt"
    variables = {**os.environ, **env.worker_env()}
    variables.pop("BUREAU_LOG_LEVEL")  # the command's own default keeps the bar readable
    began = time.monotonic()
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bureau",
        "replay",
        "--into-db",
        fresh,
        env=variables,
        cwd=env.workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(command.communicate(), timeout=180)
    took = time.monotonic() - began
    stdout, stderr = out.decode(), err.decode()
    assert "replay [" in stderr, stderr  # the progress bar
    assert "100%" in stderr, stderr

    live = await digests(env.settings.mongo_url, env.settings.mongo_db)
    rebuilt = await digests(env.settings.mongo_url, fresh)
    different = compare(rebuilt, live)
    republished = [
        topic
        for topic, count in published.items()
        if len(await read_all(bootstrap, topic)) != count
    ]
    verdict = await audit(env, run.partner.sent, database=fresh)
    fault_table.add(
        Row(
            number="7",
            scenario="replay: `bureau replay` from offset 0 into a fresh database",
            verdict=verdict,
            recover=f"{took:.1f} s (replay)",
            notes=(
                f"canonical hashes differ for {', '.join(different)}"
                if different
                else "canonical hashes equal for "
                + ", ".join(f"{n} ({d.count})" for n, d in sorted(live.items())),
                f"published by the replay: {', '.join(republished) or 'nothing'}",
            ),
        )
    )
    assert not different, stdout
    assert command.returncode == 0, stdout + stderr
    assert "every collection equal" in stdout, stdout
    assert not republished, f"the replay published on {republished}"
    assert not verdict.broken(), verdict.summary()
