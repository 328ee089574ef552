"""The web dashboard: region figures, rounds, research, lectures, schools and operators."""

from __future__ import annotations

import asyncio
import socket

import structlog
import uvicorn

from bureau.settings import Settings
from bureau.web.app import Wiring, create_app
from bureau.web.wiring import wiring_from_settings

log = structlog.get_logger(__name__)


class NotListeningError(RuntimeError):
    """The dashboard could not listen on its address (the port is taken, say)."""


def serve(settings: Settings) -> None:
    """Serve the dashboard on ``settings.web_host:web_port`` until interrupted."""
    if not asyncio.run(serve_async(settings)):
        raise NotListeningError(
            f"the dashboard could not listen on {settings.web_host}:{settings.web_port} "
            "(BUREAU_WEB_PORT chooses another port)"
        )


async def serve_async(settings: Settings, *, ready: asyncio.Event | None = None) -> bool:
    """Serve the dashboard inside a running event loop (the demo runs it beside the worker).

    Returns False at once if it could not listen (``ready`` is then never set), else
    True once stopped.
    """
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
        # Bound here, not by uvicorn: on a taken port uvicorn exits the whole process,
        # and the caller (the demo, `bureau web`) should decide what that means.
        try:
            sock = socket.create_server(
                (settings.web_host, settings.web_port),
                family=socket.AF_INET6 if ":" in settings.web_host else socket.AF_INET,
            )
        except OSError as exc:
            log.warning("web_not_listening", port=settings.web_port, error=exc.strerror)
            return False
        task = asyncio.create_task(server.serve(sockets=[sock]))
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
        return True


__all__ = ["NotListeningError", "Wiring", "create_app", "serve", "serve_async"]
