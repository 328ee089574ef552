"""One more worker for a bench, in a process of its own: ``python -m bench.worker``.

It reads its settings from ``BUREAU_*`` like ``bureau worker``, keeps its aggregates in
the in-memory store adapter (as the bench's own worker does), says ``ready`` on stdout
once its tables are restored and its consumers started, and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio

from bench.throughput import _worker
from bureau.adapters.memory import InMemoryStore
from bureau.app import until_signalled
from bureau.logging import configure_logging
from bureau.settings import Settings


async def _serve() -> None:
    settings = Settings()
    configure_logging(settings)
    async with _worker(settings, InMemoryStore()):
        print("ready", flush=True)
        await until_signalled()


if __name__ == "__main__":
    asyncio.run(_serve())
