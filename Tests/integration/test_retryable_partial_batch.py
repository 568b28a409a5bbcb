# Retryable writes recorded per statement (issue 21/15): a batch partly applied — the
# PostgreSQL connection lost mid-batch, the server SIGKILLed mid-batch on RocksDB — is completed
# by the retry (same lsid, txnNumber and statement ids): the statements already executed are
# answered from their records, the others applied, and the reply is as if the command ran
# once. Also, by hand, what mongod does with a command resent under the same txnNumber with
# more statements (write_ops_exec.cpp checks each stmtId): the executed ones are not applied
# again, the new ones are.

from __future__ import annotations

import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo import MongoClient

from postgres_server import cluster_with_database
from rawwire import RawConnection
from support import InsertAttempts
from tessera_server import TesseraServer

# No request may take longer than this to answer: anything longer counts as a hang.
ANSWER_BOUND_SECONDS = 60


def new_session() -> dict:
    return {"id": Binary(uuid.uuid4().bytes, 4)}


def ids_in(raw: RawConnection, db: str, collection: str = "c") -> list:
    reply = raw.command({"find": collection, "filter": {}, "projection": {"_id": 1}, "batchSize": 100_000, "$db": db})
    assert reply["ok"] == 1, reply
    assert reply["cursor"]["id"] == 0
    return [document["_id"] for document in reply["cursor"]["firstBatch"]]


def test_an_insert_resent_with_more_documents_applies_only_the_new_statements(server, db):
    lsid = new_session()
    first = {"insert": "c", "documents": [{"_id": n, "v": "first"} for n in range(1, 4)], "lsid": lsid,
             "txnNumber": Int64(1), "$db": db.name}
    more = {**first, "documents": [{"_id": n, "v": "second"} for n in range(1, 6)]}
    with RawConnection(server.port) as raw:
        reply = raw.command(first)
        assert reply["ok"] == 1 and reply["n"] == 3 and "writeErrors" not in reply, reply
        # Statements 0-2 are answered from their records (no duplicate key), 3-4 inserted.
        reply = raw.command(more)
        assert reply["ok"] == 1 and reply["n"] == 5 and "writeErrors" not in reply, reply
        again = raw.command(more)
        assert again["ok"] == 1 and again["n"] == 5 and "writeErrors" not in again, again
        stale = raw.command({**first, "txnNumber": Int64(0)})
        assert stale["ok"] == 0 and stale["code"] == 225, stale
    stored = {document["_id"]: document["v"] for document in db.c.find()}
    assert stored == {1: "first", 2: "first", 3: "first", 4: "second", 5: "second"}


def test_explicit_statement_ids_decide_which_statements_count_as_executed(server, db):
    lsid = new_session()
    base = {"insert": "c", "lsid": lsid, "txnNumber": Int64(5), "$db": db.name}
    with RawConnection(server.port) as raw:
        reply = raw.command({**base, "documents": [{"_id": "a"}, {"_id": "b"}], "stmtIds": [10, 11]})
        assert reply["ok"] == 1 and reply["n"] == 2, reply
        # Statement 11 ran (its new document is not inserted, as in mongod); 12 did not.
        reply = raw.command({**base, "documents": [{"_id": "b2"}, {"_id": "c"}], "stmtIds": [11, 12]})
        assert reply["ok"] == 1 and reply["n"] == 2 and "writeErrors" not in reply, reply
        # With stmtId, statement i is stmtId + i: 10 and 11 ran, 12 too now.
        reply = raw.command({**base, "documents": [{"_id": "x"}, {"_id": "y"}, {"_id": "z"}, {"_id": "d"}],
                             "stmtId": 10})
        assert reply["ok"] == 1 and reply["n"] == 4 and "writeErrors" not in reply, reply
    assert sorted(document["_id"] for document in db.c.find()) == ["a", "b", "c", "d"]


def test_updates_and_deletes_resent_with_more_statements_answer_the_executed_ones_from_records(server, db):
    db.c.insert_many([{"_id": 1, "n": 0}, {"_id": 2, "n": 0}, {"_id": 3}, {"_id": 4}])
    lsid = new_session()
    inc = {"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}
    upsert = {"q": {"_id": 9}, "u": {"$inc": {"n": 5}}, "upsert": True}
    unchanged = {"q": {"_id": 2}, "u": {"$set": {"n": 0}}}
    later = {"q": {"_id": 2}, "u": {"$inc": {"n": 7}}}
    update = {"update": "c", "updates": [inc, upsert, unchanged], "lsid": lsid, "txnNumber": Int64(1),
              "$db": db.name}
    delete = {"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 1}], "lsid": lsid, "txnNumber": Int64(2),
              "$db": db.name}
    with RawConnection(server.port) as raw:
        reply = raw.command(update)
        assert reply["ok"] == 1 and reply["n"] == 3 and reply["nModified"] == 1, reply
        assert reply["upserted"] == [{"index": 1, "_id": 9}], reply
        # The executed update answers n 1 / nModified 1, the upsert its _id (mongod's answers
        # from the oplog entry); the no-op wrote nothing, so it runs again; the new one applies.
        reply = raw.command({**update, "updates": [inc, upsert, unchanged, later]})
        assert reply["ok"] == 1 and reply["n"] == 4 and reply["nModified"] == 2, reply
        assert reply["upserted"] == [{"index": 1, "_id": 9}], reply
        assert "writeErrors" not in reply, reply

        assert raw.command(delete)["n"] == 1
        reply = raw.command({**delete, "deletes": [{"q": {"_id": 3}, "limit": 1}, {"q": {"_id": 4}, "limit": 1}]})
        assert reply["ok"] == 1 and reply["n"] == 2 and "writeErrors" not in reply, reply
    stored = {document["_id"]: document.get("n") for document in db.c.find()}
    assert stored == {1: 1, 2: 7, 9: 5}


def test_a_batch_cut_off_by_sigkill_is_completed_by_its_retry_after_restart(tmp_path, figures):
    """RocksDB: the server is killed while a 100,000-document insert commits its runs of 256;
    after the restart, the same command applies just the documents the first attempt did not."""
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    db = "partial_kill"
    count = 100_000
    command = {"insert": "c", "documents": [{"_id": n, "pad": "x" * 64} for n in range(count)],
               "lsid": new_session(), "txnNumber": Int64(3), "$db": db}
    try:
        with RawConnection(server.port) as probe:
            assert probe.command({"create": "c", "$db": db})["ok"] == 1
        attempt = RawConnection(server.port, timeout=ANSWER_BOUND_SECONDS)
        with ThreadPoolExecutor(max_workers=1) as background:
            pending = background.submit(attempt.command, command)
            applied = 0
            deadline = time.monotonic() + ANSWER_BOUND_SECONDS
            with RawConnection(server.port) as probe:
                while applied == 0:
                    assert time.monotonic() < deadline, "no run of the insert committed"
                    applied = probe.command({"count": "c", "$db": db})["n"]
                    time.sleep(0.005)
            server.kill()
            with pytest.raises(Exception):
                pending.result(timeout=ANSWER_BOUND_SECONDS)
        attempt.close()

        server.start()
        with RawConnection(server.port, timeout=ANSWER_BOUND_SECONDS) as raw:
            before = raw.command({"count": "c", "$db": db})["n"]
            assert 0 < before < count, f"the kill did not land mid-batch ({before} of {count} applied)"
            reply = raw.command(command)
            assert reply["ok"] == 1 and reply["n"] == count and "writeErrors" not in reply, \
                {key: value for key, value in reply.items() if key != "writeErrors"}
            stored = ids_in(raw, db)
            assert len(stored) == count and sorted(stored) == list(range(count))
            again = raw.command(command)
            assert again["ok"] == 1 and again["n"] == count and "writeErrors" not in again
        figures(f"retryable partial batch (RocksDB, SIGKILL): {before} of {count} documents applied before the kill, "
                f"the retry after restart applied {count - before} and answered n={count}")
    finally:
        if server.running:
            server.stop(timeout=30)


@pytest.fixture
def database():
    """A cluster with one empty database; the cluster and the database's URI."""
    with cluster_with_database("partial") as started:
        yield started


def test_a_batch_cut_off_by_a_lost_postgres_connection_is_completed_by_the_drivers_retry(database, tmp_path, figures):
    """PostgreSQL: the batch's second run of 256 documents waits for a row another session
    inserted and has not committed (the key of document 300); that wait's backend is
    terminated (pg_terminate_backend), so the first run is committed, the rest not, and the
    command fails with HostUnreachable (6). pymongo retries it once; the retry applies the
    rest and answers n = 600."""
    cluster, uri = database
    name = uri.rsplit("/", 1)[1]
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--storage", uri])
    server.start()
    attempts = InsertAttempts()
    client = MongoClient(server.uri, serverSelectionTimeoutMS=10_000, socketTimeoutMS=ANSWER_BOUND_SECONDS * 1000,
                         event_listeners=[attempts])
    blocker = None
    try:
        collection = client.partial.c
        # The stored key of document 300: the collection's only row once it alone is inserted.
        collection.insert_one({"_id": 300})
        rows = cluster.query(uri, "SELECT kv.space, encode(kv.key, 'hex') FROM tessera_kv kv "
                                  "JOIN tessera_keyspaces k ON k.id = kv.space WHERE k.name LIKE 'c.%'").splitlines()
        assert len(rows) == 1, rows
        space, key = rows[0].split("|")
        collection.delete_one({"_id": 300})
        blocker = subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", name,
                                    "-A", "-t", "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        assert blocker.stdin is not None and blocker.stdout is not None
        blocker.stdin.write(f"BEGIN;\nINSERT INTO tessera_kv (space, key, value) VALUES ({space}, "
                            f"decode('{key}', 'hex'), '\\x00'::bytea);\nSELECT 'held';\n".encode())
        blocker.stdin.flush()
        line = blocker.stdout.readline().decode()
        assert line.startswith("held"), line
        attempts.reset()
        with ThreadPoolExecutor(max_workers=1) as background:
            pending = background.submit(collection.insert_many, [{"_id": n} for n in range(600)])
            waiting = ""
            deadline = time.monotonic() + ANSWER_BOUND_SECONDS
            while not waiting:
                assert time.monotonic() < deadline, "the insert never waited for the held row"
                time.sleep(0.05)
                waiting = cluster.query(uri, f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}' "
                                             "AND wait_event_type = 'Lock'")
            committed = int(cluster.query(uri, f"SELECT count(*) FROM tessera_kv WHERE space = {space}"))
            assert committed == 256, committed
            cluster.query(uri, f"SELECT pg_terminate_backend({waiting.splitlines()[0]})")
            blocker.stdin.write(b"ROLLBACK;\n")
            blocker.stdin.close()
            blocker.wait(timeout=30)
            blocker = None
            result = pending.result(timeout=ANSWER_BOUND_SECONDS * 2)
        assert result.inserted_ids == list(range(600))
        assert attempts.sent == 2, (attempts.sent, attempts.failed_codes)
        assert attempts.failed_codes == [6]
        assert len(attempts.replies) == 1 and attempts.replies[0]["n"] == 600, attempts.replies
        assert "writeErrors" not in attempts.replies[0]
        stored = [document["_id"] for document in collection.find({}, {"_id": 1})]
        assert sorted(stored) == list(range(600))
        figures(f"retryable partial batch (PostgreSQL, backend terminated): {committed} of 600 documents committed "
                "before the loss, the driver's retry applied the other 344 and answered n=600")
    finally:
        if blocker is not None:
            blocker.kill()
        client.close()
        server.kill()


def test_statements_of_many_documents_are_refused_in_a_retryable_write_as_mongod_does(server, db):
    # mongod (write_ops_exec.cpp): "Cannot use (or request) retryable writes with multi=true"
    # and "... with limit=0", InvalidOptions (72), a write error of that statement alone;
    # allowed when its statement id is uninitialized (-1). Nothing it would match changes.
    db.c.insert_many([{"_id": 1, "x": 1}, {"_id": 2, "x": 1}, {"_id": 3, "x": 2}])
    lsid = new_session()
    with RawConnection(server.port) as raw:
        reply = raw.command({"update": "c", "ordered": True, "lsid": lsid, "txnNumber": Int64(1), "$db": db.name,
                             "updates": [{"q": {"_id": 3}, "u": {"$set": {"y": 1}}},
                                         {"q": {"x": 1}, "u": {"$set": {"y": 2}}, "multi": True},
                                         {"q": {"_id": 3}, "u": {"$set": {"z": 1}}}]})
        assert reply["ok"] == 1 and reply["n"] == 1, reply
        assert [(error["index"], error["code"]) for error in reply["writeErrors"]] == [(1, 72)], reply
        assert reply["writeErrors"][0]["errmsg"] == "Cannot use (or request) retryable writes with multi=true"

        reply = raw.command({"delete": "c", "ordered": False, "lsid": lsid, "txnNumber": Int64(2), "$db": db.name,
                             "deletes": [{"q": {"x": 1}, "limit": 0}, {"q": {"_id": 3}, "limit": 1}]})
        assert reply["ok"] == 1 and reply["n"] == 1, reply
        assert [(error["index"], error["code"]) for error in reply["writeErrors"]] == [(0, 72)], reply
        assert reply["writeErrors"][0]["errmsg"] == "Cannot use (or request) retryable writes with limit=0"

        # Uninitialized statement ids (-1): mongod runs them.
        reply = raw.command({"update": "c", "lsid": lsid, "txnNumber": Int64(3), "$db": db.name, "stmtIds": [-1],
                             "updates": [{"q": {"x": 1}, "u": {"$set": {"w": 1}}, "multi": True}]})
        assert reply["ok"] == 1 and reply["n"] == 2 and "writeErrors" not in reply, reply
    assert {document["_id"]: (document.get("y"), document.get("w")) for document in db.c.find()} == {
        1: (None, 1), 2: (None, 1)}


@pytest.mark.parametrize("ids", [
    {"stmtId": 2**31 - 1}, {"stmtId": -(2**31)}, {"stmtId": -1}, {"stmtId": Int64(2**63 - 1)}, {"stmtId": float("nan")},
    {"stmtIds": [2**31 - 1, -(2**31)]}, {"stmtIds": [-1, -1]}, {"stmtIds": [0]}, {"stmtIds": []},
    {"stmtIds": [float("inf"), -0.0]}, {"stmtIds": [Int64(-(2**63)), Int64(2**63 - 1)]}, {"stmtIds": "x"},
])
def test_extreme_statement_ids_get_well_formed_replies_and_the_server_stays_up(server, db, ids):
    # Statement ids come from the client (RetryableWriteProgress reads them): whatever they
    # are — Int32's ends, -1, 64-bit values, NaN, ±Inf, -0.0, the wrong count or type — the
    # command and its resend under the same txnNumber get a reply (ok, or an error with a
    # code), and the server goes on answering.
    lsid = new_session()
    command = {"insert": "c", "documents": [{"_id": 1}, {"_id": 2}], "lsid": lsid, "txnNumber": Int64(1),
               "$db": db.name, **ids}
    with RawConnection(server.port) as raw:
        first = raw.command(command)
        second = raw.command(command)
        for reply in (first, second):
            assert reply["ok"] in (0, 1), reply
            if reply["ok"] == 0:
                assert isinstance(reply.get("code"), int) and reply.get("codeName"), reply
        assert raw.command({"ping": 1, "$db": "admin"})["ok"] == 1
    assert sorted(document["_id"] for document in db.c.find()) in ([], [1, 2])
