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
