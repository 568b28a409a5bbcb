# Retryable-write records are not kept forever (issue 15): endSessions deletes the ended
# sessions' records from the store — after a restart, the same statement of an ended session
# runs again while a live session's retry is still answered from its record — and the
# session timeout is the startup parameter localLogicalSessionTimeoutMinutes (hello reports
# it). Expiry by age is covered by the Swift tests (RetryableWriteRecordTests).

from __future__ import annotations

import uuid

from bson.binary import Binary
from bson.int64 import Int64

from rawwire import RawConnection
from tessera_server import TesseraServer

JOURNALED = {"w": 1, "j": True}


def inc(session: dict, number: int) -> dict:
    return {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}], "lsid": session,
            "txnNumber": Int64(number), "writeConcern": JOURNALED, "$db": "records"}


def counter(raw: RawConnection) -> int:
    return raw.command({"find": "c", "filter": {"_id": 1}, "$db": "records"})["cursor"]["firstBatch"][0]["n"]


def test_end_sessions_deletes_the_records_of_the_ended_sessions(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    try:
        ended, live = {"id": Binary(uuid.uuid4().bytes, 4)}, {"id": Binary(uuid.uuid4().bytes, 4)}
        with RawConnection(server.port) as raw:
            assert raw.command({"insert": "c", "documents": [{"_id": 1, "n": 0}], "$db": "records"})["ok"] == 1
            for session in (ended, live):
                assert raw.command(inc(session, 7))["nModified"] == 1
            assert counter(raw) == 2
            assert raw.command({"endSessions": [ended], "$db": "admin"})["ok"] == 1
            assert raw.command({"fsync": 1, "$db": "admin"})["ok"] == 1
        server.kill()
        server.start()
        with RawConnection(server.port) as raw:
            # The live session's record answers its retry: nothing is applied twice.
            retried = raw.command(inc(live, 7))
            assert retried["ok"] == 1 and retried["nModified"] == 1
            assert counter(raw) == 2
            # The ended session has no record left, so the store no longer knows the statement.
            assert raw.command(inc(ended, 7))["ok"] == 1
            assert counter(raw) == 3
    finally:
        if server.running:
            assert server.stop() == 0


def test_the_session_timeout_is_a_startup_parameter(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log",
                           extra_args=["--set-parameter", "localLogicalSessionTimeoutMinutes=7"])
    server.start()
    try:
        with RawConnection(server.port) as raw:
            assert raw.command({"hello": 1, "$db": "admin"})["logicalSessionTimeoutMinutes"] == 7
            assert raw.command({"startSession": 1, "$db": "admin"})["timeoutMinutes"] == 7
            assert raw.command({"getParameter": 1, "localLogicalSessionTimeoutMinutes": 1,
                                "$db": "admin"})["localLogicalSessionTimeoutMinutes"] == 7
            refused = raw.command({"setParameter": 1, "localLogicalSessionTimeoutMinutes": 5, "$db": "admin"})
            assert refused["ok"] == 0, refused
    finally:
        assert server.stop() == 0
