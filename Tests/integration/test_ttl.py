# TTL under a real `tessera serve` and the parameter commands that steer it: expiry within
# two monitor intervals (with change-stream delete events and serverStatus metrics.ttl),
# ttlMonitorEnabled / ttlMonitorSleepSecs changed live, getParameter / setParameter replies,
# error codes and edge values, `--set-parameter` and the config file's setParameter, prompt shutdown.

from __future__ import annotations

import datetime
import json
import subprocess
import time

import pytest
from bson import Decimal128, Int64
from pymongo.errors import OperationFailure

from support import count_matching
from tessera_server import TesseraServer, free_port, tessera_binary

SLEEP_SECS = 1
# Two monitor intervals, plus room for a pass on a machine shared with other builds.
EXPIRY_DEADLINE = 2 * SLEEP_SECS + 3.0


@pytest.fixture(scope="module")
def ttl_server(tmp_path_factory):
    """A server whose TTL monitor wakes every second and that was started with test commands."""
    root = tmp_path_factory.mktemp("ttl")
    instance = TesseraServer(root / "db", root / "server.log", extra_args=[
        "--set-parameter", f"ttlMonitorSleepSecs={SLEEP_SECS}",
        "--set-parameter", "enableTestCommands=1",
    ])
    instance.start()
    yield instance
    code = instance.stop()
    assert code == 0, f"tessera exited with {code} after SIGTERM; log tail:\n{instance.log_tail()}"


@pytest.fixture
def mongo(ttl_server):
    with ttl_server.client() as client:
        yield client


@pytest.fixture
def ttl_coll(mongo, request):
    """A fresh collection with a TTL index (expireAfterSeconds 0) on `at`."""
    name = request.node.name.replace("[", "_").replace("]", "_")[-60:]
    mongo.drop_database(name)
    coll = mongo[name]["events"]
    coll.create_index("at", expireAfterSeconds=0)
    yield coll
    mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": True})
    mongo.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": SLEEP_SECS})
    mongo.drop_database(name)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def ttl_metrics(mongo) -> dict:
    return mongo.admin.command("serverStatus")["metrics"]["ttl"]


def wait_until(predicate, timeout: float) -> float | None:
    """Seconds until `predicate()` held, or None when it did not within `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def insert_mixed(coll, expired: int, live: int, first_id: int = 0) -> tuple[list[int], list[int]]:
    past, future = now() - datetime.timedelta(hours=1), now() + datetime.timedelta(hours=1)
    expired_ids = list(range(first_id, first_id + expired))
    live_ids = list(range(first_id + expired, first_id + expired + live))
    coll.insert_many([{"_id": i, "at": past} for i in expired_ids]
                     + [{"_id": i, "at": future} for i in live_ids])
    return expired_ids, live_ids


# -- expiry ---------------------------------------------------------------------------------

def test_expired_documents_go_within_two_intervals_as_change_stream_deletes(mongo, ttl_coll, figures):
    before = ttl_metrics(mongo)
    with ttl_coll.watch(max_await_time_ms=200) as stream:
        expired, live = insert_mixed(ttl_coll, expired=5, live=3)
        # Also kept: a non-date value never expires, nor does a document without the field.
        ttl_coll.insert_many([{"_id": "text", "at": "yesterday"}, {"_id": "none"}])
        elapsed = wait_until(lambda: count_matching(ttl_coll, {"_id": {"$in": expired}}) == 0, EXPIRY_DEADLINE)
        assert elapsed is not None, f"expired documents still there after {EXPIRY_DEADLINE}s"
        figures(f"ttl: 5 expired documents gone {elapsed:.2f}s after insert (ttlMonitorSleepSecs={SLEEP_SECS})")
        assert sorted(d["_id"] for d in ttl_coll.find({}, {"_id": 1}) if isinstance(d["_id"], int)) == live
        assert ttl_coll.find_one({"_id": "text"}) is not None and ttl_coll.find_one({"_id": "none"}) is not None

        deleted: list[int] = []
        deadline = time.monotonic() + 10
        while len(deleted) < len(expired) and time.monotonic() < deadline:
            event = stream.try_next()
            if event is not None and event["operationType"] == "delete":
                deleted.append(event["documentKey"]["_id"])
        assert sorted(deleted) == expired

    after = ttl_metrics(mongo)
    assert isinstance(after["deletedDocuments"], int)
    assert after["deletedDocuments"] >= before["deletedDocuments"] + len(expired)
    assert after["passes"] > before["passes"]
    assert after["subPasses"] >= after["passes"]


def test_disabling_the_monitor_stops_expiry_and_enabling_resumes_it(mongo, ttl_coll):
    reply = mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": False})
    assert reply["was"] is True
    time.sleep(SLEEP_SECS + 0.5)  # a pass already under way finishes
    passes = ttl_metrics(mongo)["passes"]
    expired, _ = insert_mixed(ttl_coll, expired=4, live=1)
    time.sleep(3 * SLEEP_SECS + 0.5)
    assert count_matching(ttl_coll, {"_id": {"$in": expired}}) == len(expired)
    assert ttl_metrics(mongo)["passes"] == passes

    assert mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": True})["was"] is False
    elapsed = wait_until(lambda: count_matching(ttl_coll, {"_id": {"$in": expired}}) == 0, EXPIRY_DEADLINE)
    assert elapsed is not None, "expired documents stayed after the monitor was enabled again"
    assert count_matching(ttl_coll) == 1


def test_a_changed_sleep_takes_effect_live(mongo, ttl_coll):
    assert mongo.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": 3600})["was"] == SLEEP_SECS
    time.sleep(SLEEP_SECS + 0.5)
    passes = ttl_metrics(mongo)["passes"]
    expired, _ = insert_mixed(ttl_coll, expired=3, live=0)
    time.sleep(2.5)
    assert count_matching(ttl_coll) == len(expired), "a pass ran although the sleep was an hour"
    assert ttl_metrics(mongo)["passes"] == passes

    assert mongo.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": SLEEP_SECS})["was"] == 3600
    assert wait_until(lambda: count_matching(ttl_coll) == 0, EXPIRY_DEADLINE) is not None


# -- getParameter ---------------------------------------------------------------------------

LISTED = ["ttlMonitorSleepSecs", "ttlMonitorEnabled", "enableTestCommands", "authenticationMechanisms",
          "featureCompatibilityVersion", "transactionLifetimeLimitSeconds", "cursorTimeoutMillis", "logLevel"]


def test_get_parameter_star_all_parameters_and_named(mongo):
    star = mongo.admin.command({"getParameter": "*"})
    for name in LISTED:
        assert name in star, name
    assert star["ttlMonitorSleepSecs"] == SLEEP_SECS and isinstance(star["ttlMonitorSleepSecs"], int)
    assert star["ttlMonitorEnabled"] is True
    # mongod's enableTestCommands is a bool parameter (test_commands_enabled.idl: cpp_vartype bool).
    assert star["enableTestCommands"] is True
    assert star["featureCompatibilityVersion"] == {"version": "8.0"}
    assert star["authenticationMechanisms"] == ["SCRAM-SHA-1", "SCRAM-SHA-256"]  # since the SCRAM merge
    assert isinstance(star["cursorTimeoutMillis"], int) and star["cursorTimeoutMillis"] == 600_000

    everything = mongo.admin.command({"getParameter": {"allParameters": True}})
    assert set(LISTED) <= set(everything)

    named = mongo.admin.command({"getParameter": 1, "ttlMonitorSleepSecs": 1, "logLevel": 1})
    assert named["ttlMonitorSleepSecs"] == SLEEP_SECS and named["logLevel"] == 0
    assert "ttlMonitorEnabled" not in named

    details = mongo.admin.command({"getParameter": {"showDetails": True}, "ttlMonitorSleepSecs": 1,
                                   "enableTestCommands": 1})
    assert details["ttlMonitorSleepSecs"] == {"value": SLEEP_SECS, "settableAtRuntime": True,
                                              "settableAtStartup": True}
    assert details["enableTestCommands"]["settableAtRuntime"] is False

    with pytest.raises(OperationFailure) as failure:
        mongo.admin.command({"getParameter": 1, "noSuchParameter": 1})
    assert failure.value.code == 72


def test_get_cmd_line_opts_reports_the_set_parameters_as_mongod_does(mongo):
    parsed = mongo.admin.command("getCmdLineOpts")["parsed"]
    assert parsed["setParameter"] == {"ttlMonitorSleepSecs": "1", "enableTestCommands": "1"}


def test_enable_test_commands_is_false_unless_started_with_it(client):
    assert client.admin.command({"getParameter": 1, "enableTestCommands": 1})["enableTestCommands"] is False
    assert client.admin.command({"getParameter": "*"})["ttlMonitorSleepSecs"] == 60


# -- setParameter errors and edge values ------------------------------------------------------

def set_parameter_error(mongo, name, value, db="admin") -> OperationFailure:
    with pytest.raises(OperationFailure) as failure:
        mongo[db].command({"setParameter": 1, name: value})
    return failure.value


def test_set_parameter_errors_carry_mongodb_codes_and_the_server_stays_up(mongo):
    unknown = set_parameter_error(mongo, "noSuchParameter", 1)
    assert unknown.code == 72
    assert "attempted to set unrecognized parameter [noSuchParameter]" in str(unknown.details["errmsg"])
    assert set_parameter_error(mongo, "ttlMonitorSleepSecs", "10").code == 2
    assert set_parameter_error(mongo, "ttlMonitorSleepSecs", 0).code == 2
    assert set_parameter_error(mongo, "ttlMonitorSleepSecs", -5).code == 2
    assert set_parameter_error(mongo, "ttlMonitorEnabled", "true").code == 2
    assert set_parameter_error(mongo, "ttlMonitorSleepSecs", 5, db="test").code == 13
    assert set_parameter_error(mongo, "enableTestCommands", True).code == 20
    assert set_parameter_error(mongo, "featureCompatibilityVersion", {"version": "6.0"}).code == 20
    with pytest.raises(OperationFailure) as nothing:
        mongo.admin.command({"setParameter": 1})
    assert nothing.value.code == 4
    # Nothing changed, and the server still answers.
    assert mongo.admin.command({"getParameter": 1, "ttlMonitorSleepSecs": 1})["ttlMonitorSleepSecs"] == SLEEP_SECS
    assert mongo.admin.command("ping")["ok"] == 1


@pytest.mark.parametrize("value", [
    Int64(-(2 ** 63)), Int64(2 ** 63 - 1), 2 ** 31, float("nan"), float("inf"), float("-inf"), -0.0, 0.5, 1.5,
    1e300, "60", None, [60], {"n": 60}, True,
    Decimal128("NaN"), Decimal128("-Infinity"), Decimal128("1E+6000"), Decimal128("9.999999999999999999999999999999999E+6144"),
    Decimal128("1.5"), Decimal128("-0"),
], ids=repr)
def test_set_parameter_rejects_edge_values_with_bad_value(mongo, value):
    error = set_parameter_error(mongo, "ttlMonitorSleepSecs", value)
    assert error.code == 2, error.details
    assert mongo.admin.command({"getParameter": 1, "ttlMonitorSleepSecs": 1})["ttlMonitorSleepSecs"] == SLEEP_SECS


@pytest.mark.parametrize("value", [Int64(7), 7.0, Decimal128("7"), Decimal128("7.000"), Decimal128("70E-1")], ids=repr)
def test_set_parameter_accepts_exact_integers_of_any_numeric_type(mongo, value):
    try:
        reply = mongo.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": value})
        assert reply["was"] == SLEEP_SECS
        assert mongo.admin.command({"getParameter": 1, "ttlMonitorSleepSecs": 1})["ttlMonitorSleepSecs"] == 7
    finally:
        mongo.admin.command({"setParameter": 1, "ttlMonitorSleepSecs": SLEEP_SECS})


def test_wide_and_boolean_parameters_take_their_extremes(mongo):
    try:
        assert mongo.admin.command({"setParameter": 1, "cursorTimeoutMillis": Int64(2 ** 63 - 1)})["was"] == 600_000
        got = mongo.admin.command({"getParameter": 1, "cursorTimeoutMillis": 1})["cursorTimeoutMillis"]
        assert got == 2 ** 63 - 1
        assert set_parameter_error(mongo, "cursorTimeoutMillis", 1e19).code == 2
        assert set_parameter_error(mongo, "cursorTimeoutMillis", Int64(-1)).code == 2
    finally:
        mongo.admin.command({"setParameter": 1, "cursorTimeoutMillis": Int64(600_000)})
    try:
        assert mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": 0})["was"] is True
        assert mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": 1.0})["was"] is False
        assert set_parameter_error(mongo, "ttlMonitorEnabled", 2).code == 2
        assert set_parameter_error(mongo, "ttlMonitorEnabled", float("nan")).code == 2
    finally:
        mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": True})
    assert mongo.admin.command({"setParameter": 1, "transactionLifetimeLimitSeconds": 30})["was"] == 60
    assert mongo.admin.command({"setParameter": 1, "transactionLifetimeLimitSeconds": 60})["was"] == 30
    assert set_parameter_error(mongo, "logLevel", 6).code == 2


# -- the command line and the config file ---------------------------------------------------

def run_serve(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [str(tessera_binary()), "serve", "--bind", "127.0.0.1", "--port", str(free_port()),
               "--dbpath", str(tmp_path / "db"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("assignment", [
    "ttlMonitorSleepSecs=0", "ttlMonitorSleepSecs=abc", "ttlMonitorSleepSecs=1.5",
    "ttlMonitorSleepSecs=99999999999999999999", "ttlMonitorEnabled=maybe", "noSuchParameter=1",
    "ttlMonitorSleepSecs", "featureCompatibilityVersion=6.0",
])
def test_a_bad_set_parameter_refuses_to_start_with_one_line(tmp_path, assignment):
    result = run_serve(tmp_path, "--set-parameter", assignment)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "--set-parameter" in lines[0] and assignment.split("=")[0] in lines[0]
    assert not (tmp_path / "db").exists() or not any((tmp_path / "db").iterdir())


def test_a_bad_config_file_set_parameter_refuses_to_start(tmp_path):
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"setParameter": {"ttlMonitorSleepSecs": -1}}))
    result = run_serve(tmp_path, "--config", str(config))
    assert result.returncode != 0
    assert "ttlMonitorSleepSecs" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_config_file_set_parameter_applies_and_flags_override_it(tmp_path):
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"setParameter": {"ttlMonitorSleepSecs": 5, "ttlMonitorEnabled": "false",
                                                   "logLevel": 2}}))
    instance = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=[
        "--config", str(config), "--set-parameter", "ttlMonitorSleepSecs=7"])
    instance.start()
    try:
        with instance.client() as mongo:
            got = mongo.admin.command({"getParameter": "*"})
            assert got["ttlMonitorSleepSecs"] == 7 and got["ttlMonitorEnabled"] is False and got["logLevel"] == 2
    finally:
        assert instance.stop() == 0


# -- shutdown ----------------------------------------------------------------------------------

def test_sigterm_during_a_long_pass_stops_promptly(tmp_path, figures):
    instance = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=[
        "--set-parameter", "ttlMonitorSleepSecs=1", "--set-parameter", "ttlMonitorEnabled=false"])
    instance.start()
    with instance.client() as mongo:
        coll = mongo["backlog"]["events"]
        coll.create_index("at", expireAfterSeconds=0)
        past = now() - datetime.timedelta(days=1)
        for start in range(0, 30_000, 5_000):
            coll.insert_many([{"_id": i, "at": past} for i in range(start, start + 5_000)])
        mongo.admin.command({"setParameter": 1, "ttlMonitorEnabled": True})
        assert wait_until(lambda: ttl_metrics(mongo)["deletedDocuments"] > 0 or coll.estimated_document_count() < 30_000,
                          15) is not None, "the TTL pass never started"
        remaining = coll.estimated_document_count()
    started = time.monotonic()
    code = instance.stop(timeout=30)
    took = time.monotonic() - started
    figures(f"ttl: SIGTERM during a pass over a 30,000-document backlog ({remaining} left): "
            f"exit {code} after {took:.2f}s")
    assert code == 0, instance.log_tail()
    assert took < 10
