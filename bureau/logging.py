"""structlog set-up: JSON lines in production, readable lines on a terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog

from bureau.settings import Settings


def configure_logging(settings: Settings, *, log_file: Path | None = None) -> None:
    """Route structlog and stdlib logging through one renderer chosen by the settings.

    With ``log_file``, every line goes there as JSON and only warnings reach the terminal.
    """
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    # No local variables in console tracebacks: a handler's locals hold a poll batch
    # and the tables, and drawing them held the event loop for tens of seconds.
    console = structlog.dev.ConsoleRenderer(
        exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
    )
    renderer: structlog.typing.Processor = (
        console if fmt == "console" else structlog.processors.JSONRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    if log_file is not None:
        handler.setLevel(logging.WARNING)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=shared, processor=structlog.processors.JSONRenderer()
            )
        )
        root.addHandler(to_file)
    # aiokafka reports every reconnect attempt at ERROR; bureau logs the outcome itself.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
