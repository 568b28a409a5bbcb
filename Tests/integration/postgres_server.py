# A temporary PostgreSQL 15 cluster for tests whose Tessera servers keep their data in it
# (`tessera serve --storage postgresql://...`, issue 21). Owns: initdb into a temporary
# directory, pg_ctl on a free loopback port, one database per caller, stopping and removing
# the cluster. The same steps as scripts/test-scale-out (which does them in bash) and
# Tests/StorageTests/PostgresTestServer.swift; every wait is bounded, and a cluster that does
# not come up raises with its log (tests never skip for it).

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
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
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start",
                   "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.scratch / 'cluster'} "
                         f"-c max_connections=200"], timeout=60)

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

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self.as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                                               "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.scratch, ignore_errors=True)
