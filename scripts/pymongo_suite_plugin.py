# pytest plugin loaded into each run of pymongo's own test suite by scripts/pymongo_suite.py.
# Owns the guards the suite itself lacks and the per-test record the runner reads:
# - a per-test time limit: a test still running after PYMONGO_SUITE_TEST_TIMEOUT seconds gets
#   TestTimedOut raised in it (SIGALRM), so one hang cannot stall the run;
# - a check after every test that the server process (TESSERA_PID) is still alive; when it
#   is not, the test's id goes to PYMONGO_SUITE_CRASH_FILE and the session stops, so the runner
#   can report the crash and restart the server;
# - PYMONGO_SUITE_RESULTS: one JSON line per finished test (nodeid, outcome, message), written
#   as each test ends, so a pytest the runner has to kill (a hang the alarm could not break,
#   the file's time limit) still leaves every result it reached;
# - PYMONGO_SUITE_CURRENT: the id of the test running now, so the runner can name the test a
#   killed pytest was stuck in and start the file again after it.
# - the host pymongo's CI runs on: the suite's handshake-metadata tests (test_client's
#   test_metadata*, test_container_metadata, test_handshake_*) expect no `container` entry
#   unless they set one, but pymongo adds {runtime: docker} whenever /.dockerenv exists, as it
#   does on this machine. The plugin points pymongo's probe at a path that does not exist, so
#   the driver sees a plain host; nothing the server receives or answers is changed by it.
# Knows nothing about which tests run.

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest


def pytest_configure(config):
    import pymongo.pool_options

    pymongo.pool_options.DOCKER_ENV_PATH = "/nonexistent/.dockerenv (hidden by pymongo_suite_plugin)"


def _test_timeout() -> int:
    return int(os.environ.get("PYMONGO_SUITE_TEST_TIMEOUT", "120"))


def _server_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (the runner reaps it later)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


class TestTimedOut(BaseException):
    """Raised in a test that outlives its time limit. A BaseException, not an Exception:
    pymongo turns an OSError such as TimeoutError raised in a socket call into a network
    error it retries (a change stream resumes on it), which would swallow the limit."""


def _on_alarm(signum, frame):
    raise TestTimedOut(f"test still running after {_test_timeout()}s (hang?)")


def _message(report) -> str:
    """What junitxml would put in the failure/skip message: the crash line, or the reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return crash.message
    return str(longrepr)


class _Outcomes:
    """Folds a test's setup/call/teardown reports into one outcome, as junitxml does."""

    def __init__(self) -> None:
        self.outcome = "passed"
        self.message = ""

    def add(self, report) -> None:
        if self.outcome in ("failed", "error"):
            return
        if report.failed:
            if report.when == "call" and not hasattr(report, "wasxfail"):
                self.outcome = "failed"
                self.message = _message(report)
            elif report.when == "call":  # strict xpass
                self.outcome = "failed"
                self.message = f"[XPASS(strict)] {report.wasxfail}"
            else:
                self.outcome = "error"
                self.message = f'failed on {report.when} with "{_message(report)}"'
        elif report.skipped:
            self.outcome = "skipped"
            self.message = (f"xfail: {report.wasxfail}" if hasattr(report, "wasxfail")
                            else _message(report))


_outcomes: dict[str, _Outcomes] = {}


def _append(variable: str, line: str, mode: str = "a") -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, mode) as out:
            out.write(line + "\n")
            out.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _append("PYMONGO_SUITE_CURRENT", item.nodeid, mode="w")
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(_test_timeout())
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    outcome = _outcomes.pop(item.nodeid, _Outcomes())
    _append("PYMONGO_SUITE_RESULTS", json.dumps(
        {"nodeid": item.nodeid, "outcome": outcome.outcome, "message": outcome.message}))
    pid = int(os.environ.get("TESSERA_PID", "0"))
    if pid and not _server_alive(pid):
        _append("PYMONGO_SUITE_CRASH_FILE", item.nodeid)
        pytest.exit(f"tessera (pid {pid}) exited during {item.nodeid}", returncode=3)


def pytest_runtest_logreport(report):
    _outcomes.setdefault(report.nodeid, _Outcomes()).add(report)
