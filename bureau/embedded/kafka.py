"""A real single-node Apache Kafka broker (KRaft) run from cached jars, without containers."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bureau.embedded.process import ChildProcess, cache_dir, free_port, wait_for
from bureau.embedded.secrets import ADMIN, MECHANISM, Secrets, read_secret

_PROVISION = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "provision.sh"
_CLIENT_ID = b"bureau-embedded"


def ensure_kafka(version: str | None = None) -> Path:
    """Return the Kafka home (``libs/``, ``log4j2.properties``), provisioning it if missing."""
    version = version or os.environ.get("KAFKA_VERSION") or None
    if version is not None:
        home = cache_dir() / f"kafka-{version}"
        if (home / "libs").is_dir():
            return home
    if not _PROVISION.is_file():
        raise RuntimeError(f"cannot provision Kafka: {_PROVISION} is missing")
    env = {**os.environ, "BUREAU_CACHE_DIR": str(cache_dir())}
    if version is not None:
        env["KAFKA_VERSION"] = version
    out = subprocess.run(
        ["bash", str(_PROVISION)], env=env, check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    return str(Path(java_home) / "bin" / "java") if java_home else "java"


def _broker_listed(port: int) -> bool:
    """Tell whether the broker answers a Metadata request that lists a live broker."""
    # Metadata v4 (non-flexible): header api_key=3, version=4, correlation id, client id;
    # body: null topic array (all topics), allow_auto_topic_creation=false.
    request = (
        struct.pack(">hhih", 3, 4, 1, len(_CLIENT_ID)) + _CLIENT_ID + struct.pack(">ib", -1, 0)
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            head = sock.makefile("rb").read(16)
    except OSError:
        return False
    if len(head) < 16:
        return False
    # size, correlation id, throttle_time_ms, broker count: fenced brokers are not listed.
    _size, correlation, _throttle, brokers = struct.unpack(">iiii", head)
    return bool(correlation == 1 and brokers > 0)


def _broker_listed_scram(bootstrap: str, secrets: Secrets) -> bool:
    """Tell whether the broker lists a live broker to its admin over SASL/SCRAM."""
    # The hand-written Metadata probe above cannot authenticate; librdkafka can.
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(
        {
            "bootstrap.servers": bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": MECHANISM,
            "sasl.username": ADMIN,
            "sasl.password": read_secret(secrets.password_file(ADMIN)),
            # Connection refused while the broker starts is expected, not worth a log line.
            "log_level": 0,
        }
    )
    try:
        return bool(admin.list_topics(timeout=2.0).brokers)
    except Exception:  # KafkaException while the broker is not up
        return False


def _failure_report(log: str) -> str:
    """Return the ERROR lines and the last lines of a broker log."""
    # The cause is logged once, then buried under dozens of shutdown lines.
    lines = log.splitlines()
    errors = [line for line in lines if " ERROR " in line or " FATAL " in line][:10]
    tail = "\n".join(lines[-15:])
    return "--- errors ---\n" + "\n".join(errors) + "\n--- log tail ---\n" + tail


class EmbeddedKafka:
    """One KRaft broker+controller process with its own data dir and ports."""

    def __init__(
        self,
        home: Path,
        workdir: Path,
        *,
        port: int,
        num_partitions: int = 3,
        timeout: float = 120.0,
        security: bool = True,
    ) -> None:
        """Write the config, format the storage and start the broker; wait until it serves.

        ``security`` (the default): SASL/SCRAM-SHA-512, the authorizer (deny by default),
        no auto-create. ``security=False`` is for control rows and benchmarks only.
        """
        self.home = home
        self.workdir = workdir
        self.port = port
        self.bootstrap = f"127.0.0.1:{port}"
        self.timeout = timeout
        self.startup_seconds = 0.0
        self.security = security
        self.secrets = Secrets(workdir / "secrets") if security else None
        controller_port = free_port()
        while controller_port == port:
            controller_port = free_port()
        self.config = workdir / "server.properties"
        self.data_dir = workdir / "data"
        listener = controller = "SASL_PLAINTEXT" if security else "PLAINTEXT"
        lines = [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners={listener}://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners={listener}://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            f"inter.broker.listener.name={listener}",
            f"listener.security.protocol.map={listener}:{listener},CONTROLLER:{controller}",
            f"log.dirs={self.data_dir}",
            f"num.partitions={num_partitions}",
            f"auto.create.topics.enable={'false' if security else 'true'}",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=4",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # After kill() the old registration blocks the new one until its
            # session expires (default 9 s); keep broker-restart tests quick.
            "broker.session.timeout.ms=3000",
            "broker.heartbeat.interval.ms=500",
        ]
        if self.secrets is not None:
            lines += self.secrets.broker_properties(listener)
        workdir.mkdir(parents=True, exist_ok=True)
        # The file holds the broker's own SCRAM password (in its JAAS line): owner only.
        self.config.touch(mode=0o600)
        self.config.write_text("\n".join([*lines, ""]))
        self.process = self._launch()

    def _argv(self, main: str, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
        return [
            _java(),
            "-Xmx512m",
            *jvm,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            str(self.home / "libs" / "*"),
            main,
            *args,
        ]

    def _format(self) -> None:
        # Formatting twice would fail, and a restart must keep the data.
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = "-"
        # As Kafka's own Uuid.randomUuid() does: an id starting with "-" reads as an option
        # ("--cluster-id: expected one argument"), which failed one start in 64.
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        log = self.workdir / "format.log"
        with log.open("wb") as out:
            done = subprocess.run(
                self._argv(
                    "kafka.tools.StorageTool",
                    *("format", "-t", cluster_id, "-c", str(self.config)),
                    *(self.secrets.format_arguments() if self.secrets else ()),
                    # A one-shot tool: C1 alone and serial GC start it faster.
                    jvm=("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"kafka storage format failed ({done.returncode}):\n{tail}")

    def _launch(self) -> ChildProcess:
        start = time.monotonic()
        self._format()
        process = ChildProcess(
            "kafka",
            self._argv("kafka.Kafka", str(self.config)),
            log_path=self.workdir / "kafka.log",
        )
        try:
            wait_for(
                self._serves,
                timeout=self.timeout,
                what=f"kafka on {self.bootstrap}",
                interval=0.2,
                alive=process.alive,
            )
        except (TimeoutError, RuntimeError) as exc:
            process.stop(grace=5.0)
            raise RuntimeError(f"{exc}\n{_failure_report(process.log_tail(400))}") from exc
        self.startup_seconds = time.monotonic() - start
        return process

    def settings_update(self) -> dict[str, object]:
        """Return the ``Settings`` fields a client of this broker needs (bureau and admin)."""
        update: dict[str, object] = {"kafka_bootstrap": self.bootstrap}
        if self.secrets is not None:
            update |= self.secrets.settings_update()
        return update

    def _serves(self) -> bool:
        if self.secrets is None:
            return _broker_listed(self.port)
        return _broker_listed_scram(self.bootstrap, self.secrets)

    def kill(self) -> None:
        """Kill the broker with SIGKILL, as a crash would."""
        self.process.kill()

    def restart(self) -> None:
        """Start the broker again on the same port and data dir (after kill() or a clean stop)."""
        self.process.stop()
        self.process = self._launch()

    def stop(self) -> None:
        """Stop the broker and everything it spawned."""
        self.process.stop()


@contextlib.contextmanager
def run_kafka(
    workdir: Path | None = None,
    port: int | None = None,
    *,
    num_partitions: int = 3,
    version: str | None = None,
    timeout: float = 120.0,
    security: bool = True,
) -> Iterator[EmbeddedKafka]:
    """Run a broker for the duration of the block; a fresh temp dir holds its data by default."""
    home = ensure_kafka(version)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bureau-kafka-")))
        kafka = EmbeddedKafka(
            home,
            workdir,
            port=port or free_port(),
            num_partitions=num_partitions,
            timeout=timeout,
            security=security,
        )
        stack.callback(kafka.stop)
        yield kafka


def main() -> None:
    """Run a broker until Ctrl-C or SIGTERM, printing its bootstrap address."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with run_kafka(port=port) as kafka:
        print(kafka.bootstrap, flush=True)
        print(
            f"ready in {kafka.startup_seconds:.1f}s, log: {kafka.process.log_path}", file=sys.stderr
        )
        if kafka.secrets is not None:  # where the passwords are, never the passwords
            print(f"SASL/SCRAM credentials: {kafka.secrets.directory}", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
