"""Embedded infrastructure: real Kafka and FerretDB (on PostgreSQL or SQLite) as child processes.

Used by the demo and, where no container engine answers, by the tests. The
artefacts are built once from Maven Central and the Go module proxy and cached
outside the repository (see ``infra/``).
"""

from bureau.embedded.process import ChildProcess, cache_dir, free_port, wait_for

__all__ = ["ChildProcess", "cache_dir", "free_port", "wait_for"]
