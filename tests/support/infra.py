"""Where integration tests find Kafka and the store: given, in containers, or embedded.

1. ``BUREAU_KAFKA_BOOTSTRAP`` / ``BUREAU_MONGO_URL`` set: use those servers.
2. A container engine answers the Docker API: testcontainers starts the images named
   by ``BUREAU_KAFKA_IMAGE`` / ``BUREAU_MONGO_IMAGE`` (official images by default).
3. Otherwise: the embedded launcher runs Kafka and FerretDB as child processes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bureau.settings import Settings
from tests.support import containers


@dataclass(frozen=True)
class Endpoint:
    """A running server: its address, how it was started and how long that took."""

    address: str
    how: str
    startup_seconds: float


@contextlib.contextmanager
def _endpoint(
    given_env: str,
    image: str,
    start_container: Callable[[str], tuple[Any, str]],
    embedded: Callable[[], contextlib.AbstractContextManager[tuple[str, float]]],
) -> Iterator[Endpoint]:
    if given := os.environ.get(given_env):
        yield Endpoint(given, "given", 0.0)
        return
    if containers.docker_engine_available():
        started = time.monotonic()
        container, address = start_container(image)
        try:
            yield Endpoint(address, f"container {image}", time.monotonic() - started)
        finally:
            container.stop()
        return
    with embedded() as (address, seconds):
        yield Endpoint(address, "embedded process", seconds)


@contextlib.contextmanager
def _embedded_kafka() -> Iterator[tuple[str, float]]:
    from bureau.embedded.kafka import ensure_kafka, run_kafka

    ensure_kafka()
    with run_kafka() as kafka, secured_session(kafka.settings_update()):
        yield kafka.bootstrap, kafka.startup_seconds


def _variables(update: dict[str, object]) -> dict[str, str]:
    return {f"BUREAU_{k.upper()}": str(v) for k, v in update.items() if k != "kafka_bootstrap"}


def _secured_kafka_container(image: str) -> tuple[Any, str]:
    """Start a Kafka container with SCRAM and the authorizer; export its client settings."""
    from bureau.embedded.secrets import Secrets

    # Lives as long as the session (the container reads it at format time).
    secrets = Secrets(Path(tempfile.mkdtemp(prefix="bureau-kafka-secrets-")))
    container, address = containers.start_kafka_container(image, secrets=secrets)
    os.environ.update(_variables(secrets.settings_update()))
    return container, address


@contextlib.contextmanager
def secured_session(update: dict[str, object]) -> Iterator[None]:
    """Export a broker's client settings as ``BUREAU_*`` for the session, as a user would.

    Every ``Settings()`` of the tests, the test helpers and the workers they start then
    connect with bureau's (or the admin's) credentials; the given-broker path reads the same
    variables from the caller's environment.
    """
    names = _variables(update)
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _embedded_ferretdb() -> Iterator[tuple[str, float]]:
    from bureau.embedded.ferretdb import ensure_ferretdb, run_ferretdb

    ensure_ferretdb()
    with run_ferretdb() as store:
        yield store.url, store.startup_seconds


def kafka_endpoint() -> contextlib.AbstractContextManager[Endpoint]:
    """A Kafka bootstrap address for the whole test session."""
    # The embedded broker runs as the default does: SASL/SCRAM, ACLs, no auto-create.
    return _endpoint(
        "BUREAU_KAFKA_BOOTSTRAP",
        Settings().kafka_image,
        _secured_kafka_container,
        _embedded_kafka,
    )


def mongo_endpoint() -> contextlib.AbstractContextManager[Endpoint]:
    """A MongoDB-wire URL for the whole test session."""
    return _endpoint(
        "BUREAU_MONGO_URL",
        Settings().mongo_image,
        containers.start_mongo_container,
        _embedded_ferretdb,
    )
