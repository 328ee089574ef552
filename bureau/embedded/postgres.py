"""PostgreSQL as a child process: the backend of FerretDB's ``postgresql`` handler.

Debian's server binaries (``infra/postgres/provision.sh`` installs them if missing)
run a private cluster on a loopback port; nothing is installed as a service. The
server refuses to run as root, so under root it runs as the ``postgres`` user (made
by Debian's package) or ``nobody``, in a data directory that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bureau.embedded.process import ChildProcess, free_port, port_open, wait_for

_PROVISION = Path(__file__).resolve().parents[2] / "infra" / "postgres" / "provision.sh"
DATABASE = "ferretdb"
SUPERUSER = "postgres"

# FerretDB's _id lookups need this index to not scan (docs/store.md).
ID_INDEX_SQL = Path(__file__).resolve().parents[2] / "infra" / "postgres" / "id_index.sql"


def ensure_postgres() -> Path:
    """Return the directory of ``initdb`` and ``postgres``, installing them if missing."""
    if not _PROVISION.is_file():
        raise FileNotFoundError(f"{_PROVISION} is missing")
    result = subprocess.run(
        ["bash", str(_PROVISION)], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


def server_user() -> str | None:
    """Return the user to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


class EmbeddedPostgres:
    """A private PostgreSQL cluster on one port; ``close()`` removes its data."""

    def __init__(self, bindir: Path, workdir: Path, port: int, *, id_index: bool = True) -> None:
        """Prepare the cluster's directories; ``start()`` creates and launches it.

        ``id_index=False`` leaves FerretDB's tables as it makes them (for measurements).
        """
        self.bindir = bindir
        self.port = port
        self.id_index = id_index
        self.user = server_user()
        self.log_path = workdir / "postgres.log"
        self.url = f"postgres://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"
        self.startup_seconds = 0.0
        self._process: ChildProcess | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        link = workdir / "pgdata"
        if self.user is None:
            self.data_dir = link
            self._outside: Path | None = None
        else:
            # The unprivileged user cannot reach into root's private temp dirs (pytest's
            # tmp_path is 0700), so its data lives in a directory of its own, linked here.
            self._outside = Path(tempfile.mkdtemp(prefix="bureau-postgres-"))
            owner = pwd.getpwnam(self.user)
            os.chown(self._outside, owner.pw_uid, owner.pw_gid)
            self.data_dir = self._outside / "data"
            link.unlink(missing_ok=True)
            link.symlink_to(self.data_dir)

    @property
    def process(self) -> ChildProcess:
        """Return the running server process (the postmaster)."""
        if self._process is None:
            raise RuntimeError("PostgreSQL is not running")
        return self._process

    def running(self) -> bool:
        """Tell whether the server process is alive."""
        return self._process is not None and self._process.alive()

    def start(self, timeout: float = 120.0) -> None:
        """Create the cluster on first use, launch the server and wait until it accepts."""
        if self.running():
            raise RuntimeError(f"PostgreSQL already runs on port {self.port}")
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        started = time.monotonic()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._process = ChildProcess(
            "postgres",
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                # No Unix socket: its path would have to fit 107 bytes and a writable dir.
                "-c",
                "unix_socket_directories=",
                # FerretDB's prepared statements take the key as a parameter; only a
                # plan made for the actual values matches the index of ID_INDEX_SQL.
                "-c",
                "plan_cache_mode=force_custom_plan",
            ],
            log_path=self.log_path,
            user=self.user,
            cwd=self.data_dir,
        )
        try:
            wait_for(
                self._accepts,
                timeout=timeout,
                what="PostgreSQL",
                alive=self._process.alive,
                interval=0.05,
            )
            exists = "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'"
            if not self.sql(exists, database="postgres").strip():
                self.sql("CREATE DATABASE ferretdb", database="postgres")
                if self.id_index:
                    self.sql(ID_INDEX_SQL.read_text())
        except (TimeoutError, RuntimeError) as exc:
            tail = self._process.log_tail()
            self.stop()
            raise RuntimeError(f"{exc}\n--- {self.log_path} ---\n{tail}") from exc
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """Stop the server; the data stays for a later ``start()``."""
        if self._process is not None:
            self._process.stop()
            self._process = None

    def close(self) -> None:
        """Stop the server and remove a data directory made outside the workdir."""
        self.stop()
        if self._outside is not None:
            shutil.rmtree(self._outside, ignore_errors=True)

    def sql(self, statement: str, *, database: str = DATABASE) -> str:
        """Run one SQL statement with ``psql`` and return its unaligned output."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database),
                *("-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", statement),
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on {statement!r}: {result.stderr.strip()}")
        return result.stdout

    def ferretdb_table(self, database: str, collection: str) -> str:
        """Return the table FerretDB keeps ``database.collection`` in, quoted for SQL."""
        row = self.sql(
            f"SELECT _jsonb->>'table' FROM \"{database}\"._ferretdb_database_metadata "  # noqa: S608
            "WHERE _jsonb->'_id' = to_jsonb($$" + collection + "$$::text)"
        ).strip()
        if not row:
            raise LookupError(f"FerretDB has no collection {database}.{collection}")
        return f'"{database}"."{row}"'

    def _initdb(self) -> None:
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        if self.user is not None:
            owner = pwd.getpwnam(self.user)
            os.chown(self.data_dir, owner.pw_uid, owner.pw_gid)
        with self.log_path.open("ab") as log:
            subprocess.run(
                [
                    str(self.bindir / "initdb"),
                    *("-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust"),
                    *("-E", "UTF8", "--locale=C"),
                    # A crash before the first checkpoint loses only an empty, per-run cluster.
                    "--no-sync",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=log,
                user=self.user,
                group=None if self.user is None else pwd.getpwnam(self.user).pw_gid,
                extra_groups=None if self.user is None else [],
                cwd=self.data_dir,
            )

    def _accepts(self) -> bool:
        result = subprocess.run(
            [
                str(self.bindir / "pg_isready"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-t", "1"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return result.returncode == 0


@contextlib.contextmanager
def run_postgres(
    workdir: Path | None = None, port: int | None = None, *, id_index: bool = True
) -> Iterator[EmbeddedPostgres]:
    """Run a private cluster for the duration of the block, removing its data after."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bureau-pg-")))
        server = EmbeddedPostgres(
            ensure_postgres(), workdir, port or free_port(), id_index=id_index
        )
        stack.callback(server.close)
        server.start()
        yield server
