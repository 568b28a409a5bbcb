# Fixtures for the integration suite: one real `tessera serve` per session (free port,
# temporary dbpath), a MongoClient on it, a fresh database per test, and private servers
# for tests that stop, kill or restart the process. When a test fails, the server log lines
# written during it are attached to the report and saved under .build/integration-logs/.

from __future__ import annotations

import re
import shutil

import pytest

from tessera_server import REPO_ROOT, TesseraServer

LOG_DIR = REPO_ROOT / ".build" / "integration-logs"

# Servers whose logs a failing test should show: (server, log offset when the test began).
_watched: dict[str, list[tuple[TesseraServer, int]]] = {}


def _log_size(server: TesseraServer) -> int:
    try:
        return server.log_path.stat().st_size
    except FileNotFoundError:
        return 0


def _watch(request: pytest.FixtureRequest, server: TesseraServer) -> None:
    _watched.setdefault(request.node.nodeid, []).append((server, _log_size(server)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when not in ("call", "setup"):
        return
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
    for index, (server, offset) in enumerate(_watched.get(item.nodeid, [])):
        with open(server.log_path, "rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        saved = LOG_DIR / f"{safe}.{index}.log"
        saved.write_text(text)
        tail = "\n".join(text.splitlines()[-60:])
        report.sections.append((f"tessera log (full: {saved})", tail))


_figures: list[str] = []


@pytest.fixture
def figures():
    """Lines a test wants printed in the run's summary (measured figures, e.g. RSS)."""
    return _figures.append


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.section("tessera figures")
        for line in _figures:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> TesseraServer:
    """The shared server: started once, stopped with SIGTERM at the end (exit code 0)."""
    root = tmp_path_factory.mktemp("tessera")
    instance = TesseraServer(root / "db", root / "server.log")
    instance.start()
    yield instance
    code = instance.stop()
    if code != 0:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(instance.log_path, LOG_DIR / "session-server.log")
    assert code == 0, f"tessera exited with {code} after SIGTERM; log tail:\n{instance.log_tail()}"


@pytest.fixture(autouse=True)
def _watch_session_server(request):
    """Attach the shared server's log to any failing test that used it."""
    if "server" in request.fixturenames:
        _watch(request, request.getfixturevalue("server"))
    yield
    _watched.pop(request.node.nodeid, None)


@pytest.fixture(scope="session")
def client(server):
    """A MongoClient on the shared server."""
    with server.client() as mongo:
        yield mongo


def _database_name(nodeid: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", nodeid.split("::", 1)[-1])
    return ("t_" + name)[:60]


@pytest.fixture
def db(client, request):
    """A database of this test's own, empty at the start and dropped at the end."""
    name = _database_name(request.node.nodeid)
    client.drop_database(name)
    yield client[name]
    client.drop_database(name)


@pytest.fixture
def coll(db):
    """The collection `c` in this test's database."""
    return db["c"]


@pytest.fixture
def private_server(tmp_path, request):
    """A server of this test's own, for tests that stop, kill or restart it.

    Call `.restart()` (graceful) or `.kill()` then `.start()` to come back on the same dbpath.
    Teardown stops it gracefully when it is still running and expects exit code 0.
    """
    instance = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    _watch(request, instance)
    instance.start()
    yield instance
    if instance.running:
        code = instance.stop()
        assert code == 0, f"tessera exited with {code} after SIGTERM; log tail:\n{instance.log_tail()}"
