"""Kafka and a MongoDB-wire server in containers, through testcontainers' generic container.

The image names are arguments, so the same code starts the official images
(``apache/kafka:4.x``, ``mongo:8``) where a Docker engine can pull them, and the
local stand-ins built by ``infra/images.sh`` (``localhost/bureau-kafka:<version>``,
``localhost/bureau-ferretdb:1.24.2``) under podman. Both Kafka images read the same
``KAFKA_*`` environment, which is why testcontainers' ``KafkaContainer`` (built
around Confluent's images and their start-up script) is not used.

Every container is named ``bureau-<purpose>-<random>`` (``infra/podman/down.sh``
removes strays by that prefix) and is force-removed, with its anonymous volumes,
by ``container.stop()``; a container that fails to become ready is removed before
the error propagates.
"""

from __future__ import annotations

import base64
import secrets
import socket
import time
from pathlib import Path

import docker
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from testcontainers.core.config import ConnectionMode
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

from bureau.embedded.secrets import Secrets

KAFKA_CONTROLLER_PORT = 9093
"""The KRaft controller listener, inside the container only."""

MONGO_PORT = 27017

KAFKA_READY_LOG = "Kafka Server started"


def docker_engine_available(timeout: float = 3.0) -> bool:
    """Tell whether a Docker API answers a ping (``DOCKER_HOST``, else the default socket).

    A ``docker`` binary on the PATH proves nothing; only the API counts.
    """
    try:
        client = docker.from_env(timeout=timeout)
    except Exception:  # no socket, refused, bad DOCKER_HOST: no engine
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


def container_name(purpose: str) -> str:
    """Return a fresh ``bureau-<purpose>-<random>`` container name."""
    return f"bureau-{purpose}-{secrets.token_hex(4)}"


def random_cluster_id() -> str:
    """Return a KRaft cluster id: 16 random bytes, url-safe base64 without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        port: int = sock.getsockname()[1]
        return port


def _reachable_host(container: DockerContainer) -> str:
    """Return the address this process reaches the container's published ports on.

    Known before the container starts, because Kafka must advertise it.
    ``TESTCONTAINERS_HOST_OVERRIDE`` wins; ``localhost`` becomes ``127.0.0.1`` so
    that clients do not try ``::1`` first.
    """
    client = container.get_docker_client()
    mode = client.get_connection_mode()
    if mode == ConnectionMode.docker_host:
        host = client.host()
    elif mode == ConnectionMode.gateway_ip:
        # Running inside a container: the default bridge's gateway is the Docker host.
        bridge = client.client.networks.get("bridge")
        host = str(bridge.attrs["IPAM"]["Config"][0]["Gateway"])
    else:
        raise RuntimeError(
            f"connection mode {mode.value!r}: the broker's address is unknown before it "
            "starts; set TESTCONTAINERS_CONNECTION_MODE=docker_host (or gateway_ip)"
        )
    return "127.0.0.1" if host == "localhost" else host


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _logs(container: DockerContainer, tail: int = 4000) -> str:
    try:
        out, err = container.get_logs()
    except Exception as exc:  # the container may already be gone
        return f"<no logs: {exc}>"
    return (out + err).decode(errors="replace")[-tail:]


def _start_or_remove(container: DockerContainer) -> None:
    try:
        container.start()
    except BaseException:
        container.stop()
        raise


def property_env(line: str) -> tuple[str, str]:
    """Turn a ``server.properties`` line into the ``KAFKA_*`` variable both images read."""
    name, value = line.split("=", 1)
    name = name.replace("_", "__").replace("-", "___").replace(".", "_").upper()
    return f"KAFKA_{name}", value


def secured_kafka_environment(advertised_host: str, port: int, secrets: Secrets) -> dict[str, str]:
    """As ``kafka_environment``, with SCRAM, the authorizer and deny-by-default.

    The admin and bureau users come from ``secrets`` mounted at ``SECRETS_MOUNT``, added at
    format time by ``infra/kafka/container-entrypoint.sh`` (``BUREAU_SCRAM_SECRETS_DIR``);
    the official image is started through that script (``start_kafka_container``).
    """
    env = kafka_environment(advertised_host, port)
    controller = f"localhost:{KAFKA_CONTROLLER_PORT}"
    env |= {
        "KAFKA_LISTENERS": f"SASL_PLAINTEXT://0.0.0.0:{port},CONTROLLER://{controller}",
        "KAFKA_ADVERTISED_LISTENERS": f"SASL_PLAINTEXT://{advertised_host}:{port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
            "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
        ),
        "KAFKA_INTER_BROKER_LISTENER_NAME": "SASL_PLAINTEXT",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "BUREAU_SCRAM_SECRETS_DIR": SECRETS_MOUNT,
    }
    env |= dict(property_env(line) for line in secrets.broker_properties("SASL_PLAINTEXT"))
    return env


ENTRYPOINT = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "container-entrypoint.sh"
"""bureau's Kafka image entrypoint, which adds SCRAM users when it formats the storage."""
SECRETS_MOUNT = "/etc/kafka/secrets"
"""Where a secured container finds the ``<user>.password`` files."""


def kafka_environment(advertised_host: str, port: int) -> dict[str, str]:
    """Return the ``KAFKA_*`` settings of a single-node KRaft broker on ``port``.

    The broker listens on ``0.0.0.0:port`` inside the container and advertises
    ``advertised_host:port``; publishing the same port on the host makes that one
    address valid from the host and from inside the container. Both
    ``apache/kafka`` and ``localhost/bureau-kafka`` turn these into
    ``server.properties`` (``KAFKA_LOG_DIRS`` -> ``log.dirs``).
    """
    controller = f"localhost:{KAFKA_CONTROLLER_PORT}"
    return {
        "CLUSTER_ID": random_cluster_id(),
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@{controller}",
        # The controller listener must not bind 0.0.0.0: Kafka advertises it as is.
        "KAFKA_LISTENERS": f"PLAINTEXT://0.0.0.0:{port},CONTROLLER://{controller}",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{advertised_host}:{port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_LOG_DIRS": "/tmp/kraft-combined-logs",
        "KAFKA_NUM_PARTITIONS": "1",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "5",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS": "5",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_HEAP_OPTS": "-Xmx512m -Xms512m",
    }


def start_kafka_container(
    image: str, *, startup_timeout: float = 120.0, secrets: Secrets | None = None
) -> tuple[DockerContainer, str]:
    """Start a single-node KRaft Kafka from ``image``; return it and its bootstrap address.

    Waits for the broker's ``Kafka Server started`` log line and for the published
    port to accept connections. Stop it with ``container.stop()`` (removes it).
    """
    port = _free_port()
    container = DockerContainer(image, name=container_name("kafka"))
    host = _reachable_host(container)
    if secrets is None:
        container.with_envs(**kafka_environment(host, port))
    else:
        container.with_envs(**secured_kafka_environment(host, port, secrets))
        container.with_volume_mapping(str(secrets.directory), SECRETS_MOUNT, "ro")
        if "bureau-kafka" not in image:
            # The official image has no hook for SCRAM users at format time: start it
            # through bureau's entrypoint (as docker-compose.yml does), which reads the
            # same KAFKA_* settings.
            container.with_volume_mapping(str(ENTRYPOINT), "/opt/bureau/entrypoint.sh", "ro")
            container.with_kwargs(entrypoint=["bash", "/opt/bureau/entrypoint.sh"])
    container.with_bind_ports(port, port)
    container.waiting_for(
        LogMessageWaitStrategy(KAFKA_READY_LOG)
        .with_startup_timeout(int(startup_timeout))
        .with_poll_interval(0.2)
    )
    started = time.monotonic()
    _start_or_remove(container)
    try:
        while not _port_answers(host, port):
            if time.monotonic() - started > startup_timeout:
                raise TimeoutError(
                    f"Kafka logged {KAFKA_READY_LOG!r} but {host}:{port} does not answer\n"
                    + _logs(container)
                )
            time.sleep(0.1)
    except BaseException:
        container.stop()
        raise
    return container, f"{host}:{port}"


def _mongo_ping(url: str) -> bool:
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000, socketTimeoutMS=2000
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def start_mongo_container(
    image: str, *, startup_timeout: float = 60.0
) -> tuple[DockerContainer, str]:
    """Start a MongoDB-wire server from ``image``; return it and its ``mongodb://`` URL.

    Works with ``mongo:<n>`` (no authentication) and ``localhost/bureau-ferretdb``;
    both listen on 27017 inside the container. Waits until ``ping`` answers.
    """
    container = DockerContainer(image, name=container_name("mongo"))
    container.with_exposed_ports(MONGO_PORT)
    started = time.monotonic()
    _start_or_remove(container)
    try:
        host = container.get_container_host_ip()
        host = "127.0.0.1" if host == "localhost" else host
        url = f"mongodb://{host}:{container.get_exposed_port(MONGO_PORT)}/"
        while not _mongo_ping(url):
            container.reload()
            if container.status not in ("created", "running"):
                raise RuntimeError(
                    f"{image} exited ({container.status}) before answering ping\n"
                    + _logs(container)
                )
            if time.monotonic() - started > startup_timeout:
                raise TimeoutError(
                    f"{image}: no ping answer after {startup_timeout:.0f}s\n" + _logs(container)
                )
            time.sleep(0.1)
    except BaseException:
        container.stop()
        raise
    return container, url
