"""Killable servers for the fault suite, a fresh world per scenario, and the table at the end.

Unlike the integration tests, this suite always runs Kafka and FerretDB as embedded
child processes (even when ``BUREAU_KAFKA_BOOTSTRAP`` or a container engine is there):
its scenarios kill, stop and restart them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from bureau.embedded.ferretdb import EmbeddedFerretDB, ensure_ferretdb, run_ferretdb
from bureau.embedded.kafka import EmbeddedKafka, ensure_kafka, run_kafka
from bureau.security import partners
from bureau.settings import Settings
from tests.faults.audit import TABLE, Table
from tests.faults.harness import FaultEnv
from tests.support.infra import secured_session


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults" in str(item.path):
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    table = terminalreporter.config.stash.get(TABLE, None)
    if table is not None and table.rows:
        terminalreporter.write_sep("=", "delivery guarantees under faults")
        terminalreporter.write_line(table.render())


@pytest.fixture(scope="session")
def fault_table(pytestconfig: pytest.Config) -> Table:
    return pytestconfig.stash.setdefault(TABLE, Table())


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedKafka]:
    ensure_kafka()
    with (
        run_kafka(tmp_path_factory.mktemp("kafka")) as broker,
        secured_session(broker.settings_update()),
    ):
        print(f"\nfaults: Kafka {broker.bootstrap} ({broker.startup_seconds:.1f} s)")
        yield broker


@pytest.fixture(scope="session")
def ferretdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedFerretDB]:
    ensure_ferretdb()
    with run_ferretdb(tmp_path_factory.mktemp("ferretdb")) as store:
        print(f"\nfaults: FerretDB {store.url} ({store.startup_seconds:.1f} s)")
        yield store


@pytest.fixture
async def env(
    kafka: EmbeddedKafka, ferretdb: EmbeddedFerretDB, tmp_path: Path
) -> AsyncIterator[FaultEnv]:
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        kafka_bootstrap=kafka.bootstrap,
        mongo_url=ferretdb.url,
        mongo_db=f"f_{run}",
        topic_prefix=f"f{run}.",
        group_prefix=f"f{run}.",
        partitions=6,
    )
    if settings.kafka_security_protocol != "PLAINTEXT":
        partners.provision_bureau(settings)
    world = FaultEnv(kafka=kafka, ferretdb=ferretdb, settings=settings, workdir=tmp_path)
    yield world
    for fleet in world.fleets:
        fleet.stop_all()
    # A scenario that failed half-way must not leave the next one without its servers.
    if not ferretdb.running():
        ferretdb.start()
    if not kafka.process.alive():
        kafka.restart()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ferretdb.url)
    for name in await client.list_database_names():
        if name.startswith(f"f_{run}"):
            await client.drop_database(name)
    await client.close()
