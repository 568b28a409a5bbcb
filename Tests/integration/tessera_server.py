# Starting, watching and stopping a real `tessera serve` process for the integration suite
# and the unified runner. Owns: free-port choice, readiness (a `hello` that answers), the
# server's log file, RSS readings, graceful (SIGTERM) and abrupt (SIGKILL) stops, restarts
# on the same data directory. Knows nothing about what the tests check.

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / ".build" / "debug" / "tessera"


def tessera_binary() -> Path:
    """The server binary: $TESSERA_BIN, else the debug build of this checkout."""
    return Path(os.environ.get("TESSERA_BIN", DEFAULT_BINARY))


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerStartError(RuntimeError):
    """The server exited or never answered `hello` in time."""


class TesseraServer:
    """One `tessera serve` process on 127.0.0.1 with its data in `dbpath`.

    `start()` may be called again after `stop()`/`kill()` to restart on the same dbpath;
    the port is kept when it is still free, so URIs stay valid across restarts.
    """

    def __init__(self, dbpath: Path, log_path: Path, port: int | None = None,
                 extra_args: list[str] | None = None, env: dict[str, str] | None = None):
        self.dbpath = Path(dbpath)
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.extra_args = list(extra_args or [])
        # Extra environment variables (e.g. LD_PRELOAD for the fault shim); may be changed
        # between restarts.
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_codes: list[int] = []

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    def command_line(self) -> list[str]:
        # $TESSERA_SERVE_ARGS: arguments every server gets (scripts/test-scale-out passes
        # `--storage postgresql://...`, which takes the place of --dbpath).
        common = shlex.split(os.environ.get("TESSERA_SERVE_ARGS", ""))
        return [str(tessera_binary()), "serve", "--bind", "127.0.0.1",
                "--port", str(self.port), "--dbpath", str(self.dbpath), *common, *self.extra_args]

    def start(self, timeout: float = 60.0) -> None:
        binary = tessera_binary()
        if not binary.exists():
            raise ServerStartError(f"{binary} does not exist: run `swift build --product tessera` "
                                   "or set TESSERA_BIN")
        self.dbpath.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        log.write(f"\n=== start: {' '.join(self.command_line())}\n".encode())
        log.flush()
        self.process = subprocess.Popen(self.command_line(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env={**os.environ, **self.env})
        log.close()
        self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            code = self.process.poll()
            if code is not None:
                raise ServerStartError(f"tessera exited with {code} before answering hello; "
                                       f"log tail:\n{self.log_tail()}")
            try:
                with MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500) as probe:
                    reply = probe.admin.command("hello")
                    if reply.get("ok") == 1:
                        return
            except PyMongoError as error:
                last_error = error
            time.sleep(0.1)
        self.kill()
        raise ServerStartError(f"tessera did not answer hello within {timeout}s ({last_error}); "
                               f"log tail:\n{self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait; returns the exit code (0 means a clean shutdown)."""
        if self.process is None or self.process.poll() is not None:
            return self._reap()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.exit_codes.append(-999)
            self.process = None
            return -999
        return self._reap()

    def kill(self) -> None:
        """SIGKILL: the abrupt death a crash or power loss would bring."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._reap()

    def restart(self, timeout: float = 60.0) -> None:
        """Graceful stop (when running) then start again on the same dbpath and port."""
        if self.process is not None and self.process.poll() is None:
            self.stop()
        try:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(("127.0.0.1", self.port))
        except OSError:
            self.port = free_port()
        self.start(timeout)

    def _reap(self) -> int:
        if self.process is None:
            return self.exit_codes[-1] if self.exit_codes else 0
        code = self.process.wait()
        self.exit_codes.append(code)
        self.process = None
        return code

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- observation -----------------------------------------------------------------------

    def rss_kib(self) -> int:
        """Resident set size from /proc/<pid>/status (VmRSS, in KiB)."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        """The log's last `lines` lines; when the process crashed, the crash report's head
        (the reason and the crashed thread's frames) comes first, since its tail is only
        registers and images."""
        all_lines = self.log_text().splitlines()
        tail = all_lines[-lines:]
        markers = ("Program crashed", "Fatal error", "terminate called", "pthread lock", "Assertion", "crashed:")
        crash = next((i for i, line in enumerate(all_lines) if any(m in line for m in markers)), None)
        if crash is None or crash >= len(all_lines) - lines:
            return "\n".join(tail)
        head = all_lines[max(0, crash - 10):crash + 60]
        return "\n".join(head + ["..."] + tail)

    def client(self, **options) -> MongoClient:
        options.setdefault("serverSelectionTimeoutMS", 10_000)
        return MongoClient(self.uri, **options)

    def shows_operation(self, marker: str) -> bool:
        """Whether the server's currentOp shows a command tagged `marker`."""
        with MongoClient(self.uri, serverSelectionTimeoutMS=5_000) as probe:
            operations = probe.admin.command("currentOp", {"active": True})["inprog"]
        return any(marker in repr(operation.get("command", {})) for operation in operations)
