"""The command line: help everywhere, documented exit codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from bureau.cli import UNREACHABLE, USAGE, app


@pytest.fixture(autouse=True)
def _logging_as_before() -> Iterator[None]:
    """Commands configure logging for the process; later tests must not inherit that."""
    previous, root = structlog.get_config(), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**previous)
    root.handlers[:], root.level = handlers, level


COMMANDS = ["worker", "infra", "demo", "replay", "asyncapi", "stats", "shortlist", "status"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: bureau " + command in result.output


def test_the_top_level_help_lists_every_command_and_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert all(c in result.output for c in COMMANDS)
    assert "Exit codes" in result.output


def test_a_bad_command_or_region_is_a_usage_error() -> None:
    assert CliRunner().invoke(app, ["nosuch"]).exit_code == USAGE
    assert CliRunner().invoke(app, ["demo", "--region", "groningen"]).exit_code == USAGE
    assert CliRunner().invoke(app, ["replay"]).exit_code == USAGE  # --into-db is required


def test_status_exits_3_when_neither_broker_nor_store_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BUREAU_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("BUREAU_MONGO_URL", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500")
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == UNREACHABLE, result.output
    assert result.output.count("unreachable") == 2
