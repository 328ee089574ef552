"""The web dashboard: region figures, rounds, research, lectures, schools and operators."""

from __future__ import annotations

import asyncio

import uvicorn

from bureau.settings import Settings
from bureau.web.app import Wiring, create_app
from bureau.web.wiring import wiring_from_settings


def serve(settings: Settings) -> None:
    """Serve the dashboard on ``settings.web_host:web_port`` until interrupted."""
    asyncio.run(serve_async(settings))


async def serve_async(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Serve the dashboard inside a running event loop (the demo runs it beside the worker)."""
    async with wiring_from_settings(settings) as wiring:
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(wiring),
                host=settings.web_host,
                port=settings.web_port,
                # Requests are logged by the app, by route pattern: paths may name a school.
                access_log=False,
                log_level="warning",
            )
        )
        task = asyncio.create_task(server.serve())
        # uvicorn offers no event for "listening": its flag is all there is to watch.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if ready is not None:
            ready.set()
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # Cancelled by the caller (the demo stopping): let uvicorn shut down cleanly.
            server.should_exit = True
            await task
            raise


__all__ = ["Wiring", "create_app", "serve", "serve_async"]
