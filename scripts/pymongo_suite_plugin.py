# pytest plugin loaded into each run of pymongo's own test suite by scripts/pymongo_suite.py.
# Owns two guards the suite itself lacks: a per-test time limit (a test still running after
# PYMONGO_SUITE_TEST_TIMEOUT seconds fails with TimeoutError, so one hang cannot stall the run)
# and a check after every test that the server process (TESSERA_PID) is still alive; when it
# is not, the test's id goes to PYMONGO_SUITE_CRASH_FILE and the session stops, so the runner
# can report the crash and restart the server. Knows nothing about which tests run.

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest


def _test_timeout() -> int:
    return int(os.environ.get("PYMONGO_SUITE_TEST_TIMEOUT", "120"))


def _server_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (the runner reaps it later)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _on_alarm(signum, frame):
    raise TimeoutError(f"test still running after {_test_timeout()}s (hang?)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(_test_timeout())
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    pid = int(os.environ.get("TESSERA_PID", "0"))
    if pid and not _server_alive(pid):
        crash_file = os.environ.get("PYMONGO_SUITE_CRASH_FILE")
        if crash_file:
            with open(crash_file, "a") as notes:
                notes.write(f"{item.nodeid}\n")
        pytest.exit(f"tessera (pid {pid}) exited during {item.nodeid}", returncode=3)
