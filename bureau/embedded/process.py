"""Child processes that never outlive their parent: own process group, reaped on exit."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

_LIVE: set[ChildProcess] = set()


def cache_dir() -> Path:
    """Return the artefact cache (``BUREAU_CACHE_DIR``, default ``~/.cache/bureau``)."""
    root = os.environ.get("BUREAU_CACHE_DIR") or str(Path.home() / ".cache" / "bureau")
    path = Path(root).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Poll ``condition`` until it holds; return the seconds waited or raise TimeoutError."""
    start = time.monotonic()
    while not condition():
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited before it was ready")
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s")
        time.sleep(interval)
    return time.monotonic() - start


class ChildProcess:
    """A server started in its own process group and stopped with the whole group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
    ) -> None:
        """Start ``argv`` (as ``user`` if given); its output goes to ``log_path``."""
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: IO[bytes] = log_path.open("ab")
        self.proc = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            user=user,
            group=None if user is None else _primary_group(user),
            extra_groups=None if user is None else [],
            # A new session puts the server and anything it spawns in one group, so
            # stop() reaches all of them and a terminal's Ctrl-C is ours to forward.
            start_new_session=True,
        )
        _LIVE.add(self)

    def alive(self) -> bool:
        """Tell whether the process is still running."""
        return self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the process log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        """Terminate the whole process group, then kill it if it lingers."""
        _LIVE.discard(self)
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(timeout=grace)
        # Children that ignored SIGTERM must not keep ports or disk.
        self._signal(signal.SIGKILL)
        self._log.close()

    def kill(self) -> None:
        """Kill the process group at once (SIGKILL), as a crash would."""
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def _primary_group(user: str) -> int:
    return pwd.getpwnam(user).pw_gid


def _stop_all() -> None:
    for child in list(_LIVE):
        child.stop(grace=5.0)


atexit.register(_stop_all)
