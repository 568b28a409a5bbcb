# The command fuzzer in the suite: a 60-second seeded run against a server of its own (every
# request answered with ok or a code, no connection in sync closed, the server up, the guard
# data intact), and the replay of every request the fuzzer ever saved (fuzz_crashes/*.json).

from __future__ import annotations

import os
from pathlib import Path

import pytest

import command_fuzzer
from tessera_server import TesseraServer

CRASHES = sorted((Path(__file__).resolve().parent / "fuzz_crashes").glob("*.json"))


def test_a_seeded_minute_of_generated_commands_breaks_nothing(private_server, tmp_path, figures):
    seed = int(os.environ.get("FUZZ_SEED", "20261206"))
    seconds = float(os.environ.get("FUZZ_SECONDS", "60"))
    counts = command_fuzzer.run(private_server, private_server.uri, seconds, seed, tmp_path / "crashes")
    failures = counts.pop("failures")
    figures("command fuzzer (seed %d, %.0f s): %s" % (seed, seconds, ", ".join(f"{k} {v}" for k, v in counts.items())))
    assert counts["requests"] > 100, counts
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def replay_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay")
    server = TesseraServer(root / "db", root / "server.log")
    server.start()
    with server.client() as client:
        command_fuzzer.seed(client)
    yield server
    if server.running:
        assert server.stop() == 0, server.log_tail()


def test_findings_are_kept():
    assert len(CRASHES) >= 12, "the saved findings went missing"


@pytest.mark.parametrize("path", CRASHES, ids=[path.stem for path in CRASHES])
def test_every_saved_fuzzer_finding_is_answered(replay_server, path):
    if not replay_server.running:  # an earlier finding killed it: that test failed already
        replay_server.start()
    problem = command_fuzzer.replay(replay_server.uri, path)
    assert problem is None, problem
    assert command_fuzzer.server_alive(replay_server, wait=5), f"{path.name} killed the server"
