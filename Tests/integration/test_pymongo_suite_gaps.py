# Behaviours pymongo's own test suite (make test-pymongo) needed, checked through pymongo
# against a server started with --enable-test-commands: the onPrimaryTransactionalWrite fail
# point (retryable writes committed then cut off, or failed before commit), find's min/max
# index bounds with mongod's errors, snapshot reads' atClusterTime, the `_id` storage rule for
# $-prefixed fields, change streams' disambiguatedPaths / killCursors on `$cmd` namespaces /
# error labels and stage errors, and an empty operation collation.

import pytest
from bson import Int64, Timestamp
from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne, monitoring
from pymongo.errors import ConnectionFailure, OperationFailure

from support import StartedCommands, started_test_commands_server


@pytest.fixture(scope="module")
def test_server(tmp_path_factory):
    """A server started with --enable-test-commands."""
    yield from started_test_commands_server(tmp_path_factory.mktemp("suite_gaps"))


@pytest.fixture
def admin(test_server):
    with test_server.client() as client:
        yield client.admin
        client.admin.command({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": "off"})


@pytest.fixture
def watched(test_server):
    """A retryable-writes client whose started commands are recorded, and a function giving
    one of its collections dropped, with the record cleared after the drop."""
    listener = StartedCommands()
    with test_server.client(retryWrites=True, event_listeners=[listener]) as client:
        def fresh(name):
            coll = client.t_gaps[name]
            coll.drop()
            listener.names.clear()
            return coll
        yield fresh, listener.names


def set_point(admin, mode, **data):
    return admin.command({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": mode, "data": data})


# -- onPrimaryTransactionalWrite -------------------------------------------------------------

def test_a_retryable_write_is_committed_then_its_connection_closed_and_the_retry_replayed(admin, watched):
    fresh, started = watched
    coll = fresh("committed")
    set_point(admin, {"times": 1})
    result = coll.insert_many([{"_id": 1}, {"_id": 2}])
    assert result.inserted_ids == [1, 2]
    # Sent twice (the first reply never came), written once.
    assert started.count("insert") == 2
    assert sorted(doc["_id"] for doc in coll.find()) == [1, 2]


def test_fail_before_commit_writes_nothing_and_a_retry_runs_the_write_again(admin, test_server):
    with test_server.client(retryWrites=True) as client:
        coll = client.t_gaps.not_committed
        coll.drop()
        coll.insert_one({"_id": 0, "x": 0})
        set_point(admin, {"times": 1}, failBeforeCommitExceptionCode=1)
        coll.update_one({"_id": 0}, {"$inc": {"x": 1}})
        assert coll.find_one({"_id": 0})["x"] == 1
        set_point(admin, {"times": 2}, failBeforeCommitExceptionCode=1)
        with pytest.raises(ConnectionFailure):
            coll.update_one({"_id": 0}, {"$inc": {"x": 1}})
        assert coll.find_one({"_id": 0})["x"] == 1


def test_the_fail_point_counts_statements_and_only_retryable_writes(admin, test_server):
    with test_server.client(retryWrites=True) as client:
        coll = client.t_gaps.statements
        coll.drop()
        before = set_point(admin, {"skip": 2})["count"]
        # Three documents: the first two are skipped, the third fires (the retry replays).
        coll.insert_many([{"_id": i} for i in range(3)])
        # Not a retryable write (no txnNumber): never evaluated.
        with test_server.client(retryWrites=False) as plain:
            plain.t_gaps.statements.insert_one({"_id": 10})
        after = admin.command({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": "off"})["count"]
        assert after == before + 1
        assert coll.count_documents({}) == 4


def test_close_connection_false_with_an_error_code_answers_the_error(admin, test_server):
    with test_server.client(retryWrites=False) as client:
        coll = client.t_gaps.answered
        coll.drop()
        set_point(admin, "alwaysOn", closeConnection=False, failBeforeCommitExceptionCode=2)
        with client.start_session() as session:
            reply = client.t_gaps.command({"insert": "answered", "documents": [{"_id": 1}],
                                           "txnNumber": Int64(1)}, session=session, check=False)
        assert reply["ok"] == 0 and reply["code"] == 2
        assert coll.count_documents({}) == 0


def test_batch_split_bulk_retries_each_command_once(admin, watched):
    # pymongo's test_batch_splitting, smaller: one insert, one update command, each cut off once.
    fresh, started = watched
    coll = fresh("split")
    set_point(admin, "alwaysOn")
    result = coll.bulk_write([InsertOne({"_id": 1}), InsertOne({"_id": 2}),
                              UpdateOne({"_id": 1}, {"$inc": {"n": 1}})])
    set_point(admin, "off")
    assert (result.inserted_count, result.modified_count) == (2, 1)
    assert started == ["insert", "insert", "update", "update"]
    assert coll.find_one({"_id": 1}) == {"_id": 1, "n": 1}


# -- find min/max ----------------------------------------------------------------------------

@pytest.fixture
def numbers(test_server):
    with test_server.client() as client:
        coll = client.t_gaps.numbers
        coll.drop()
        coll.insert_many([{"_id": j, "j": j, "k": 9 - j} for j in range(10)])
        coll.create_index([("j", ASCENDING)])
        coll.create_index([("j", ASCENDING), ("k", ASCENDING)])
        coll.create_index([("k", DESCENDING)])
        yield coll


def js(cursor):
    return [doc["j"] for doc in cursor]


def test_min_is_inclusive_max_exclusive_on_the_hinted_index(numbers):
    assert js(numbers.find().min([("j", 3)]).max([("j", 6)]).hint([("j", 1)])) == [3, 4, 5]
    assert js(numbers.find().max([("j", 3)]).hint("j_1")) == [0, 1, 2]
    assert len(numbers.find().min([("j", 7)]).hint("j_1").to_list()) == 3


def test_min_max_apply_before_skip_and_limit_and_with_the_filter(numbers):
    found = numbers.find({"j": {"$ne": 4}}).min([("j", 2)]).hint("j_1").sort("j", 1).skip(1).limit(3)
    assert js(found) == [3, 5, 6]


def test_compound_bounds_compare_field_by_field(numbers):
    found = numbers.find().min([("j", 2), ("k", 8)]).max([("j", 4), ("k", 0)]).hint("j_1_k_1")
    # (j, k): (2, 7) is below (2, 8), (3, 6) is inside, (4, 5) is not below (4, 0).
    assert js(found) == [3]


def test_a_descending_field_bounds_in_index_order(numbers):
    # k descending: min {k: 6} .. max {k: 2} covers k 6, 5, 4, 3.
    found = numbers.find().min([("k", 6)]).max([("k", 2)]).hint("k_-1")
    assert sorted(doc["k"] for doc in found) == [3, 4, 5, 6]


def test_the_legacy_dollar_min_modifier(numbers):
    assert js(numbers.find({"$min": {"j": 8}, "$query": {}}, hint="j_1")) == [8, 9]


@pytest.mark.parametrize("options, code", [
    ({"min": {"j": 1}}, 51173),
    ({"min": {"j": 1}, "max": {"k": 3}, "hint": "j_1"}, 51176),
    ({"min": {"k": 1}, "hint": "j_1"}, 51174),
    ({"min": {"k": 3, "j": 3}, "hint": "j_1_k_1"}, 51174),
    ({"min": {"j": 5}, "max": {"j": 5}, "hint": "j_1"}, 51175),
    ({"min": {"j": 1}, "hint": "nope_1"}, 2),
])
def test_bounds_errors_are_mongods(numbers, options, code):
    with pytest.raises(OperationFailure) as raised:
        numbers.database.command({"find": numbers.name, **options})
    assert raised.value.code == code


# -- snapshot reads --------------------------------------------------------------------------

def test_a_snapshot_session_reads_at_the_cluster_time_of_its_first_read(test_server):
    events = []

    class Recorder(monitoring.CommandListener):
        def started(self, event):
            events.append(event.command)

        def succeeded(self, event):
            events.append(event.reply)

        def failed(self, event):
            pass

    with test_server.client(event_listeners=[Recorder()]) as client:
        coll = client.t_gaps.snap
        coll.drop()
        coll.insert_many([{"_id": i, "x": i} for i in range(5)])
        events.clear()
        with client.start_session(snapshot=True) as session:
            assert sorted(coll.distinct("x", session=session)) == [0, 1, 2, 3, 4]
            assert len(coll.find({}, session=session).to_list()) == 5
            assert len(list(coll.aggregate([{"$match": {}}], session=session))) == 5
        distinct_reply, find_command, find_reply = events[1], events[2], events[3]
        assert isinstance(distinct_reply["atClusterTime"], Timestamp)
        assert find_command["readConcern"] == {"level": "snapshot",
                                               "atClusterTime": distinct_reply["atClusterTime"]}
        assert find_reply["cursor"]["atClusterTime"] == distinct_reply["atClusterTime"]


def test_a_snapshot_read_again_at_its_time_sees_that_time_and_an_unread_older_time_is_too_old(test_server):
    with test_server.client() as client:
        db = client.t_gaps
        db.old.drop()
        written = db.command({"insert": "old", "documents": [{"_id": 1}]})["operationTime"]
        db.old.insert_one({"_id": 2})
        reply = db.command({"find": "old", "readConcern": {"level": "snapshot"}})
        time = reply["cursor"]["atClusterTime"]
        assert [d["_id"] for d in reply["cursor"]["firstBatch"]] == [1, 2]
        db.old.insert_one({"_id": 3})
        db.old.delete_one({"_id": 1})
        # The time a snapshot read reported reads the same data again, after later writes.
        again = db.command({"find": "old", "readConcern": {"level": "snapshot", "atClusterTime": time}})
        assert [d["_id"] for d in again["cursor"]["firstBatch"]] == [1, 2]
        assert again["cursor"]["atClusterTime"] == time
        counted = db.command({"distinct": "old", "key": "_id",
                              "readConcern": {"level": "snapshot", "atClusterTime": time}})
        assert sorted(counted["values"]) == [1, 2] and counted["atClusterTime"] == time
        # A time no snapshot read was at, older than the newest write: gone, as past mongod's window.
        assert written < time
        with pytest.raises(OperationFailure) as raised:
            db.command({"find": "old", "readConcern": {"level": "snapshot", "atClusterTime": written}})
        assert raised.value.code == 239
        future = Timestamp(time.time + 1000, 0)
        with pytest.raises(OperationFailure) as raised:
            db.command({"find": "old", "readConcern": {"level": "snapshot", "atClusterTime": future}})
        assert raised.value.code == 72


def test_a_snapshot_session_reads_one_point_in_time_across_reads_and_getmores(test_server):
    with test_server.client() as client:
        coll = client.t_gaps.history
        coll.drop()
        coll.insert_many([{"_id": i, "x": i} for i in range(5)])
        with client.start_session(snapshot=True) as session:
            assert coll.find_one({"_id": 0}, session=session)["x"] == 0
            cursor = coll.find({}, session=session, batch_size=2)
            first = next(cursor)
            coll.update_one({"_id": 0}, {"$inc": {"x": 100}})
            coll.delete_many({"_id": {"$gte": 3}})
            coll.insert_one({"_id": 9, "x": 9})
            # The open cursor's getMores and the session's later reads see the first read's time.
            assert [first["_id"]] + [d["_id"] for d in cursor] == [0, 1, 2, 3, 4]
            assert coll.find_one({"_id": 0}, session=session)["x"] == 0
            assert coll.count_documents({}, session=session) == 5
            assert sorted(coll.distinct("_id", session=session)) == [0, 1, 2, 3, 4]
        # A new snapshot session reads the newest data.
        with client.start_session(snapshot=True) as session:
            assert sorted(coll.distinct("_id", session=session)) == [0, 1, 2, 9]
            assert coll.find_one({"_id": 0}, session=session)["x"] == 100


# -- _id storage rules -----------------------------------------------------------------------

def test_an_id_document_with_a_dollar_prefixed_field_is_refused_at_any_depth(test_server):
    with test_server.client() as client:
        coll = client.t_gaps.dollars
        coll.drop()
        for bad in ({"$a": 1}, {"a": {"$b": 1}}, {"a": [{"$c": 1}]}):
            with pytest.raises(OperationFailure) as raised:
                coll.insert_one({"_id": bad})
            assert raised.value.code == 52
            with pytest.raises(OperationFailure) as raised:
                coll.replace_one({"x": 1}, {"_id": bad}, upsert=True)
            assert raised.value.code == 52
        # Allowed: a $-prefixed field elsewhere (8.0), a DBRef-shaped _id.
        coll.insert_one({"_id": 1, "a": {"$x": 1}})
        coll.insert_one({"_id": {"$ref": "c", "$id": 2}})
        assert coll.count_documents({}) == 2


# -- change streams --------------------------------------------------------------------------

def test_disambiguated_paths_tell_array_indexes_from_numeric_field_names(test_server):
    with test_server.client() as client:
        coll = client.t_gaps.paths
        coll.drop()
        coll.insert_many([{"_id": 1, "a": {"1": 1}}, {"_id": 2, "a": [{"1": 1}]}])
        with coll.watch(show_expanded_events=True, max_await_time_ms=100) as expanded, \
                coll.watch(max_await_time_ms=100) as plain:
            coll.update_one({"_id": 1}, {"$set": {"a.1": 2, "b": 1}})
            coll.update_one({"_id": 2}, {"$set": {"a.0.1": 2}})
            first, second = expanded.next(), expanded.next()
            assert first["updateDescription"]["disambiguatedPaths"] == {"a.1": ["a", "1"]}
            paths = second["updateDescription"]["disambiguatedPaths"]
            assert paths == {"a.0.1": ["a", 0, "1"]} and isinstance(paths["a.0.1"][1], int)
            assert "disambiguatedPaths" not in plain.next()["updateDescription"]


def test_kill_cursors_reaches_a_database_change_streams_cursor(test_server):
    # pymongo's test_try_next_runs_one_getmore: a killed database-level stream cursor
    # (namespace <db>.$cmd.aggregate) answers CursorNotFound, and the driver resumes.
    with test_server.client() as client:
        db = client.t_gaps
        reply = db.command({"aggregate": 1, "pipeline": [{"$changeStream": {}}], "cursor": {}})
        cursor_id, namespace = reply["cursor"]["id"], reply["cursor"]["ns"]
        assert namespace == "t_gaps.$cmd.aggregate"
        killed = db.command({"killCursors": "$cmd.aggregate", "cursors": [cursor_id]})
        assert killed["cursorsKilled"] == [cursor_id]
        with pytest.raises(OperationFailure) as raised:
            db.command({"getMore": cursor_id, "collection": "$cmd.aggregate"})
        assert raised.value.code == 43


def test_a_fatal_change_stream_error_is_labelled_non_resumable(test_server):
    with test_server.client() as client:
        coll = client.t_gaps.fatal
        with coll.watch([{"$project": {"_id": 0}}], max_await_time_ms=100) as stream:
            coll.insert_one({"x": 1})
            with pytest.raises(OperationFailure) as raised:
                stream.next()
        assert raised.value.code == 280
        assert raised.value.has_error_label("NonResumableChangeStreamError")


def test_an_unknown_stage_after_change_stream_is_unrecognized_and_a_known_one_illegal(test_server):
    with test_server.client() as client:
        coll = client.t_gaps.stages
        with pytest.raises(OperationFailure) as raised:
            coll.watch([{"$unsupported": "foo"}])
        assert raised.value.code == 40324
        with pytest.raises(OperationFailure) as raised:
            coll.watch([{"$sort": {"x": 1}}])
        assert raised.value.code == 20


# -- an empty operation collation ------------------------------------------------------------

def test_an_empty_operation_collation_is_none_given(test_server):
    # pymongo's test_helpers_with_let passes collation {} positionally to delete_many & co.
    with test_server.client() as client:
        coll = client.t_gaps.empty_collation
        coll.drop()
        coll.database.create_collection("empty_collation", collation={"locale": "en", "strength": 2})
        coll.insert_many([{"s": "a"}, {"s": "A"}, {"s": "b"}])
        # {} keeps the collection's default (case-insensitive), as no collation would.
        assert coll.count_documents({"s": "a"}, collation={}) == 2
        assert coll.delete_many({"s": "a"}, collation={}).deleted_count == 2
        assert coll.update_many({}, {"$set": {"x": 1}}, collation={}).modified_count == 1
        assert [doc["s"] for doc in coll.find({}, collation={})] == ["b"]


# -- transactions ----------------------------------------------------------------------------

def test_out_and_merge_are_refused_inside_a_transaction(test_server):
    # pymongo's test_transaction_write_concern_override.
    with test_server.client() as client:
        coll = client.t_gaps.txn_out
        coll.insert_one({"x": 1})
        for stage in ({"$out": "txn_out_copy"}, {"$merge": {"into": "txn_out_copy"}}):
            with client.start_session() as session:
                session.start_transaction()
                with pytest.raises(OperationFailure) as raised:
                    coll.aggregate([stage], session=session)
                assert raised.value.code == 263
                session.abort_transaction()
        assert "txn_out_copy" not in client.t_gaps.list_collection_names()
        # Outside a transaction $out still writes.
        coll.aggregate([{"$out": "txn_out_copy"}])
        assert client.t_gaps.txn_out_copy.count_documents({}) == 1


def test_commands_that_cannot_read_at_a_snapshot_refuse_the_snapshot_read_concern(test_server):
    with test_server.client() as client:
        db = client.t_gaps
        db.refuse.insert_one({"_id": 1})
        snapshot = {"level": "snapshot"}
        for command in ({"insert": "refuse", "documents": [{"_id": 2}]}, {"listCollections": 1},
                        {"delete": "refuse", "deletes": [{"q": {}, "limit": 1}]}, {"count": "refuse"}):
            with pytest.raises(OperationFailure) as raised:
                db.command({**command, "readConcern": snapshot})
            assert raised.value.code == 72
        assert db.refuse.count_documents({}) == 1
        # Inside a transaction the snapshot read concern belongs to the transaction.
        with client.start_session() as session:
            with session.start_transaction():
                db.refuse.insert_one({"_id": 3}, session=session)
        assert db.refuse.count_documents({}) == 2


def test_a_snapshot_cursor_continues_with_get_more(test_server):
    # pymongo repeats the snapshot read concern on getMore (test_aggregate_raw_snapshot_reads).
    with test_server.client() as client:
        coll = client.t_gaps.snap_more
        coll.drop()
        coll.insert_many([{"_id": i} for i in range(5)])
        with client.start_session(snapshot=True) as session:
            assert [doc["_id"] for doc in coll.find({}, session=session, batch_size=2).sort("_id")] == list(range(5))


def test_a_read_concern_of_an_unknown_level_or_wrong_type_is_refused(test_server):
    with test_server.client() as client:
        db = client.t_gaps
        db.levels.insert_one({"_id": 1})
        for concern, code in [({"level": "unknown"}, 2), ({"level": 1}, 14), ("majority", 14)]:
            for command in [{"find": "levels"}, {"insert": "levels", "documents": [{}]}]:
                with pytest.raises(OperationFailure) as raised:
                    db.command({**command, "readConcern": concern})
                assert raised.value.code == code, (concern, command)
        for level in ["local", "majority", "available", "linearizable"]:
            assert db.command({"find": "levels", "readConcern": {"level": level}})["cursor"]["firstBatch"] == [{"_id": 1}]
        assert db.command({"find": "levels", "readConcern": {}})["ok"] == 1
        assert db.levels.count_documents({}) == 1
