"""Unit tests see no broker settings: in the whole suite the integration session exports
its secured broker's ``BUREAU_KAFKA_*`` variables, which ``Settings()`` would read."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_broker_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("BUREAU_KAFKA_")]:
        monkeypatch.delenv(name)
