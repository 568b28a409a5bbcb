# `make test-pymongo`: pymongo's own (synchronous) test suite against a real `tessera serve`.
# Owns: fetching the suite (the PyPI sdist of the pymongo version in ./.venv, whose test/
# directory is the suite) into .build/pymongo-suite/, choosing which of its files apply to a
# single-node Tessera (and why the others do not), running them one file at a time against
# one server started with --enable-test-commands, restarting that server when it crashes or
# stops answering (both are reported as such), and the report: per-file counts, failures
# grouped by cause, and per-test results in bench-results/<date>/pymongo-suite.txt.
# The last line printed is `pymongo-suite: P passed, F failed, S skipped, E errors`.
# Exits 1 when the server crashed or hung during the run, else 0 (test failures are the
# report's subject, not the target's failure).

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ElementTree
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
             test_timeout: int, extra_args: list[str]) -> FileReport:
    report = FileReport(name)
    junit = results_dir / f"{name}.xml"
    crash_file = results_dir / f"{name}.crash"
    junit.unlink(missing_ok=True)
    crash_file.unlink(missing_ok=True)
    env = {**os.environ,
           "DB_IP": "127.0.0.1", "DB_PORT": str(server.port), "TESSERA_PID": str(server.pid),
           "PYMONGO_SUITE_TEST_TIMEOUT": str(test_timeout),
           "PYMONGO_SUITE_CRASH_FILE": str(crash_file),
           "PYTHONPATH": str(Path(__file__).resolve().parent)}
    command = [sys.executable, "-m", "pytest", f"test/{name}", "-p", "pymongo_suite_plugin",
               # --tb=native: Debian's Python 3.11.2 can fail pytest's own traceback
               # formatting (ast.parse "recursion depth mismatch"), which aborts the whole file.
               "-p", "no:cacheprovider", "-m", "default", "-q", "--no-header", "-rN", "--tb=native",
               f"--junitxml={junit}", *extra_args]
    started = time.monotonic()
    with open(results_dir / f"{name}.log", "w") as log:
        try:
            subprocess.run(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                           timeout=max(1800, test_timeout * 10))
        except subprocess.TimeoutExpired:
            report.notes.append("pytest itself did not finish in time and was killed")
    report.seconds = time.monotonic() - started
    report.results = read_junit(junit, name)
    if crash_file.exists():
        for nodeid in crash_file.read_text().split():
            report.notes.append(f"SERVER CRASH during {nodeid}")
    if not report.results and not report.notes:
        report.notes.append(f"no results (see {results_dir / (name + '.log')})")
    return report


def read_junit(path: Path, file: str) -> list[TestResult]:
    if not path.exists():
        return []
    results = []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        nodeid = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                message = (child.get("message") or (child.text or "")).strip()
                break
        results.append(TestResult(file, nodeid, outcome, message))
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
    parser.add_argument("--test-timeout", type=int, default=120, help="seconds per test")
    parser.add_argument("--output", type=Path,
                        default=REPO_ROOT / "bench-results" / datetime.date.today().isoformat()
                        / "pymongo-suite.txt")
    parser.add_argument("--results-dir", type=Path, default=SCRATCH / "results",
                        help="where each file's junit XML and pytest log go")
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
                                  arguments.pytest_arg)
                if not server.running:
                    code = server.stop()
                    server_notes.append(f"exited with {code} during {name}; restarted")
                    server.start()
                elif not server_answers(server):
                    server_notes.append(f"stopped answering `ping` after {name}; killed and restarted")
                    server.kill()
                    server.start()
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
