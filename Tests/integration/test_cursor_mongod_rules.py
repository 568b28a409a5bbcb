# Cursor rules drivers' test suites hold a server to, as mongod 8.0 keeps them (issue 16, the
# pymongo suite's test_cursor.py and test_transactions.py): getMore's maxTimeMS (an await time
# for tailable awaitData cursors, refused otherwise) and the find's maxTimeMS as the budget of
# the whole cursor; CappedPositionLost when a tailable cursor's record rolls over; the batches
# an exhaust stream sends; count refused inside a transaction.

import threading
import time

import pytest
from pymongo import CursorType
from pymongo.errors import OperationFailure

import rawwire
from support import StartedCommands, started_test_commands_server


@pytest.fixture(scope="module")
def test_server(tmp_path_factory):
    """A server started with --enable-test-commands (for maxTimeAlwaysTimeOut)."""
    yield from started_test_commands_server(tmp_path_factory.mktemp("cursor_rules"))


def error_code(db, command, *args, **kwargs):
    with pytest.raises(OperationFailure) as raised:
        db.command(command, *args, **kwargs)
    return raised.value.code


def test_get_more_refuses_max_time_ms_on_a_cursor_that_is_not_await_data(db):
    db.c.insert_many([{"_id": i} for i in range(5)])
    first = db.command("find", "c", sort={"_id": 1}, batchSize=2)["cursor"]
    assert error_code(db, "getMore", first["id"], collection="c", maxTimeMS=1000) == 2
    # The refusal leaves the cursor open, as in mongod.
    rest = db.command("getMore", first["id"], collection="c")["cursor"]
    assert [d["_id"] for d in rest["nextBatch"]] == [2, 3, 4]
    # A tailable cursor without awaitData refuses it too.
    db.create_collection("cap", capped=True, size=10_000)
    db.cap.insert_one({"_id": 1})
    tailable = db.command("find", "cap", tailable=True)["cursor"]
    assert tailable["id"] != 0
    assert error_code(db, "getMore", tailable["id"], collection="cap", maxTimeMS=1000) == 2


def test_await_data_get_more_waits_its_max_time_ms(db):
    """pymongo sends a tailable awaitData cursor's max_await_time_ms as getMore's maxTimeMS:
    the getMore waits that long for a write (not the 1 s default, not cut short)."""
    db.create_collection("cap", capped=True, size=10_000)
    db.cap.insert_one({"_id": 0})
    first = db.command("find", "cap", tailable=True, awaitData=True)["cursor"]
    got = []

    def wait_for_more():
        got.append(db.command("getMore", first["id"], collection="cap", maxTimeMS=60_000)["cursor"])

    waiter = threading.Thread(target=wait_for_more)
    waiter.start()
    time.sleep(2.5)  # past the 1 s default await: only maxTimeMS keeps the getMore waiting
    db.cap.insert_one({"_id": 1})
    waiter.join(60)
    assert [d["_id"] for d in got[0]["nextBatch"]] == [1]
    assert got[0]["id"] == first["id"]


def test_the_finds_max_time_ms_bounds_every_get_more_of_its_cursor(test_server):
    with test_server.client() as client:
        db = client.cursor_rules_budget
        db.c.drop()
        db.c.insert_many([{"_id": i} for i in range(6)])
        timed = db.command("find", "c", batchSize=2, maxTimeMS=60_000)["cursor"]
        untimed = db.command("find", "c", batchSize=2)["cursor"]
        client.admin.command("configureFailPoint", "maxTimeAlwaysTimeOut", mode="alwaysOn")
        try:
            # The getMore carries no maxTimeMS: the cursor's budget times it out, and the
            # cursor is gone after.
            assert error_code(db, "getMore", timed["id"], collection="c") == 50
            assert error_code(db, "getMore", timed["id"], collection="c") == 43
            # A cursor opened without maxTimeMS has no budget to run out of.
            more = db.command("getMore", untimed["id"], collection="c", batchSize=2)["cursor"]
            assert [d["_id"] for d in more["nextBatch"]] == [2, 3]
        finally:
            client.admin.command("configureFailPoint", "maxTimeAlwaysTimeOut", mode="off")
        # pymongo's view: ExecutionTimeout from the getMore of a cursor with max_time_ms.
        cursor = db.c.find(batch_size=2).max_time_ms(60_000)
        next(cursor)
        client.admin.command("configureFailPoint", "maxTimeAlwaysTimeOut", mode="alwaysOn")
        try:
            with pytest.raises(OperationFailure) as raised:
                cursor.to_list()
            assert raised.value.code == 50
        finally:
            client.admin.command("configureFailPoint", "maxTimeAlwaysTimeOut", mode="off")


def test_a_tailable_cursor_whose_record_rolled_over_loses_its_position(db):
    db.create_collection("cap", capped=True, size=10_000, max=3)
    db.cap.insert_one({"x": 1})
    first = db.command("find", "cap", tailable=True)["cursor"]
    assert [d["x"] for d in first["firstBatch"]] == [1]
    db.cap.insert_many([{"x": 2}, {"x": 3}])
    more = db.command("getMore", first["id"], collection="cap")["cursor"]
    assert [d["x"] for d in more["nextBatch"]] == [2, 3]
    # The record the cursor stands on (x 3) is evicted, though x 4 follows it directly.
    db.cap.insert_many([{"x": 4}, {"x": 5}, {"x": 6}])
    assert error_code(db, "getMore", first["id"], collection="cap") == 136
    assert error_code(db, "getMore", first["id"], collection="cap") == 43
    # pymongo ends such a cursor quietly.
    cursor = db.cap.find(cursor_type=CursorType.TAILABLE)
    assert [d["x"] for d in cursor] == [4, 5, 6]
    db.cap.insert_many([{"x": 7}, {"x": 8}, {"x": 9}])
    assert cursor.to_list() == [] and not cursor.alive


def test_a_tailable_find_keeps_its_skip_and_limit(db):
    """pymongo's cursor slices on tailable cursors (test_cursor.py::test_tailable)."""
    db.create_collection("cap", capped=True, size=10_000)
    db.cap.insert_many([{"x": i} for i in range(1, 6)])
    reply = db.command("find", "cap", tailable=True, skip=1, limit=2)["cursor"]
    # The limit reached, the cursor ends.
    assert [d["x"] for d in reply["firstBatch"]] == [2, 3] and reply["id"] == 0
    first = db.command("find", "cap", tailable=True, limit=3, batchSize=2)["cursor"]
    assert [d["x"] for d in first["firstBatch"]] == [1, 2] and first["id"] != 0
    more = db.command("getMore", first["id"], collection="cap")["cursor"]
    assert [d["x"] for d in more["nextBatch"]] == [3] and more["id"] == 0
    for cursor_type in (CursorType.TAILABLE, CursorType.TAILABLE_AWAIT):
        assert [d["x"] for d in db.cap.find(cursor_type=cursor_type)[1:3]] == [2, 3]


def test_a_full_get_more_batch_leaves_the_cursor_open_until_an_empty_one(db):
    """mongod does not look past a full batch: the batch that takes the last document still
    names the cursor, and the next getMore answers an empty batch with id 0."""
    db.c.insert_many([{"_id": i} for i in range(3)])
    first = db.command("find", "c", sort={"_id": 1}, batchSize=1)["cursor"]
    batches = []
    cursor_id = first["id"]
    while cursor_id:
        reply = db.command("getMore", cursor_id, collection="c", batchSize=1)["cursor"]
        batches.append(([d["_id"] for d in reply["nextBatch"]], reply["id"] != 0))
        cursor_id = reply["id"]
    assert batches == [([1], True), ([2], True), ([], False)]


def test_exhaust_stream_sends_the_batches_pymongo_counts(server, db):
    db.c.insert_many([{"_id": i} for i in range(3)])
    with rawwire.RawConnection(server.port) as conn:
        first = conn.command({"find": "c", "sort": {"_id": 1}, "batchSize": 1, "$db": db.name})
        request = rawwire.op_msg({"getMore": first["cursor"]["id"], "collection": "c", "batchSize": 1, "$db": db.name},
                                 flags=rawwire.EXHAUST_ALLOWED)
        conn.send(request)
        replies = []
        while True:
            reply = conn.receive()
            assert reply is not None, "server closed the connection mid-stream"
            replies.append(([d["_id"] for d in reply.document["cursor"]["nextBatch"]],
                            reply.document["cursor"]["id"] != 0, bool(reply.flags & rawwire.MORE_TO_COME)))
            if not reply.flags & rawwire.MORE_TO_COME:
                break
        assert replies == [([1], True, True), ([2], True, True), ([], False, False)]
    # pymongo's test_cursor.py::test_exhaust_cursor_db_set: one find and three getMore events.
    listener = StartedCommands()
    with server.client(event_listeners=[listener]) as client:
        found = list(client[db.name].c.find({}, cursor_type=CursorType.EXHAUST, batch_size=1))
    assert len(found) == 3
    assert [n for n in listener.names if n in ("find", "getMore")] == ["find", "getMore", "getMore", "getMore"]


def test_count_is_refused_inside_a_transaction(client, db):
    db.c.insert_one({"_id": 1})
    with client.start_session() as session:
        session.start_transaction()
        assert db.c.find_one({}, session=session) == {"_id": 1}
        with pytest.raises(OperationFailure) as raised:
            db.command("count", "c", session=session)
        assert raised.value.code == 263
        assert "transaction-count" in str(raised.value)
        session.abort_transaction()
    # Outside a transaction, count answers.
    assert db.command("count", "c")["n"] == 1
