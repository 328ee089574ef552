"""Session-scoped real servers; a fresh set of topics and a fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient

from bureau.adapters.mongo import MongoStore
from bureau.security import partners
from bureau.settings import Settings
from tests.support.infra import Endpoint, kafka_endpoint, mongo_endpoint


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


def _report(config: pytest.Config, what: str, endpoint: Endpoint) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    # Fixture set-up output is captured at the file-descriptor level; this line is
    # for the CI log, so it bypasses the capture.
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\n{what}: {endpoint.how} at {endpoint.address}, "
            f"ready in {endpoint.startup_seconds:.1f} s"
        )


@pytest.fixture(scope="session")
def kafka(pytestconfig: pytest.Config) -> Iterator[Endpoint]:
    with kafka_endpoint() as endpoint:
        _report(pytestconfig, "Kafka", endpoint)
        yield endpoint


@pytest.fixture(scope="session")
def mongo(pytestconfig: pytest.Config) -> Iterator[Endpoint]:
    with mongo_endpoint() as endpoint:
        _report(pytestconfig, "Store", endpoint)
        yield endpoint


@pytest.fixture
async def settings(kafka: Endpoint, mongo: Endpoint) -> AsyncIterator[Settings]:
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        kafka_bootstrap=kafka.address,
        mongo_url=mongo.address,
        mongo_db=f"t_{run}",
        topic_prefix=f"t{run}.",
        group_prefix=f"t{run}.",
        partitions=3,
        retry_backoff_initial=0.05,
        retry_backoff_max=1.0,
    )
    if settings.kafka_security_protocol != "PLAINTEXT":
        # bureau's ACLs follow the per-test prefixes.
        partners.provision_bureau(settings)
    yield settings
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo.address)
    await client.drop_database(f"t_{run}")
    await client.close()


@pytest.fixture
async def mongo_store(settings: Settings) -> AsyncIterator[MongoStore]:
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    await store.ensure_indexes()
    yield store
    await store.close()
