# The failCommand fail point drivers' test suites use, through pymongo against a server started
# with --enable-test-commands: each option, the times/skip/alwaysOn/off modes, appName selection,
# closeConnection, blockConnection, a retried retryable write, waitForFailPoint; 59 without the flag.
# Also the two other fail points pymongo's own suite sets: maxTimeAlwaysTimeOut and
# failGetMoreAfterCursorCheckout (with the ResumableChangeStreamError label on change streams).

import time

import pytest
from pymongo import MongoClient
from pymongo.errors import AutoReconnect, ConnectionFailure, OperationFailure

from support import started_test_commands_server


@pytest.fixture(scope="module")
def test_server(tmp_path_factory):
    """A server started with --enable-test-commands."""
    yield from started_test_commands_server(tmp_path_factory.mktemp("failpoints"))


@pytest.fixture
def admin(test_server):
    """A client whose own commands no fail point selects (appName 'admin'); turns failCommand off after."""
    with test_server.client(appName="admin") as client:
        yield client.admin
        client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})


@pytest.fixture
def app(test_server):
    """A client whose hello names it 'app' (fail points below select it by appName)."""
    with test_server.client(appName="app", retryWrites=False, retryReads=False) as client:
        yield client


def fail(admin, mode, **data):
    """Sets failCommand for appName 'app'; returns configureFailPoint's count."""
    reply = admin.command({"configureFailPoint": "failCommand", "mode": mode,
                           "data": {"appName": "app", **data}})
    return reply["count"]


def ping_code(client):
    """The error code of a ping, or 0 when it succeeds."""
    try:
        client.admin.command("ping")
        return 0
    except OperationFailure as error:
        return error.code


def test_error_code_with_times_fails_that_often(admin, app):
    fail(admin, {"times": 2}, failCommands=["ping"], errorCode=2)
    assert [ping_code(app) for _ in range(3)] == [2, 2, 0]


def test_skip_lets_the_first_commands_through_then_fails_every_one(admin, app):
    fail(admin, {"skip": 2}, failCommands=["ping"], errorCode=8)
    assert [ping_code(app) for _ in range(4)] == [0, 0, 8, 8]


def test_always_on_until_off_and_count_reports_times_entered(admin, app):
    before = fail(admin, "alwaysOn", failCommands=["ping"], errorCode=20)
    assert [ping_code(app) for _ in range(3)] == [20, 20, 20]
    after = admin.command({"configureFailPoint": "failCommand", "mode": "off"})["count"]
    assert after == before + 3
    assert ping_code(app) == 0


def test_app_name_selects_only_that_clients_commands(admin, app, test_server):
    fail(admin, "alwaysOn", failCommands=["ping"], errorCode=2)
    with test_server.client(appName="other") as other:
        assert ping_code(other) == 0
    assert ping_code(app) == 2


def test_only_listed_commands_fail_and_aliases_count(admin, app):
    fail(admin, "alwaysOn", failCommands=["count"], errorCode=2)
    assert ping_code(app) == 0
    with pytest.raises(OperationFailure) as raised:
        app.t_failpoints.command("count", "c")
    assert raised.value.code == 2


def test_error_labels_are_the_fail_points_own(admin, app):
    fail(admin, {"times": 1}, failCommands=["ping"], errorCode=112, errorLabels=["TransientTransactionError"])
    with pytest.raises(OperationFailure) as raised:
        app.admin.command("ping")
    assert raised.value.details["errorLabels"] == ["TransientTransactionError"]
    assert raised.value.details["codeName"] == "WriteConflict"


def test_write_concern_error_is_added_and_the_write_applied(admin, app):
    app.t_failpoints.wce.drop()
    fail(admin, {"times": 1}, failCommands=["insert"],
         writeConcernError={"code": 64, "codeName": "WriteConcernFailed", "errmsg": "waiting for replication timed out"})
    reply = app.t_failpoints.command({"insert": "wce", "documents": [{"_id": 1}]})
    assert reply["ok"] == 1 and reply["n"] == 1
    assert reply["writeConcernError"]["code"] == 64
    assert app.t_failpoints.wce.count_documents({}) == 1


def test_a_retryable_write_with_a_retriable_write_concern_error_is_labelled(admin, test_server):
    # pymongo's test_retryable_writes.py::test_RetryableWriteError_error_label: mongod adds
    # RetryableWriteError to a retryable write whose writeConcernError code is retriable (91),
    # so the driver retries it once; not to a write outside a retryable write.
    from pymongo import monitoring
    from pymongo.errors import WriteConcernError

    class Replies(monitoring.CommandListener):
        def __init__(self):
            self.labels = []

        def started(self, event):
            pass

        def succeeded(self, event):
            if event.command_name == "insert":
                self.labels.append(event.reply.get("errorLabels"))

        def failed(self, event):
            pass

    replies = Replies()
    with test_server.client(appName="app", retryWrites=True, event_listeners=[replies]) as client:
        collection = client.t_failpoints.wce_label
        collection.drop()
        fail(admin, {"times": 2}, failCommands=["insert"],
             writeConcernError={"code": 91, "errmsg": "Replication is being shut down"})
        with pytest.raises(WriteConcernError) as raised:
            collection.insert_one({"x": 1})
        assert raised.value.has_error_label("RetryableWriteError")
        assert replies.labels == [["RetryableWriteError"], ["RetryableWriteError"]]
        fail(admin, {"times": 1}, failCommands=["insert"],
             writeConcernError={"code": 91, "errmsg": "Replication is being shut down"})
        reply = client.t_failpoints.command({"insert": "wce_label", "documents": [{"x": 2}]})
        assert reply["writeConcernError"]["code"] == 91 and "errorLabels" not in reply


def test_close_connection_drops_only_that_connection(admin, app, test_server):
    app.t_failpoints.c.insert_one({"x": 1})
    with test_server.client(appName="bystander") as bystander:
        bystander.t_failpoints.c.find_one()
        fail(admin, {"times": 1}, failCommands=["find"], closeConnection=True)
        with pytest.raises((AutoReconnect, ConnectionFailure)):
            app.t_failpoints.c.find_one()
        assert bystander.t_failpoints.c.find_one()["x"] == 1
        assert app.t_failpoints.c.find_one()["x"] == 1  # a new connection works


def test_block_connection_delays_by_at_least_block_time(admin, app):
    fail(admin, {"times": 1}, failCommands=["ping"], blockConnection=True, blockTimeMS=300)
    started = time.monotonic()
    app.admin.command("ping")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    app.admin.command("ping")
    assert time.monotonic() - started < 0.3


def test_block_without_block_time_is_invalid_options(admin, app):
    fail(admin, {"times": 1}, failCommands=["ping"], blockConnection=True)
    assert ping_code(app) == 72


def test_retryable_write_is_retried_once_and_applied_once(admin, test_server):
    with test_server.client(appName="app", retryWrites=True) as client:
        collection = client.t_failpoints.retry
        collection.drop()
        before = fail(admin, {"times": 1}, failCommands=["insert"], errorCode=91,
                      errorLabels=["RetryableWriteError"])
        collection.insert_one({"_id": "once"})
        assert collection.count_documents({}) == 1
        entered = admin.command({"configureFailPoint": "failCommand", "mode": "off"})["count"]
        assert entered == before + 1


def test_wait_for_fail_point_returns_once_entered_and_times_out_otherwise(admin, app):
    before = fail(admin, {"times": 1}, failCommands=["ping"], errorCode=2)
    with pytest.raises(OperationFailure) as raised:
        admin.command({"waitForFailPoint": "failCommand", "timesEntered": before + 1, "maxTimeMS": 50})
    assert raised.value.code == 50
    assert ping_code(app) == 2
    admin.command({"waitForFailPoint": "failCommand", "timesEntered": before + 1, "maxTimeMS": 1000})


def test_unknown_fail_point_and_non_admin_database(admin, app):
    with pytest.raises(OperationFailure) as raised:
        admin.command({"configureFailPoint": "noSuchFailPoint", "mode": "off"})
    assert raised.value.code == 266
    with pytest.raises(OperationFailure) as raised:
        app.test.command({"configureFailPoint": "failCommand", "mode": "off"})
    assert raised.value.code == 13


def test_configure_fail_point_is_never_failed_itself(admin):
    admin.command({"configureFailPoint": "failCommand", "mode": "alwaysOn",
                   "data": {"failCommands": ["configureFailPoint"], "errorCode": 2}})
    admin.command({"configureFailPoint": "failCommand", "mode": "off"})


def test_max_time_always_time_out_fails_only_operations_with_a_max_time(admin, app):
    # pymongo's test_cursor.py::test_max_time_ms, test_collection.py::test_index_management_max_time_ms.
    coll = app.failpoints.max_time
    coll.insert_one({"x": 1})
    admin.command({"configureFailPoint": "maxTimeAlwaysTimeOut", "mode": "alwaysOn"})
    try:
        for operation in (lambda: coll.find_one(max_time_ms=1000),
                          lambda: coll.create_index("x", maxTimeMS=1000)):
            with pytest.raises(OperationFailure) as raised:
                operation()
            assert raised.value.code == 50
        assert coll.find_one()["x"] == 1
    finally:
        admin.command({"configureFailPoint": "maxTimeAlwaysTimeOut", "mode": "off"})
    assert coll.find_one(max_time_ms=1000)["x"] == 1


def test_fail_get_more_after_cursor_checkout_fails_one_get_more_with_its_code(admin, app):
    coll = app.failpoints.get_more
    coll.insert_many([{"i": i} for i in range(5)])
    cursor = coll.find(batch_size=2)
    assert next(cursor)["i"] == 0
    admin.command({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": {"times": 1},
                   "data": {"errorCode": 2, "namespace": coll.full_name}})
    with pytest.raises(OperationFailure) as raised:
        list(cursor)
    assert raised.value.code == 2
    assert len(list(coll.find(batch_size=2))) == 5


def test_a_change_stream_get_more_failing_with_a_resumable_code_is_labelled_and_resumed(admin, app):
    # pymongo's change-streams-resume-errorLabels.json: the driver resumes on the label alone.
    coll = app.failpoints.stream
    coll.insert_one({"before": True})
    with coll.watch(max_await_time_ms=100) as stream:
        entered = admin.command({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": {"times": 1},
                                 "data": {"errorCode": 6, "appName": "app"}})["count"]
        coll.insert_one({"x": 1})
        change = stream.next()
        assert change["fullDocument"]["x"] == 1
    # The getMore did fail (the fail point fired once) and the stream resumed past it.
    assert admin.command({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": "off"})["count"] == entered + 1
    raw = app.failpoints.command({"aggregate": "stream", "pipeline": [{"$changeStream": {}}], "cursor": {}})
    admin.command({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": {"times": 1},
                   "data": {"errorCode": 6}})
    reply = app.failpoints.command({"getMore": raw["cursor"]["id"], "collection": "stream"}, check=False)
    assert (reply["code"], reply["errorLabels"]) == (6, ["ResumableChangeStreamError"])
    admin.command({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": {"times": 1},
                   "data": {"errorCode": 2}})
    raw = app.failpoints.command({"aggregate": "stream", "pipeline": [{"$changeStream": {}}], "cursor": {}})
    reply = app.failpoints.command({"getMore": raw["cursor"]["id"], "collection": "stream"}, check=False)
    assert reply["code"] == 2 and "errorLabels" not in reply


def test_without_the_flag_the_commands_do_not_exist(client):
    for command in ({"configureFailPoint": "failCommand", "mode": "off"},
                    {"waitForFailPoint": "failCommand", "timesEntered": 1, "maxTimeMS": 10}):
        with pytest.raises(OperationFailure) as raised:
            client.admin.command(command)
        assert raised.value.code == 59
    assert "configureFailPoint" not in client.admin.command("listCommands")["commands"]


def test_a_transaction_statement_failed_by_the_fail_point_is_labelled_transient(admin, app):
    # mongod labels WriteConflict, NoSuchTransaction, LockTimeout, snapshot errors ... of a
    # transaction statement (commit included) TransientTransactionError, so drivers retry it.
    app.t_fail.c.insert_one({"_id": 0})
    for command, code in [("insert", 112), ("insert", 251), ("commitTransaction", 251), ("commitTransaction", 24)]:
        fail(admin, {"times": 1}, failCommands=[command], errorCode=code)
        with app.start_session() as session:
            session.start_transaction()
            with pytest.raises(OperationFailure) as failure:
                app.t_fail.c.insert_one({}, session=session)
                session.commit_transaction()
            assert failure.value.code == code
            assert failure.value.has_error_label("TransientTransactionError"), (command, code)
            assert not failure.value.has_error_label("RetryableWriteError")
    # Outside a transaction the same code gets no such label.
    fail(admin, {"times": 1}, failCommands=["insert"], errorCode=112)
    with pytest.raises(OperationFailure) as plain:
        app.t_fail.c.insert_one({})
    assert not plain.value.has_error_label("TransientTransactionError")
