# `make test-pymongo`: pymongo's own (synchronous) test suite against a real `tessera serve`.
# Owns: fetching the suite (the PyPI sdist of the pymongo version in ./.venv, whose test/
# directory is the suite) into .build/pymongo-suite/, choosing which of its files apply to a
# single-node Tessera (and why the others do not), running them one file at a time against
# one server started with --enable-test-commands, each file under a time budget
# (--file-timeout; a test pytest is stuck in past --test-timeout is killed, counted as a hang,
# and the file goes on after it), restarting that server when it crashes or stops answering
# (both are reported as such), and the report: per-file counts, failures
# grouped by cause, and per-test results in bench-results/<date>/pymongo-suite.txt.
# The last line printed is `pymongo-suite: P passed, F failed, S skipped, E errors`.
# Exits 1 when the server crashed or hung during the run, else 0 (test failures are the
# report's subject, not the target's failure).

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "Tests" / "integration"))
from tessera_server import TesseraServer, free_port  # noqa: E402

from pymongo import MongoClient  # noqa: E402
from pymongo.errors import PyMongoError  # noqa: E402

SCRATCH = REPO_ROOT / ".build" / "pymongo-suite"

# The files run by default: every synchronous test file of the suite that talks to a server
# and tests something a single-node Tessera claims. The first ten are the ones issue 16 names.
DEFAULT_FILES = [
    "test_bulk.py", "test_change_stream.py", "test_client.py", "test_collection.py",
    "test_crud_unified.py", "test_cursor.py", "test_database.py", "test_retryable_writes.py",
    "test_session.py", "test_transactions.py",
    "test_binary.py", "test_causal_consistency.py", "test_client_bulk_write.py",
    "test_collation.py", "test_collection_management.py", "test_command_logging.py",
    "test_command_monitoring.py", "test_comment.py", "test_connection_logging.py",
    "test_connection_monitoring.py", "test_create_entities.py", "test_csot.py",
    "test_custom_types.py", "test_decimal128.py", "test_examples.py", "test_grid_file.py",
    "test_gridfs.py", "test_gridfs_bucket.py", "test_gridfs_spec.py",
    "test_handshake_unified.py", "test_heartbeat_monitoring.py", "test_index_management.py",
    "test_json_util_integration.py", "test_monitoring.py", "test_operation_id_retry.py",
    "test_pooling.py", "test_raw_bson.py", "test_read_concern.py",
    "test_read_write_concern_spec.py", "test_retryable_reads.py",
    "test_retryable_reads_unified.py", "test_retryable_writes_unified.py",
    "test_run_command.py", "test_sessions_unified.py", "test_streaming_protocol.py",
    "test_threads.py", "test_transactions_unified.py", "test_unified_format.py",
    "test_versioned_api_integration.py",
]

# Server-facing files not run, and why. (The suite's other files test the driver alone:
# BSON, URI parsing, SDAM/server-selection spec tests on simulated topologies, ...)
EXCLUDED = {
    "test_auth.py": "needs a server started with authentication and the suite's users; "
                    "this run's server has auth off (Tessera's auth has its own integration tests)",
    "test_auth_oidc.py": "OIDC authentication (Atlas/cloud identity providers)",
    "test_encryption.py": "client-side field-level encryption: needs pymongocrypt and "
                          "mongocryptd/crypt_shared, and the server's encrypted-field support",
    "test_on_demand_csfle.py": "client-side encryption with cloud KMS",
    "test_kms_connect.py": "client-side encryption KMS servers",
    "test_kms_connect_prose.py": "client-side encryption KMS servers",
    "test_ocsp_support.py": "OCSP stapling (TLS with an OCSP responder)",
    "test_ssl.py": "TLS: this run's server listens in plain TCP",
    "test_load_balancer.py": "load-balanced mode (mongos behind a load balancer)",
    "test_mongos_load_balancing.py": "several mongos routers",
    "test_replica_set_reconfig.py": "replica-set reconfiguration (Tessera is one node)",
    "test_connections_survive_primary_stepdown_spec.py": "replica-set primary step-down",
    "test_srv_polling.py": "DNS SRV records (mongodb+srv://)",
    "test_dns.py": "DNS SRV/TXT seed lists",
    "test_sfp.py": "Atlas Secure Frontend Processor",
    "test_fork.py": "the driver's behaviour across os.fork(), not the server's",
    "test_client_backpressure.py": "server ingress admission control (MongoDB 8.1+ labels)",
    "test_server_selection_in_window.py": "load spread across several mongos",
    "test_typing.py": "static typing of the driver (mypy)",
}


@dataclass
class TestResult:
    file: str
    nodeid: str
    outcome: str  # passed, failed, skipped, error
    message: str = ""


@dataclass
class FileReport:
    name: str
    results: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)


# -- the suite ------------------------------------------------------------------------------

def fetch_suite(version: str) -> Path:
    """The sdist's test/ directory, extracted once under .build/pymongo-suite/<version>/."""
    root = SCRATCH / version
    tests = root / "test"
    if (tests / "__init__.py").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"pymongo-{version}.tar.gz"
    if not archive.exists():
        # Only pymongo from source: its build backends (hatchling, ...) come as wheels, which
        # `--no-binary :all:` would otherwise build from source too, recursively.
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet",
                        "--disable-pip-version-check", "--no-deps", "--no-binary", "pymongo",
                        f"pymongo=={version}", "--dest", str(root)], check=True)
    prefix = f"pymongo-{version}/"
    with tarfile.open(archive) as sdist:
        # Regular files and directories under test/ only, no `..` (Debian's Python 3.11
        # predates extractall's `filter`).
        members = [member for member in sdist.getmembers()
                   if (member.isfile() or member.isdir()) and ".." not in member.name.split("/")
                   and (member.name.startswith(prefix + "test/")
                        or member.name == prefix + "pyproject.toml")]
        for member in members:
            member.name = member.name[len(prefix):]
        sdist.extractall(root, members=members)
    write_pytest_ini(root)
    return root


def write_pytest_ini(root: Path) -> None:
    """pymongo's own pytest settings (markers, warnings as errors), minus the pytest-asyncio
    keys (only the asynchronous suite needs that plugin) and the addopts the runner sets."""
    options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    lines = ["[pytest]", "testpaths = test", "xfail_strict = true",
             f"faulthandler_timeout = {options.get('faulthandler_timeout', 1500)}",
             "filterwarnings ="]
    lines += [f"    {entry}" for entry in options.get("filterwarnings", [])]
    lines.append("markers =")
    lines += [f"    {entry}" for entry in options.get("markers", [])]
    (root / "pytest.ini").write_text("\n".join(lines) + "\n")


# -- running --------------------------------------------------------------------------------

def suite_port() -> int:
    """27017 when nothing listens there (a few of the suite's tests build clients with
    pymongo's defaults, localhost:27017, whatever DB_PORT says), else any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", 27017))
            return 27017
        except OSError:
            return free_port()


def server_answers(server: TesseraServer) -> bool:
    try:
        with MongoClient(server.uri, serverSelectionTimeoutMS=5000, socketTimeoutMS=5000) as probe:
            return probe.admin.command("ping").get("ok") == 1
    except PyMongoError:
        return False


def run_file(root: Path, name: str, server: TesseraServer, results_dir: Path,
             test_timeout: int, file_timeout: int, extra_args: list[str],
             server_notes: list[str]) -> FileReport:
    """Runs one file under a time budget of `file_timeout` seconds. pytest is started again
    after the test it was stuck in (no progress for test_timeout + 60 s: a hang the plugin's
    alarm could not break) or after a server crash (the server is restarted first), with
    the tests already done deselected, until the file is done or the budget is spent."""
    report = FileReport(name)
    results_file = results_dir / f"{name}.jsonl"
    current_file = results_dir / f"{name}.current"
    crash_file = results_dir / f"{name}.crash"
    for path in (results_file, current_file, crash_file):
        path.unlink(missing_ok=True)
    started = time.monotonic()
    deadline = started + file_timeout
    done: dict[str, TestResult] = {}
    with open(results_dir / f"{name}.log", "w") as log:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            crash_file.unlink(missing_ok=True)
            current_file.unlink(missing_ok=True)
            env = {**os.environ,
                   "DB_IP": "127.0.0.1", "DB_PORT": str(server.port), "TESSERA_PID": str(server.pid),
                   "PYMONGO_SUITE_TEST_TIMEOUT": str(test_timeout),
                   "PYMONGO_SUITE_CRASH_FILE": str(crash_file),
                   "PYMONGO_SUITE_RESULTS": str(results_file),
                   "PYMONGO_SUITE_CURRENT": str(current_file),
                   "PYTHONPATH": str(Path(__file__).resolve().parent)}
            deselect = [argument for nodeid in done for argument in ("--deselect", nodeid)]
            command = [sys.executable, "-m", "pytest", f"test/{name}", "-p", "pymongo_suite_plugin",
                       # --tb=native: Debian's Python 3.11.2 can fail pytest's own traceback
                       # formatting (ast.parse "recursion depth mismatch"), which aborts the file.
                       "-p", "no:cacheprovider", "-m", "default", "-q", "--no-header", "-rN",
                       "--tb=native", *deselect, *extra_args]
            log.write(f"=== attempt {attempt}: {len(done)} tests already done\n")
            log.flush()
            stuck = supervise(command, root, env, log, current_file, deadline,
                              stall_seconds=test_timeout + 60)
            for result in read_results(results_file, name):
                done.setdefault(result.nodeid, result)
            crashed = crash_file.read_text().split() if crash_file.exists() else []
            for nodeid in crashed:
                report.notes.append(f"SERVER CRASH during {nodeid}")
            if not server.running or crashed:
                code = server.stop()
                server_notes.append(f"exited with {code} during {name}; restarted")
                server.start()
            if stuck is None:
                break
            if stuck and stuck not in done:
                reason = ("the file's time limit was reached" if time.monotonic() >= deadline
                          else f"no progress for {test_timeout + 60}s")
                done[stuck] = TestResult(name, stuck, "failed",
                                         f"hang: pytest killed while running this test ({reason})")
                report.notes.append(f"pytest killed during {stuck} ({reason})")
            if time.monotonic() >= deadline:
                report.notes.append(f"file time limit ({file_timeout}s) reached; "
                                    "the tests after the one named above did not run")
                break
            if not server_answers(server):
                server_notes.append(f"stopped answering `ping` during {name}; killed and restarted")
                server.kill()
                server.start()
        else:
            report.notes.append(f"gave up after {MAX_ATTEMPTS} starts of pytest")
    report.seconds = time.monotonic() - started
    report.results = list(done.values())
    if not report.results and not report.notes:
        report.notes.append(f"no results (see {results_dir / (name + '.log')})")
    return report


# pytest starts per file at most (the first run plus restarts after hangs and crashes).
MAX_ATTEMPTS = 6


def supervise(command: list[str], root: Path, env: dict[str, str], log, current_file: Path,
              deadline: float, stall_seconds: int) -> str | None:
    """Runs pytest until it exits (returns None) or until the deadline passes or the current
    test has run for `stall_seconds`; then kills its process group and returns the id of the
    test it was in ("" when none had started)."""
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    while True:
        try:
            process.wait(timeout=2)
            return None
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        try:
            stalled = time.time() - current_file.stat().st_mtime > stall_seconds
        except FileNotFoundError:
            stalled = False
        if now >= deadline or stalled:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            try:
                return current_file.read_text().strip()
            except FileNotFoundError:
                return ""


def read_results(path: Path, file: str) -> list[TestResult]:
    """The plugin's JSON lines: one finished test each."""
    if not path.exists():
        return []
    results = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        results.append(TestResult(file, record["nodeid"], record["outcome"], record["message"]))
    return results


# -- triage ---------------------------------------------------------------------------------

_CODE = re.compile(r"'code': (\d+)|, code: (\d+)|full error: \{[^}]*'code': (\d+)")
_CODE_NAME = re.compile(r"'codeName': '([A-Za-z]+)'")
_NO_COMMAND = re.compile(r"no such command: '([^']+)'")


_ERRMSG = re.compile(r"""'errmsg': (?:'([^']{0,70})|"([^"]{0,70}))""")


def cause(message: str) -> str:
    """A short class for a failure's message, for grouping."""
    first = message.splitlines()[0] if message else ""
    if "test still running after" in message:
        return "hang: test timed out"
    if "'container': {" in message and "'runtime': 'docker'" in message:
        return "environment: pymongo puts this machine's container into its handshake metadata"
    if "DNS query name does not exist" in message:
        return "environment: no DNS (the SRV test records of *.test.build.10gen.cc)"
    if (match := _NO_COMMAND.search(message)) is not None:
        return f"unknown command: {match.group(1)}"
    if (match := _CODE.search(message)) is not None:
        code = next(group for group in match.groups() if group)
        name = _CODE_NAME.search(message)
        errmsg = _ERRMSG.search(message)
        return (f"error code {code} ({name.group(1) if name else '?'})"
                + (f": {errmsg.group(1) or errmsg.group(2)}" if errmsg else ""))
    if "AutoReconnect" in first or "connection closed" in first or "ServerSelectionTimeout" in first:
        return "connection lost or refused"
    return first[:110] or "(no message)"


# -- report ---------------------------------------------------------------------------------

def write_report(path: Path, version: str, port: int, reports: list[FileReport],
                 server_notes: list[str]) -> str:
    total = Counter()
    for report in reports:
        for outcome in ("passed", "failed", "skipped", "error"):
            total[outcome] += report.count(outcome)
    summary = (f"pymongo-suite: {total['passed']} passed, {total['failed']} failed, "
               f"{total['skipped']} skipped, {total['error']} errors")
    lines = [f"# pymongo {version} test suite (sdist test/) against tessera serve "
             f"--enable-test-commands on port {port}, {datetime.date.today().isoformat()}",
             "# file: passed failed skipped errors (seconds)"]
    for report in reports:
        lines.append(f"{report.name}: {report.count('passed')} {report.count('failed')} "
                     f"{report.count('skipped')} {report.count('error')} ({report.seconds:.0f}s)")
        lines += [f"  note: {note}" for note in report.notes]
    lines += [f"server: {note}" for note in server_notes]
    lines += ["", "# not run (server-facing files whose subject Tessera does not claim):"]
    lines += [f"#   {name}: {reason}" for name, reason in EXCLUDED.items()]
    causes = Counter(cause(result.message) for report in reports for result in report.results
                     if result.outcome in ("failed", "error"))
    lines += ["", "# failures and errors by cause (count cause)"]
    lines += [f"{count:5d} {text}" for text, count in causes.most_common()]
    skips = Counter((result.message.splitlines() or [""])[0][:110] for report in reports
                    for result in report.results if result.outcome == "skipped")
    lines += ["", "# skips by reason (count reason)"]
    lines += [f"{count:5d} {text}" for text, count in skips.most_common()]
    lines += ["", "# per test: OUTCOME test [cause]"]
    for report in reports:
        for result in report.results:
            detail = ""
            if result.outcome in ("failed", "error"):
                detail = f"  [{cause(result.message)}]"
            elif result.outcome == "skipped":
                detail = f"  [{(result.message.splitlines() or [''])[0][:110]}]"
            lines.append(f"{result.outcome.upper()} {report.name}::{result.nodeid}{detail}")
    lines += ["", summary]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description="pymongo's own test suite against tessera serve")
    parser.add_argument("files", nargs="*", help="test files to run (default: the applicable set)")
    parser.add_argument("--test-timeout", type=int, default=120,
                        help="seconds per test before the plugin raises TestTimedOut in it")
    parser.add_argument("--file-timeout", type=int, default=600,
                        help="seconds per test file, all restarts included")
    parser.add_argument("--output", type=Path,
                        default=REPO_ROOT / "bench-results" / datetime.date.today().isoformat()
                        / "pymongo-suite.txt")
    parser.add_argument("--results-dir", type=Path, default=SCRATCH / "results",
                        help="where each file's results (JSON lines) and pytest log go")
    parser.add_argument("--pytest-arg", action="append", default=[],
                        help="extra pytest argument (e.g. -k name), repeatable")
    arguments = parser.parse_args()

    version = importlib.metadata.version("pymongo")
    root = fetch_suite(version)
    files = arguments.files or DEFAULT_FILES
    for name in files:
        if not (root / "test" / name).exists():
            parser.error(f"no test/{name} in pymongo {version}'s suite")
    results_dir = arguments.results_dir
    results_dir.mkdir(parents=True, exist_ok=True)

    server_notes: list[str] = []
    reports: list[FileReport] = []
    with tempfile.TemporaryDirectory(prefix="tessera-pymongo-suite-") as scratch:
        server = TesseraServer(Path(scratch) / "db", SCRATCH / "server.log", port=suite_port(),
                               extra_args=["--enable-test-commands"])
        server.log_path.unlink(missing_ok=True)
        server.start()
        try:
            for name in files:
                report = run_file(root, name, server, results_dir, arguments.test_timeout,
                                  arguments.file_timeout, arguments.pytest_arg, server_notes)
                reports.append(report)
                print(f"{name}: {report.count('passed')} passed, {report.count('failed')} failed, "
                      f"{report.count('skipped')} skipped, {report.count('error')} errors "
                      f"({report.seconds:.0f}s)" + "".join(f"; {note}" for note in report.notes),
                      flush=True)
        finally:
            code = server.stop()
            if code != 0:
                server_notes.append(f"exited with {code} after SIGTERM at the end")
    for note in server_notes:
        print(f"server: {note}")
    summary = write_report(arguments.output, version, server.port, reports, server_notes)
    print(f"per-test results: {arguments.output}")
    print(summary)
    crashed = server_notes or any("CRASH" in note for report in reports for note in report.notes)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
