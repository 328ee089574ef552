"""Where integration tests find Kafka and the store: given, in containers, or embedded.

1. ``BUREAU_KAFKA_BOOTSTRAP`` / ``BUREAU_MONGO_URL`` set: use those servers.
2. A container engine answers the Docker API: testcontainers starts the images named
   by ``BUREAU_KAFKA_IMAGE`` / ``BUREAU_MONGO_IMAGE`` (official images by default).
3. Otherwise: the embedded launcher runs Kafka and FerretDB as child processes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bureau.settings import Settings
from tests.support import containers


@dataclass(frozen=True)
class Endpoint:
    """A running server: its address, how it was started and how long that took."""

    address: str
    how: str
    startup_seconds: float


@contextlib.contextmanager
def kafka_endpoint() -> Iterator[Endpoint]:
    """Yield a Kafka bootstrap address for the whole test session."""
    if given := os.environ.get("BUREAU_KAFKA_BOOTSTRAP"):
        yield Endpoint(given, "given", 0.0)
        return
    if containers.docker_engine_available():
        image = Settings().kafka_image
        started = time.monotonic()
        container, bootstrap = containers.start_kafka_container(image)
        try:
            yield Endpoint(bootstrap, f"container {image}", time.monotonic() - started)
        finally:
            container.stop()
        return
    from bureau.embedded.kafka import ensure_kafka, run_kafka

    ensure_kafka()
    with run_kafka() as kafka:
        yield Endpoint(kafka.bootstrap, "embedded process", kafka.startup_seconds)


@contextlib.contextmanager
def mongo_endpoint() -> Iterator[Endpoint]:
    """Yield a MongoDB-wire URL for the whole test session."""
    if given := os.environ.get("BUREAU_MONGO_URL"):
        yield Endpoint(given, "given", 0.0)
        return
    if containers.docker_engine_available():
        image = Settings().mongo_image
        started = time.monotonic()
        container, url = containers.start_mongo_container(image)
        try:
            yield Endpoint(url, f"container {image}", time.monotonic() - started)
        finally:
            container.stop()
        return
    from bureau.embedded.ferretdb import ensure_ferretdb, run_ferretdb

    ensure_ferretdb()
    with run_ferretdb() as store:
        yield Endpoint(store.url, "embedded process", store.startup_seconds)
