"""Two embedded brokers: one with security on (the default) and a control with it off.

Every attack runs against both: refused on the first, succeeding on the second, so the
checks provably see an attack when nothing stops it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bureau.embedded.kafka import EmbeddedKafka, ensure_kafka, run_kafka
from bureau.security import partners
from bureau.security.acls import Kind
from bureau.security.client import aiokafka_security, confluent_config
from bureau.settings import Settings
from bureau.topics import Topics
from tests.security.table import TABLE, Table

PARTNERS: dict[str, Kind] = {
    "school-a": "school",
    "school-b": "school",
    "company-c": "company",
    "company-d": "company",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security" in str(item.path):
            item.add_marker(pytest.mark.security)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    table = terminalreporter.config.stash.get(TABLE, None)
    if table is not None and table.rows:
        terminalreporter.write_sep("=", "trust: attacks against the broker and the envelope")
        terminalreporter.write_line(table.render())


@pytest.fixture(scope="session")
def red_team(pytestconfig: pytest.Config) -> Table:
    return pytestconfig.stash.setdefault(TABLE, Table())


@dataclass
class World:
    """One broker, its bureau settings and every partner's client credentials."""

    settings: Settings
    topics: Topics
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    onboarded: dict[str, partners.Onboarding] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    def partner(self, org: str) -> dict[str, Any]:
        """aiokafka security kwargs of ``org`` (none on the open broker)."""
        return self.credentials.get(org, {})


def _seed(settings: Settings, topics: list[str]) -> None:
    """Create ``topics`` and put one record in each, as the admin."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    config = confluent_config(settings, admin=True)
    admin = AdminClient(config)
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
        try:
            future.result(timeout=30)
        except Exception as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    producer = Producer(config)
    for topic in topics:
        producer.produce(topic, key=b"seed", value=b'{"seed": true}')
    assert producer.flush(30) == 0


def _targets(topics: Topics) -> list[str]:
    return [
        *topics.all(),
        *(topics.outcomes(o) for o, k in PARTNERS.items() if k == "school"),
        *(topics.suggestions(o) for o in PARTNERS),
        f"{topics.prefix}bureau.victim.v1",
    ]


@pytest.fixture(scope="session")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedKafka]:
    ensure_kafka()
    with run_kafka(
        tmp_path_factory.mktemp("kafka-secure"), num_partitions=1, security=True
    ) as broker:
        yield broker


@pytest.fixture(scope="session")
def open_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedKafka]:
    ensure_kafka()
    # TEST-ONLY: the control broker, as bureau ran before issue 8.
    with run_kafka(
        tmp_path_factory.mktemp("kafka-open"), num_partitions=1, security=False
    ) as broker:
        yield broker


@pytest.fixture(scope="session")
def secure(secure_broker: EmbeddedKafka) -> World:
    settings = Settings(
        **secure_broker.settings_update(),  # type: ignore[arg-type]
        topic_prefix="s.",
        group_prefix="s.",
        partitions=1,
    )
    partners.provision_bureau(settings)
    world = World(settings=settings, topics=Topics.from_settings(settings))
    for org, kind in PARTNERS.items():
        onboarded = partners.add(settings, org, kind)
        world.onboarded[org] = onboarded
        world.credentials[org] = onboarded.aiokafka_security()
    _seed(settings, _targets(world.topics))
    return world


@pytest.fixture(scope="session")
def control(open_broker: EmbeddedKafka, tmp_path_factory: pytest.TempPathFactory) -> World:
    # PLAINTEXT said outright: in the whole suite, the integration session exports its
    # secured broker's BUREAU_KAFKA_* variables, which Settings() would otherwise read.
    settings = Settings(
        kafka_bootstrap=open_broker.bootstrap,
        kafka_security_protocol="PLAINTEXT",
        topic_prefix="s.",
        group_prefix="s.",
        partitions=1,
    )
    world = World(settings=settings, topics=Topics.from_settings(settings))
    _seed(settings, _targets(world.topics))
    return world


def bureau_security(world: World) -> dict[str, Any]:
    """bureau's own client kwargs on ``world``'s broker."""
    return aiokafka_security(world.settings)


def keys_of(world: World, org: str) -> Path:
    """The signing key ``partners add`` wrote for ``org``."""
    return world.onboarded[org].key_file
