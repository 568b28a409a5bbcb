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
