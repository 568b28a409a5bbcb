# Retryable writes survive a restart: an insert, an $inc update, an upsert, a findAndModify and
# a delete are acknowledged, the server is SIGKILLed and restarted, and the very same
# commands (same lsid and txnNumber) are answered with the original replies and change
# nothing. The executed-statement records live in the store (MongoDB's config.transactions).

from __future__ import annotations

import uuid

from bson.binary import Binary
from bson.int64 import Int64

from rawwire import RawConnection
from tessera_server import TesseraServer

JOURNALED = {"w": 1, "j": True}


def new_session() -> dict:
    return {"id": Binary(uuid.uuid4().bytes, 4)}


def comparable(reply: dict) -> dict:
    """The reply without fields that legitimately differ between two answers."""
    return {key: value for key, value in reply.items()
            if key not in ("$clusterTime", "operationTime", "electionId", "opTime")}


def test_retried_writes_after_sigkill_answer_the_original_reply_and_apply_nothing_twice(tmp_path, figures):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    db = "retry_restart"
    statements = {
        "insert": {"insert": "c", "documents": [{"_id": 1, "n": 0}, {"_id": 2, "n": 0}]},
        "inc": {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]},
        "upsert": {"update": "c", "updates": [{"q": {"_id": 3}, "u": {"$inc": {"n": 5}}, "upsert": True}]},
        "findAndModify": {"findAndModify": "c", "query": {"_id": 2}, "update": {"$inc": {"n": 10}}, "new": True},
        "delete": {"delete": "c", "deletes": [{"q": {"_id": {"$gte": 100}}, "limit": 1}]},
    }
    # Each statement in its own session (a session remembers only its newest txnNumber), one
    # session running two numbers to check TransactionTooOld after the restart as well.
    commands: dict[str, dict] = {}
    originals: dict[str, dict] = {}
    try:
        with RawConnection(server.port) as raw:
            assert raw.command({"insert": "c", "documents": [{"_id": 100}, {"_id": 101}], "$db": db})["ok"] == 1
            for number, (name, body) in enumerate(statements.items(), start=1):
                command = {**body, "lsid": new_session(), "txnNumber": Int64(40 + number),
                           "writeConcern": JOURNALED, "$db": db}
                reply = raw.command(command)
                assert reply["ok"] == 1, (name, reply)
                commands[name] = command
                originals[name] = reply
            # The stale number of a session that moved on.
            reused = new_session()
            first = {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"m": 1}}}], "lsid": reused,
                     "txnNumber": Int64(1), "writeConcern": JOURNALED, "$db": db}
            assert raw.command(first)["ok"] == 1
            second = {**first, "txnNumber": Int64(2)}
            assert raw.command(second)["ok"] == 1
            before = {doc["_id"]: doc for doc in raw.command({"find": "c", "$db": db})["cursor"]["firstBatch"]}
        assert originals["insert"]["n"] == 2
        assert originals["inc"]["nModified"] == 1
        assert originals["upsert"]["upserted"][0]["_id"] == 3
        assert originals["findAndModify"]["value"]["n"] == 10
        assert originals["delete"]["n"] == 1

        server.kill()
        server.start()
        with RawConnection(server.port) as raw:
            for name, command in commands.items():
                retried = raw.command(command)
                assert comparable(retried) == comparable(originals[name]), (name, retried, originals[name])
            assert raw.command(second)["ok"] == 1
            stale = raw.command(first)
            assert stale["ok"] == 0 and stale["code"] == 225, stale
            after = {doc["_id"]: doc for doc in raw.command({"find": "c", "$db": db})["cursor"]["firstBatch"]}
            assert after == before, (before, after)
            assert after[1]["n"] == 1 and after[2]["n"] == 10 and after[3]["n"] == 5 and after[1]["m"] == 2
            # A new number on a restored session runs.
            newer = {**commands["inc"], "txnNumber": Int64(1000)}
            assert raw.command(newer)["nModified"] == 1
            assert raw.command({"find": "c", "filter": {"_id": 1}, "$db": db})["cursor"]["firstBatch"][0]["n"] == 2
        figures(f"faults/retryable writes across SIGKILL: {len(commands)} statements retried after restart, "
                "each answered with its original reply, none applied twice")
    finally:
        if server.running:
            server.stop(timeout=30)
