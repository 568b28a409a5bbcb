# A temporary PostgreSQL 15 cluster for tests whose Tessera servers keep their data in it
# (`tessera serve --storage postgresql://...`, issue 21). Owns: initdb into a temporary
# directory, pg_ctl on a free loopback port, one database per caller, stopping and removing
# the cluster. The same steps as scripts/test-scale-out (which does them in bash) and
# Tests/StorageTests/PostgresTestServer.swift; every wait is bounded, and a cluster that does
# not come up raises with its log (tests never skip for it). For failover tests: a streaming
# hot standby of a cluster (pg_basebackup -R), synchronous replication to it, an abrupt stop
# of the primary and the standby's promotion (pg_ctl promote). For outage tests: the same
# cluster started again after an abrupt stop.

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tessera_server import free_port

PG_BIN = Path(os.environ.get("TESSERA_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresStartError(RuntimeError):
    """initdb or pg_ctl failed, or the cluster did not accept connections in time."""


class PostgresCluster:
    """One throwaway cluster on 127.0.0.1 with trust authentication for user `postgres`."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="tessera-pg."))
        os.chmod(self.scratch, 0o755)
        self.data = self.scratch / "cluster" / "data"
        self.log = self.scratch / "cluster" / "server.log"
        self.port = free_port()
        self.databases = 0
        # initdb and postgres refuse root: run them as the `postgres` user.
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
                               check=True, timeout=30)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def _run(self, arguments: list[str], timeout: float) -> None:
        result = subprocess.run(self.as_postgres + arguments, capture_output=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise PostgresStartError(f"{arguments[0]} failed ({result.returncode}): "
                                     f"{result.stdout.decode(errors='replace')}{result.stderr.decode(errors='replace')}\n{log}")

    def start(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise PostgresStartError(f"{PG_BIN}/initdb is missing: run scripts/ensure-packages (postgresql-15)")
        (self.scratch / "cluster").mkdir()
        if self.as_postgres:
            shutil.chown(self.scratch / "cluster", user="postgres")
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-locale",
                   "-E", "UTF8"], timeout=120)
        self._pg_ctl_start()

    def _pg_ctl_start(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start",
                   "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.scratch / 'cluster'} "
                         f"-c max_connections=200"], timeout=60)

    def start_again(self) -> None:
        """Starts the cluster again after `crash()`, on the same port and data directory
        (crash recovery replays its WAL); returns once it accepts connections."""
        self._pg_ctl_start()

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; its `postgresql://` URI."""
        self.databases += 1
        name = name or f"tessera{self.databases}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-q",
                        "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True, timeout=30)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def query(self, database_uri: str, sql: str) -> str:
        """Runs `sql` with psql against the database at `database_uri`; its unaligned output."""
        name = database_uri.rsplit("/", 1)[1]
        result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", name,
                                 "-A", "-t", "-c", sql], check=True, capture_output=True, timeout=30)
        return result.stdout.decode().strip()

    def crash(self) -> None:
        """Stops the cluster the way a crash would: `pg_ctl stop -m immediate` (no checkpoint,
        clients cut off); the data directory stays."""
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop"], timeout=60)

    def require_synchronous_standby(self, timeout: float = 60.0) -> None:
        """Makes every commit wait until a standby has flushed it (`synchronous_standby_names
        = '*'`, `synchronous_commit = on`), then waits until one streams synchronously: an
        acknowledged commit then survives losing this cluster."""
        self.query(f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                   "ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.query(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", "SELECT pg_reload_conf()")
        deadline = time.monotonic() + timeout
        while self.query(f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                         "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") != "1":
            if time.monotonic() > deadline:
                raise PostgresStartError(f"no synchronous standby within {timeout} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self.as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                                               "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.scratch, ignore_errors=True)


class PostgresStandby(PostgresCluster):
    """A streaming hot standby of `primary`: a base backup of it (`pg_basebackup -R` writes
    standby.signal and primary_conninfo) started on a port of its own."""

    def __init__(self, primary: PostgresCluster) -> None:
        super().__init__()
        self.primary = primary

    def start(self) -> None:
        (self.scratch / "cluster").mkdir()
        if self.as_postgres:
            shutil.chown(self.scratch / "cluster", user="postgres")
        self._run([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                   "-D", str(self.data), "-R", "-X", "stream", "-c", "fast"], timeout=120)
        self._pg_ctl_start()

    def promote(self) -> None:
        """Ends recovery: the standby becomes a primary that accepts writes (`pg_ctl promote -w`)."""
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "promote"], timeout=90)


@contextmanager
def cluster_with_database(name: str) -> Iterator[tuple[PostgresCluster, str]]:
    """A started cluster with one empty database `name`: the cluster and the database's URI;
    the cluster is stopped and removed afterwards."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster, cluster.create_database(name)
    finally:
        cluster.stop()


def hold_commit_lock(cluster: PostgresCluster, uri: str) -> subprocess.Popen:
    """A psql session holding the database-wide commit lock until its stdin is closed."""
    name = uri.rsplit("/", 1)[1]
    session = subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", name,
                                "-A", "-t", "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert session.stdin is not None and session.stdout is not None
    session.stdin.write(b"BEGIN;\nSELECT 'locked', value FROM tessera_counters WHERE name = 'commit' FOR UPDATE;\n")
    session.stdin.flush()
    line = session.stdout.readline().decode()
    assert line.startswith("locked|"), line
    return session


def release_commit_lock(session: subprocess.Popen) -> None:
    """Ends the session's transaction; a session the server already ended just exits."""
    assert session.stdin is not None
    try:
        session.stdin.write(b"ROLLBACK;\n")
        session.stdin.close()
    except BrokenPipeError:
        pass
    session.wait(timeout=30)
