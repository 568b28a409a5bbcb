"""The database profiler (`profile`, `system.profile`), the slow-operation log, `top` and
serverStatus's document metrics (issue 18), through pymongo against `tessera serve`.

Profiling levels are per database (each test has its own); `slowms` and `sampleRate` are
server-wide, so every test that changes them puts the defaults back."""
from __future__ import annotations

import datetime
import json
import threading

import pytest
from pymongo.errors import OperationFailure

from tessera_server import TesseraServer


@pytest.fixture
def settings_restored(client):
    """Puts the server-wide profiler settings back to the defaults after the test."""
    yield
    client.admin.command("profile", -1, slowms=100, sampleRate=1.0)


def profiled(db, **query):
    """This database's profile entries matching `query`, in the order they were written."""
    return list(db.system.profile.find(query))


def test_level_2_records_every_operation(db, coll):
    coll.insert_many([{"k": i} for i in range(10)])
    assert db.command("profile", 2)["was"] == 0
    ns = coll.full_name

    coll.insert_one({"k": 10})
    found = list(coll.find({"k": {"$gte": 5}}))
    updated = coll.update_many({"k": {"$lt": 3}}, {"$set": {"u": 1}})
    deleted = coll.delete_one({"k": 9})
    batches = coll.find({}, batch_size=2)
    first_two = [next(batches), next(batches)]
    third = next(batches)
    batches.close()
    assert db.command("profile", 0)["was"] == 2

    entries = profiled(db, ns=ns)
    by_op = {}
    for entry in entries:
        by_op.setdefault(entry["op"], []).append(entry)
    assert {"insert", "query", "update", "remove", "getmore"} <= set(by_op)

    query = next(e for e in by_op["query"] if e["command"].get("filter") == {"k": {"$gte": 5}})
    assert query["nreturned"] == len(found)
    assert query["docsExamined"] == 11  # a collection scan reads every document
    assert query["keysExamined"] == 0
    assert query["planSummary"] == "COLLSCAN"
    assert query["command"]["find"] == "c"
    assert isinstance(query["ts"], datetime.datetime)
    assert isinstance(query["millis"], int) and query["millis"] >= 0
    assert query["client"] == "127.0.0.1"
    assert query["protocol"] == "op_msg"
    assert query["responseLength"] > 0

    insert = by_op["insert"][0]
    assert insert["ninserted"] == 1
    update = by_op["update"][0]
    assert (update["nMatched"], update["nModified"]) == (updated.matched_count, updated.modified_count)
    assert by_op["remove"][0]["ndeleted"] == deleted.deleted_count
    getmore = by_op["getmore"][0]
    assert getmore["nreturned"] >= 1 and third is not None and len(first_two) == 2
    assert getmore["command"]["getMore"] == getmore["cursorid"]

    # system.profile is the capped collection mongod makes.
    options = db["system.profile"].options()
    assert options.get("capped") is True

    # Level 0 records nothing more.
    before = db.system.profile.count_documents({})
    coll.insert_one({"k": 11})
    list(coll.find({}))
    assert db.system.profile.count_documents({}) == before


def test_index_scan_and_sort_are_summarized(db, coll):
    coll.insert_many([{"k": i, "j": -i} for i in range(20)])
    coll.create_index("k")
    db.command("profile", 2)
    assert len(list(coll.find({"k": 7}))) == 1
    list(coll.find({}).sort("j", 1))
    db.command("profile", 0)

    point = profiled(db, op="query", **{"command.filter": {"k": 7}})[0]
    assert point["planSummary"] == "IXSCAN { k: 1 }"
    assert point["docsExamined"] == point["nreturned"] == 1
    assert point["keysExamined"] >= 1
    sorted_scan = profiled(db, op="query", **{"command.sort": {"j": 1}})[0]
    assert sorted_scan["hasSortStage"] is True
    assert sorted_scan["planSummary"] == "COLLSCAN"


@pytest.mark.usefixtures("settings_restored")
def test_level_1_records_only_slow_operations(db, coll):
    coll.insert_one({"k": 1})
    reply = db.command("profile", 1, slowms=100_000)
    assert (reply["was"], reply["slowms"]) == (0, 100)
    list(coll.find({"k": 1}))
    coll.update_one({"k": 1}, {"$set": {"v": 1}})
    assert profiled(db, ns=coll.full_name) == []

    # slowms 0: every operation takes at least 0 ms, so every one is slow.
    assert db.command("profile", 1, slowms=0)["slowms"] == 100_000
    list(coll.find({"k": 1}))
    coll.update_one({"k": 1}, {"$set": {"v": 2}})
    ops = [entry["op"] for entry in profiled(db, ns=coll.full_name)]
    assert "query" in ops and "update" in ops
    status = db.command("profile", -1)
    assert (status["was"], status["slowms"]) == (1, 0)


@pytest.mark.usefixtures("settings_restored")
def test_sample_rate(db, coll):
    coll.insert_one({"x": 1})
    db.command("profile", 1, slowms=-1, sampleRate=0)
    for _ in range(5):
        coll.find_one({"x": 1})
    assert profiled(db, ns=coll.full_name) == []

    # Level 2 records every operation whatever the sample rate.
    assert db.command("profile", 2, sampleRate=0)["sampleRate"] == 0
    for _ in range(5):
        coll.find_one({"x": 1})
    db.command("profile", 0)
    assert len(profiled(db, ns=coll.full_name, op="query")) == 5


def test_filter_selects_what_is_recorded(db, coll):
    coll.insert_many([{"k": i} for i in range(6)])
    reply = db.command("profile", 1, filter={"op": "remove"})
    assert "filter" not in reply and "note" in reply
    list(coll.find({}))
    coll.delete_one({"k": 0})
    coll.insert_one({"k": 7})
    coll.delete_many({"k": {"$gte": 4}})
    entries = profiled(db, ns=coll.full_name)
    assert [entry["op"] for entry in entries] == ["remove", "remove"]
    assert [entry["ndeleted"] for entry in entries] == [1, 3]

    # The previous filter comes back; "unset" removes it and level 0 stops recording.
    reply = db.command("profile", 0, filter="unset")
    assert reply["filter"] == {"op": "remove"} and reply["was"] == 1
    coll.delete_many({})
    assert len(profiled(db, ns=coll.full_name)) == 2
    assert "filter" not in db.command("profile", -1)


def test_profile_arguments_are_checked(db):
    with pytest.raises(OperationFailure) as failure:
        db.command("profile", 1, sampleRate=1.5)
    assert failure.value.code == 2
    assert "'sampleRate' must be between 0.0 and 1.0 inclusive" in str(failure.value)
    with pytest.raises(OperationFailure) as failure:
        db.command("profile", 3)
    assert failure.value.code == 2
    with pytest.raises(OperationFailure) as failure:
        db.command("profile", 1, filter={"op": {"$bogus": 1}})
    assert failure.value.code == 2
    with pytest.raises(OperationFailure) as failure:
        db.command("profile", 1, filter=5)
    assert failure.value.code == 2
    assert db.command("profile", -1)["was"] == 0


def test_profile_entries_are_queryable(db, coll):
    coll.insert_many([{"k": i % 3} for i in range(9)])
    db.command("profile", 2)
    for k in range(3):
        list(coll.find({"k": k}))
    coll.update_many({}, {"$inc": {"n": 1}})
    db.command("profile", 0)
    counts = {row["_id"]: row["n"] for row in db.system.profile.aggregate([
        {"$match": {"ns": coll.full_name}},
        {"$group": {"_id": "$op", "n": {"$sum": 1}}},
    ])}
    assert counts == {"query": 3, "update": 1}
    newest = db.system.profile.find({"ns": coll.full_name, "op": "query"}).sort("ts", -1).limit(1)
    assert [entry["nreturned"] for entry in newest] == [3]
    assert db.system.profile.count_documents({"ns": coll.full_name, "docsExamined": {"$gte": 9}}) >= 4


@pytest.mark.usefixtures("settings_restored")
def test_slow_query_log_line(client, db, coll):
    coll.insert_many([{"k": i} for i in range(4)])
    client.admin.command("profile", -1, slowms=0)
    list(coll.find({"k": {"$gt": 1}}))
    client.admin.command("profile", -1, slowms=100_000)
    lines = [json.loads(line) for line in client.admin.command("getLog", "global")["log"]
             if '"Slow query"' in line and coll.full_name in line]
    finds = [line for line in lines if line["attr"].get("command", {}).get("find") == "c"]
    assert finds, lines
    line = finds[-1]
    assert (line["msg"], line["c"], line["id"], line["s"]) == ("Slow query", "COMMAND", 51803, "I")
    attr = line["attr"]
    assert attr["ns"] == coll.full_name and attr["type"] == "command"
    assert attr["planSummary"] == "COLLSCAN"
    assert (attr["docsExamined"], attr["nreturned"]) == (4, 2)
    assert attr["durationMillis"] >= 0 and attr["reslen"] > 0
    assert attr["remote"].startswith("127.0.0.1:")

    # Over the threshold now: nothing more is logged for this collection.
    list(coll.find({"k": 3}))
    again = [line for line in client.admin.command("getLog", "global")["log"]
             if '"Slow query"' in line and '"k":3' in line.replace(" ", "") and coll.full_name in line]
    assert again == []


@pytest.mark.usefixtures("settings_restored")
def test_huge_commands_are_truncated_in_profile_and_log(client, db, coll):
    """A 1 MiB filter is kept as mongod's {$truncated} (50 KB in system.profile, 10 KB in the
    log), so neither the profile collection nor getLog's reply grows with what clients send."""
    coll.insert_one({"k": 1})
    db.command("profile", 2)
    client.admin.command("profile", -1, slowms=0)
    huge = "x" * (1 << 20)
    for _ in range(60):  # 60 MiB of commands: more than one getLog reply could hold whole
        list(coll.find({"k": huge}, comment="big"))
    client.admin.command("profile", -1, slowms=100_000)
    db.command("profile", 0)
    entries = profiled(db, ns=coll.full_name, op="query")
    assert entries
    command = entries[-1]["command"]
    assert set(command) == {"$truncated", "comment"} and command["comment"] == "big"
    assert 0 < len(command["$truncated"].encode()) <= 50 * 1024
    reply = client.admin.command("getLog", "global")
    slow = [json.loads(line) for line in reply["log"] if '"Slow query"' in line and coll.full_name in line]
    truncated = [line["attr"]["command"] for line in slow if "$truncated" in line["attr"]["command"]]
    assert truncated and all(len(c["$truncated"].encode()) <= 10 * 1024 for c in truncated)
    assert sum(len(line) for line in reply["log"]) < 16 * 1024 * 1024
    assert client.admin.command("ping")["ok"] == 1


def test_a_really_slow_query_under_level_1(tmp_path):
    """A find held 400 ms by a fail point, against --slow-ms 150: profiled and logged."""
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log",
                           extra_args=["--slow-ms", "150", "--enable-test-commands"])
    server.start()
    try:
        with server.client() as client:
            db = client.slow
            db.c.insert_one({"k": 1})
            assert db.command("profile", 1)["slowms"] == 150
            client.admin.command("configureFailPoint", "failCommand", mode={"times": 1},
                                 data={"failCommands": ["find"], "blockConnection": True, "blockTimeMS": 400})
            assert db.c.find_one({"k": 1})["k"] == 1
            entries = list(db.system.profile.find({"op": "query", "ns": "slow.c"}))
            assert len(entries) == 1
            assert entries[0]["millis"] >= 150
            opts = client.admin.command("getCmdLineOpts")["parsed"]["operationProfiling"]
            assert opts["slowOpThresholdMs"] == 150
        assert "Slow query" in server.log_text()
    finally:
        assert server.stop() == 0


def test_top_counts_per_collection(client, db, coll):
    def row():
        return client.admin.command("top")["totals"].get(coll.full_name)

    coll.insert_one({"k": 0})
    before = row()
    for k in range(1, 4):
        coll.insert_one({"k": k})
    list(coll.find({}))
    list(coll.find({"k": 1}))
    coll.update_one({"k": 1}, {"$set": {"x": 1}})
    coll.delete_one({"k": 2})
    after = row()

    def delta(field):
        return after[field]["count"] - before[field]["count"]

    assert (delta("insert"), delta("queries"), delta("update"), delta("remove")) == (3, 2, 1, 1)
    assert (delta("readLock"), delta("writeLock"), delta("total")) == (2, 5, 7)
    for field in ("total", "readLock", "writeLock", "queries", "getmore", "insert", "update", "remove", "commands"):
        assert after[field]["time"] >= before[field]["time"]
    assert client.admin.command("top")["totals"]["note"] == "all times in microseconds"
    with pytest.raises(OperationFailure) as failure:
        db.command("top")
    assert failure.value.code == 13

    coll.drop()
    assert row() is None


def test_server_status_document_metrics(client, coll):
    def metrics():
        return client.admin.command("serverStatus")["metrics"]

    before = metrics()
    coll.insert_many([{"k": i} for i in range(5)])
    assert len(list(coll.find({}))) == 5
    modified = coll.update_many({"k": {"$lt": 2}}, {"$set": {"x": 1}}).modified_count
    removed = coll.delete_many({"k": {"$gte": 2}}).deleted_count
    list(coll.find({}).sort("x", -1))
    after = metrics()

    def delta(section, field):
        return after[section][field] - before[section][field]

    assert delta("document", "inserted") == 5
    assert delta("document", "returned") == 5 + 2
    assert delta("document", "updated") == modified == 2
    assert delta("document", "deleted") == removed == 3
    assert delta("operation", "scanAndOrder") == 1
    assert delta("queryExecutor", "scannedObjects") >= 5 + 5 + 5


def test_profiler_and_top_under_concurrent_clients(client, db, coll):
    """Four clients write while level 2 records: every write has its entry."""
    db.command("profile", 2)

    def writer(n):
        for i in range(25):
            coll.insert_one({"w": n, "i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.command("profile", 0)
    assert db.system.profile.count_documents({"ns": coll.full_name, "op": "insert"}) == 100
    assert coll.count_documents({}) == 100


def test_current_op_stage(client, db):
    mine = list(client.admin.aggregate([
        {"$currentOp": {"allUsers": True, "idleConnections": False}},
        {"$match": {"command.aggregate": 1, "command.pipeline.0.$currentOp": {"$exists": True}}},
        {"$project": {"op": 1, "ns": 1, "active": 1}},
    ]))
    assert len(mine) == 1 and mine[0]["active"] is True and mine[0]["ns"] == "admin.$cmd"
    with pytest.raises(OperationFailure) as failure:
        list(db.aggregate([{"$currentOp": {}}]))
    assert failure.value.code == 73
    with pytest.raises(OperationFailure) as failure:
        list(client.admin.aggregate([{"$currentOp": {"bogus": True}}]))
    assert failure.value.code == 40415


def test_update_and_delete_are_profiled_per_statement(db, coll):
    documents = [{"_id": i, "k": i % 4} for i in range(12)]
    coll.insert_many(documents)
    db.command("profile", 2)
    try:
        db.command("update", "c", updates=[
            {"q": {"k": 1}, "u": {"$set": {"a": 1}}},
            {"q": {"k": {"$gte": 2}}, "u": {"$set": {"b": 1}}, "multi": True},
            {"q": {"_id": 7}, "u": {"$set": {"c": 1}}},
            {"q": {"_id": 7}, "u": {"$set": {"d": [1, 2]}, "$unset": {"c": ""}}},
        ])
        db.command("delete", "c", deletes=[
            {"q": {"_id": 3}, "limit": 1},
            {"q": {"k": 0}, "limit": 0},
        ])
    finally:
        db.command("profile", 0)

    updates = profiled(db, op="update", ns=coll.full_name)
    assert [entry["command"]["q"] for entry in updates] == [{"k": 1}, {"k": {"$gte": 2}}, {"_id": 7}, {"_id": 7}]
    assert [entry["command"]["u"] for entry in updates][0] == {"$set": {"a": 1}}
    assert [entry["command"]["multi"] for entry in updates] == [False, True, False, False]
    assert all(entry["command"]["upsert"] is False for entry in updates)
    multi_matched = sum(1 for document in documents if document["k"] >= 2)
    assert [(entry["nMatched"], entry["nModified"]) for entry in updates] == [(1, 1), (multi_matched, multi_matched),
                                                                               (1, 1), (1, 1)]
    # The multi update scans the collection; the _id updates (the delta fast path and the
    # general one) read their one document by key.
    assert updates[1]["docsExamined"] == len(documents) and updates[1]["planSummary"] == "COLLSCAN"
    for by_id in updates[2:]:
        assert (by_id["keysExamined"], by_id["docsExamined"]) == (1, 1), by_id
    # No command-level entry for the batches.
    assert profiled(db, op="command", **{"command.update": "c"}) == []

    removes = profiled(db, op="remove", ns=coll.full_name)
    assert [entry["command"]["q"] for entry in removes] == [{"_id": 3}, {"k": 0}]
    assert [entry["command"]["limit"] for entry in removes] == [1, 0]
    zeros = sum(1 for document in documents if document["k"] == 0)
    assert [entry["ndeleted"] for entry in removes] == [1, zeros]
    assert (removes[0]["keysExamined"], removes[0]["docsExamined"]) == (1, 1)
    assert removes[1]["docsExamined"] == len(documents) - 1


def test_a_slow_statement_is_logged_as_its_op(client, db, coll, settings_restored):
    coll.insert_many([{"k": i} for i in range(50)])
    client.admin.command("profile", 0, slowms=-1)
    coll.update_many({"k": {"$lt": 5}}, {"$set": {"slow": True}})
    lines = [json.loads(line) for line in client.admin.command("getLog", "global")["log"] if "Slow query" in line]
    update = [line["attr"] for line in lines if line["attr"].get("ns") == coll.full_name and line["attr"]["type"] == "update"]
    assert update, lines[-3:]
    assert update[-1]["command"]["q"] == {"k": {"$lt": 5}}
    assert update[-1]["nMatched"] == 5 and update[-1]["docsExamined"] == 50


def test_profiling_settings_survive_a_restart(private_server):
    with private_server.client() as client:
        client.kept.command("profile", 1, slowms=7, sampleRate=0.5)
        client.filtered.command("profile", 1, filter={"op": "remove"})
        client.dropped.command("profile", 2)
        client.drop_database("dropped")
        client.off.command("profile", 2)
        client.off.command("profile", 0)
    private_server.restart()
    with private_server.client() as client:
        kept = client.kept.command("profile", -1)
        assert (kept["was"], kept["slowms"], kept["sampleRate"]) == (1, 7, 0.5)
        filtered = client.filtered.command("profile", -1)
        assert (filtered["was"], filtered["filter"]) == (1, {"op": "remove"})
        assert client.dropped.command("profile", -1)["was"] == 0
        assert client.off.command("profile", -1)["was"] == 0
        # The restored level profiles: a slow-enough operation lands in system.profile.
        client.kept.c.insert_many([{"k": i} for i in range(20)])
        client.kept.command("profile", 2)
        list(client.kept.c.find({"k": 3}))
        assert client.kept.system.profile.count_documents({"op": "query", "ns": "kept.c"}) == 1
        client.admin.command("profile", -1, slowms=100, sampleRate=1.0)
