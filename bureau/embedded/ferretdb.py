"""FerretDB 1.x as a child process: a real MongoDB-wire store without containers.

Its backend is ``BUREAU_EMBEDDED_STORE``: SQLite files in the workdir, or a private
PostgreSQL cluster started beside it (``bureau.embedded.postgres``); see docs/store.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from bureau.embedded.postgres import EmbeddedPostgres, run_postgres
from bureau.embedded.process import ChildProcess, cache_dir, free_port, port_open, wait_for
from bureau.settings import EmbeddedStore, Settings

FERRETDB_VERSION = "1.24.2"
_PROVISION = Path(__file__).resolve().parents[2] / "infra" / "ferretdb" / "provision.sh"


def ensure_ferretdb() -> Path:
    """Return the FerretDB binary, building it with ``infra/ferretdb/provision.sh`` if missing."""
    binary = cache_dir() / f"ferretdb-{FERRETDB_VERSION}" / "ferretdb"
    if os.access(binary, os.X_OK):
        return binary
    if not _PROVISION.is_file():
        raise FileNotFoundError(f"{binary} is missing and {_PROVISION} is not there to build it")
    result = subprocess.run(
        ["bash", str(_PROVISION)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        # The script must build into the very cache this process resolved.
        env={**os.environ, "BUREAU_CACHE_DIR": str(cache_dir())},
    )
    return Path(result.stdout.strip().splitlines()[-1])


class EmbeddedFerretDB:
    """A FerretDB server bound to one port and data directory across restarts."""

    def __init__(
        self, binary: Path, workdir: Path, port: int, *, postgres: EmbeddedPostgres | None = None
    ) -> None:
        """Prepare the server on SQLite, or on the running cluster ``postgres``."""
        self.binary = binary
        self.port = port
        self.postgres = postgres
        self.url = f"mongodb://127.0.0.1:{port}/"
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "ferretdb.log"
        self.startup_seconds = 0.0
        self._process: ChildProcess | None = None

    @property
    def process(self) -> ChildProcess:
        """Return the running server process."""
        if self._process is None:
            raise RuntimeError("FerretDB is not running")
        return self._process

    def running(self) -> bool:
        """Tell whether the server process is alive."""
        return self._process is not None and self._process.alive()

    def start(self, timeout: float = 60.0) -> None:
        """Launch the server and wait until it answers ``ping``."""
        if self.running():
            raise RuntimeError(f"FerretDB already runs on port {self.port}")
        # Otherwise the readiness probe could be answered by whoever holds the port.
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        started = time.monotonic()
        process = ChildProcess(
            "ferretdb",
            [
                str(self.binary),
                f"--listen-addr=127.0.0.1:{self.port}",
                *self._backend_args(),
            ],
            log_path=self.log_path,
        )
        self._process = process
        try:
            wait_for(
                self._answers_ping,
                timeout=timeout,
                what="FerretDB",
                alive=process.alive,
                interval=0.02,
            )
        except (TimeoutError, RuntimeError) as exc:
            tail = process.log_tail()
            self.stop()
            raise RuntimeError(
                f"{exc} (port {self.port})\n--- {self.log_path} ---\n{tail}"
            ) from exc
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """Stop the server gracefully; data stays for a later ``start()``."""
        if self._process is not None:
            self._process.stop()
            self._process = None

    def kill(self) -> None:
        """Kill the server at once, as a crash would; data stays for a later ``start()``."""
        if self._process is not None:
            self._process.kill()
            # stop() on the dead process only releases its log and atexit bookkeeping.
            self.stop()

    def restart(self, timeout: float = 60.0) -> None:
        """Stop the server if it runs, then start it again on the same port and data."""
        self.stop()
        self.start(timeout=timeout)

    def _backend_args(self) -> list[str]:
        if self.postgres is None:
            return ["--handler=sqlite", f"--sqlite-url=file:{self.data_dir}/"]
        return ["--handler=postgresql", f"--postgresql-url={self.postgres.url}"]

    def _answers_ping(self) -> bool:
        # The cheap port check keeps each poll short while the listener is not up yet.
        if not port_open(self.port):
            return False
        client: MongoClient[dict[str, object]] = MongoClient(
            self.url, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True


@contextlib.contextmanager
def run_ferretdb(
    workdir: Path | None = None, port: int | None = None, *, store: EmbeddedStore | None = None
) -> Iterator[EmbeddedFerretDB]:
    """Run FerretDB for the duration of the block; a temporary ``workdir`` is removed after.

    ``store`` picks the backend (default: ``BUREAU_EMBEDDED_STORE``); PostgreSQL runs
    beside FerretDB and its cluster is removed when the block ends.
    """
    backend = store or Settings().embedded_store
    owned = workdir is None
    root = Path(tempfile.mkdtemp(prefix="bureau-ferretdb-")) if workdir is None else workdir
    try:
        with contextlib.ExitStack() as stack:
            started = time.monotonic()
            postgres = None
            if backend == "postgresql":
                postgres = stack.enter_context(run_postgres(root / "postgres"))
            server = EmbeddedFerretDB(
                ensure_ferretdb(), root, port or free_port(), postgres=postgres
            )
            stack.callback(server.stop)
            server.start()
            # The store is ready when both processes are: report the pair's start-up.
            server.startup_seconds = time.monotonic() - started
            yield server
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Run FerretDB in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--workdir", type=Path, default=None, help="keep data here")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    # SIGTERM (e.g. from a supervisor) must stop the server too, not orphan it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with run_ferretdb(args.workdir, args.port, store=args.store) as server:
        print(f"FerretDB ready at {server.url} after {server.startup_seconds:.2f}s", flush=True)
        print(f"log: {server.log_path}  (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.process.proc.wait()


if __name__ == "__main__":
    main()
