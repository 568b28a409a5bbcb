# Multi-document transactions through pymongo: commit and abort, snapshot isolation, reading
# your own writes, MongoDB's error codes and labels, the lifetime limit, the W8 prize race
# (find_one_and_update) and two writers moving money in transactions while a reader checks
# the total inside transactions.

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo import MongoClient, ReturnDocument, monitoring
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern

from rawwire import RawConnection


def test_a_committed_transaction_is_seen_whole_and_only_after_commit(client, db):
    db.accounts.insert_many([{"_id": "a", "balance": 100}, {"_id": "b", "balance": 0}])
    db.audit.insert_one({"_id": 0})
    with client.start_session() as session:
        with session.start_transaction():
            db.accounts.update_one({"_id": "a"}, {"$inc": {"balance": -40}}, session=session)
            db.accounts.update_one({"_id": "b"}, {"$inc": {"balance": 40}}, session=session)
            client["txn_log"].moves.insert_one({"amount": 40}, session=session)
            # Inside: the transaction's own writes; outside: nothing yet.
            assert db.accounts.find_one({"_id": "a"}, session=session)["balance"] == 60
            assert db.accounts.find_one({"_id": "a"})["balance"] == 100
            assert client["txn_log"].moves.count_documents({}) == 0
    assert [d["balance"] for d in db.accounts.find().sort("_id", 1)] == [60, 40]
    assert client["txn_log"].moves.count_documents({}) == 1
    client.drop_database("txn_log")


def test_an_aborted_transaction_leaves_nothing(client, db):
    db.c.insert_one({"_id": 1, "n": 1})
    with client.start_session() as session:
        session.start_transaction()
        db.c.insert_one({"_id": 2}, session=session)
        db.c.update_one({"_id": 1}, {"$set": {"n": 99}}, session=session)
        db.c.delete_one({"_id": 1}, session=session)
        assert db.c.count_documents({}, session=session) == 1
        session.abort_transaction()
    assert list(db.c.find()) == [{"_id": 1, "n": 1}]


def test_reads_inside_see_a_snapshot_not_later_commits(client, db):
    db.c.insert_many([{"_id": i, "k": i} for i in range(5)])
    db.c.create_index("k")
    with client.start_session() as session:
        with session.start_transaction(read_concern=ReadConcern("snapshot")):
            assert db.c.count_documents({}, session=session) == 5
            db.c.insert_one({"_id": 100, "k": 100})  # outside the transaction
            db.c.delete_one({"_id": 0})
            assert db.c.count_documents({}, session=session) == 5
            assert sorted(d["_id"] for d in db.c.find({"k": {"$gte": 0}}, session=session)) == [0, 1, 2, 3, 4]
            assert db.c.distinct("k", session=session) == [0, 1, 2, 3, 4]
            total = list(db.c.aggregate([{"$group": {"_id": None, "s": {"$sum": "$k"}}}], session=session))
            assert total == [{"_id": None, "s": 10}]
            db.c.insert_one({"_id": 50, "k": 50}, session=session)
            assert [d["_id"] for d in db.c.find({"k": {"$gt": 3}}, session=session).sort("k", 1)] == [4, 50]
    assert sorted(d["_id"] for d in db.c.find()) == [1, 2, 3, 4, 50, 100]


def test_a_write_conflict_is_112_with_the_transient_label_and_aborts(client, db):
    db.c.insert_one({"_id": 1, "n": 0})
    with client.start_session() as first, client.start_session() as second:
        first.start_transaction()
        second.start_transaction()
        db.c.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=first)
        with pytest.raises(OperationFailure) as raised:
            db.c.update_one({"_id": 1}, {"$inc": {"n": 10}}, session=second)
        assert raised.value.code == 112
        assert raised.value.details["codeName"] == "WriteConflict"
        assert raised.value.has_error_label("TransientTransactionError")
        first.commit_transaction()
        # The conflict aborted the second transaction: committing it is NoSuchTransaction.
        with pytest.raises(OperationFailure) as raised:
            second.commit_transaction()
        assert raised.value.code == 251
        assert raised.value.has_error_label("TransientTransactionError")
    assert db.c.find_one({"_id": 1})["n"] == 1


def _command(connection: RawConnection, database: str, body: dict) -> dict:
    """A command sent below the driver (pymongo would replace `lsid` with its own session)."""
    return connection.command({**body, "$db": database})


def _fails(reply: dict, code: int) -> bool:
    return reply["ok"] == 0 and reply["code"] == code


def test_raw_commands_follow_mongodbs_transaction_rules(server, db):
    db.c.insert_one({"_id": 0})
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    with RawConnection(server.port) as raw:
        run = lambda database, body: _command(raw, database, {**body, "lsid": lsid})  # noqa: E731
        reply = run(db.name, {"insert": "c", "documents": [{"_id": 1}], "txnNumber": Int64(1),
                              "autocommit": False, "startTransaction": True})
        assert reply["ok"] == 1 and reply["n"] == 1
        # A statement with another number joins nothing.
        reply = run(db.name, {"find": "c", "txnNumber": Int64(2), "autocommit": False})
        assert _fails(reply, 251) and reply["codeName"] == "NoSuchTransaction"
        assert reply["errorLabels"] == ["TransientTransactionError"]
        # Commands a transaction may not run.
        reply = run(db.name, {"listCollections": 1, "txnNumber": Int64(1), "autocommit": False})
        assert _fails(reply, 263) and reply["codeName"] == "OperationNotSupportedInTransaction"
        # commitTransaction belongs to admin.
        reply = run(db.name, {"commitTransaction": 1, "txnNumber": Int64(1), "autocommit": False})
        assert _fails(reply, 13)
        assert run("admin", {"commitTransaction": 1, "txnNumber": Int64(1), "autocommit": False})["ok"] == 1
        # Committing again succeeds again; aborting a committed transaction is TransactionCommitted.
        assert run("admin", {"commitTransaction": 1, "txnNumber": Int64(1), "autocommit": False})["ok"] == 1
        reply = run("admin", {"abortTransaction": 1, "txnNumber": Int64(1), "autocommit": False})
        assert _fails(reply, 256) and reply["codeName"] == "TransactionCommitted"
        # An older number is TransactionTooOld.
        reply = run(db.name, {"insert": "c", "documents": [{"_id": 9}], "txnNumber": Int64(0),
                              "autocommit": False, "startTransaction": True})
        assert _fails(reply, 225) and reply["codeName"] == "TransactionTooOld"
        # txnNumber on a command that is neither a transaction statement nor a retryable write.
        assert _fails(run(db.name, {"find": "c", "txnNumber": Int64(5)}), 50768)
        # An aborted transaction's statements fail with NoSuchTransaction.
        run(db.name, {"insert": "c", "documents": [{"_id": 7}], "txnNumber": Int64(6),
                      "autocommit": False, "startTransaction": True})
        assert run("admin", {"abortTransaction": 1, "txnNumber": Int64(6), "autocommit": False})["ok"] == 1
        reply = run(db.name, {"find": "c", "txnNumber": Int64(6), "autocommit": False})
        assert _fails(reply, 251) and reply["errorLabels"] == ["TransientTransactionError"]
    assert sorted(d["_id"] for d in db.c.find()) == [0, 1]


def test_ending_the_session_aborts_its_transaction(server, client, db):
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    with RawConnection(server.port) as raw:
        reply = _command(raw, db.name, {"insert": "c", "documents": [{"_id": 1}], "lsid": lsid,
                                        "txnNumber": Int64(1), "autocommit": False, "startTransaction": True})
        assert reply["ok"] == 1
        assert _command(raw, "admin", {"endSessions": [lsid]})["ok"] == 1
        reply = _command(raw, "admin", {"commitTransaction": 1, "lsid": lsid, "txnNumber": Int64(1),
                                        "autocommit": False})
        assert _fails(reply, 251)
    assert db.c.count_documents({}) == 0


def test_a_transaction_past_its_lifetime_limit_is_aborted(private_server):
    with private_server.client() as client:
        was = client.admin.command({"setParameter": 1, "transactionLifetimeLimitSeconds": 1})["was"]
        assert was == 60
        db = client.lifetime
        with client.start_session() as session:
            session.start_transaction()
            db.c.insert_one({"_id": 1}, session=session)
            deadline = time.monotonic() + 30
            # The reaper runs every few seconds; the transaction is gone after its next pass.
            while time.monotonic() < deadline:
                time.sleep(1)
                try:
                    db.c.find_one({}, session=session)
                except OperationFailure as error:
                    assert error.code == 251
                    break
            else:
                pytest.fail("the abandoned transaction was never aborted")
            with pytest.raises(OperationFailure):
                session.commit_transaction()
        assert db.c.count_documents({}) == 0


def test_w8_exactly_one_of_eight_writers_gets_the_10000th_kill_prize(client, db):
    writers = 8
    for repetition in range(100):
        db.players.replace_one({"_id": "hunter"}, {"_id": "hunter", "kills": 9_990}, upsert=True)
        db.prizes.replace_one({"_id": "golden-carrot"}, {"_id": "golden-carrot", "owner": None}, upsert=True)
        barrier = threading.Barrier(writers)
        saw_10000: list[int] = []
        claimed: list[int] = []
        errors: list[BaseException] = []

        def writer(me: int) -> None:
            try:
                barrier.wait()
                while True:
                    after = db.players.find_one_and_update(
                        {"_id": "hunter", "kills": {"$lt": 10_000}}, {"$inc": {"kills": 1}},
                        return_document=ReturnDocument.AFTER)
                    if after is None:
                        break
                    if after["kills"] == 10_000:
                        saw_10000.append(me)
                # Everyone races for the prize once the counter is full.
                won = db.prizes.find_one_and_update(
                    {"_id": "golden-carrot", "owner": None}, {"$set": {"owner": me}})
                if won is not None:
                    claimed.append(me)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert len(saw_10000) == 1, (repetition, saw_10000)
        assert len(claimed) == 1, (repetition, claimed)
        assert db.players.find_one({"_id": "hunter"})["kills"] == 10_000
        assert db.prizes.find_one({"_id": "golden-carrot"})["owner"] == claimed[0]


def test_transfers_in_transactions_never_create_or_lose_money(client, db, figures):
    total = 1_000
    db.accounts.insert_many([{"_id": "a", "balance": total // 2}, {"_id": "b", "balance": total // 2}])
    transactions_per_writer = 5_000
    stop = threading.Event()
    errors: list[BaseException] = []
    checks = [0]
    retries = [0]

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with client.start_session() as session:
                for _ in range(transactions_per_writer):
                    source, target = ("a", "b") if rng.random() < 0.5 else ("b", "a")
                    amount = rng.randint(1, 20)
                    attempts = [0]

                    def move(s):
                        attempts[0] += 1
                        taken = db.accounts.update_one({"_id": source, "balance": {"$gte": amount}},
                                                       {"$inc": {"balance": -amount}}, session=s)
                        if taken.modified_count == 1:
                            db.accounts.update_one({"_id": target}, {"$inc": {"balance": amount}}, session=s)

                    session.with_transaction(move)
                    retries[0] += attempts[0] - 1
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def reader() -> None:
        try:
            with client.start_session() as session:
                while not stop.is_set():
                    with session.start_transaction():
                        balances = [d["balance"] for d in db.accounts.find({}, session=session)]
                    assert sum(balances) == total, balances
                    assert all(b >= 0 for b in balances), balances
                    checks[0] += 1
                    time.sleep(0.002)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    started = time.monotonic()
    writers = [threading.Thread(target=writer, args=(seed,)) for seed in (1, 2)]
    checker = threading.Thread(target=reader)
    for thread in writers + [checker]:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    checker.join()
    elapsed = time.monotonic() - started
    assert not errors, errors[:3]
    balances = {d["_id"]: d["balance"] for d in db.accounts.find()}
    assert sum(balances.values()) == total, balances
    assert checks[0] > 0
    figures(f"transfers: {2 * transactions_per_writer} transactions in {elapsed:.1f} s, "
            f"{retries[0]} retried after conflicts, {checks[0]} consistent reads inside transactions")


# -- collections and indexes created inside a transaction (mongod 4.4+) ----------------------

def test_create_and_create_index_in_a_transaction_exist_only_once_it_commits(client, db):
    with client.start_session() as session:
        session.start_transaction()
        db.create_collection("made", session=session, check_exists=False)
        db.made.create_index("a", name="a_1", unique=True, session=session)
        db.made.insert_one({"_id": 1, "a": 5}, session=session)
        # Implicit creation by a write, and an index on a collection created by one.
        db.implicit.insert_one({"_id": 1}, session=session)
        db.indexed.create_index("b", name="b_1", session=session)
        # Inside: the collection, its index and its document; outside: nothing yet.
        assert db.made.find_one({"a": 5}, session=session) == {"_id": 1, "a": 5}
        assert db.list_collection_names() == []
        with pytest.raises(OperationFailure) as exists:
            db.create_collection("made", session=session, check_exists=False)
        assert exists.value.code == 48
        # NamespaceExists aborted the transaction: nothing of it remains.
        with pytest.raises(OperationFailure) as aborted:
            session.commit_transaction()
        assert aborted.value.code == 251
    assert db.list_collection_names() == []

    with client.start_session() as session:
        with session.start_transaction():
            db.create_collection("made", session=session, check_exists=False)
            db.made.create_index("a", name="a_1", unique=True, session=session)
            db.made.insert_one({"_id": 1, "a": 5}, session=session)
            db.implicit.insert_one({"_id": 1}, session=session)
            db.indexed.create_index("b", name="b_1", session=session)
    assert sorted(db.list_collection_names()) == ["implicit", "indexed", "made"]
    assert [index["name"] for index in db.made.list_indexes()] == ["_id_", "a_1"]
    assert db.made.index_information()["a_1"]["unique"] is True
    assert [index["name"] for index in db.indexed.list_indexes()] == ["_id_", "b_1"]
    assert list(db.made.find()) == [{"_id": 1, "a": 5}]
    # The index built at commit holds the transaction's document: the unique key is taken.
    with pytest.raises(OperationFailure) as duplicate:
        db.made.insert_one({"_id": 2, "a": 5})
    assert duplicate.value.code == 11000
    assert db.made.find_one({"a": 5}, hint="a_1") == {"_id": 1, "a": 5}


def test_an_aborted_transaction_leaves_no_collection_it_created(client, db):
    with client.start_session() as session:
        session.start_transaction()
        db.create_collection("gone", session=session, check_exists=False)
        db.gone.create_index("x", session=session)
        db.gone.insert_one({"_id": 1, "x": 1}, session=session)
        session.abort_transaction()
    assert db.list_collection_names() == []
    # The name is free: created again outside, it has only its own documents and indexes.
    db.gone.insert_one({"_id": 2})
    assert list(db.gone.find()) == [{"_id": 2}]
    assert [index["name"] for index in db.gone.list_indexes()] == ["_id_"]


def test_ddl_in_a_transaction_follows_mongods_limits(client, db):
    db.existing.insert_one({"_id": 0, "a": 1})
    db.existing.create_index("a", name="a_1")
    cases = [
        # A new index on a collection the transaction did not create.
        (lambda s: db.existing.create_index("b", name="b_1", session=s), 263),
        # The same index again is no change, but a conflicting one is refused.
        (lambda s: db.existing.create_index([("a", -1)], name="a_1", session=s), 86),
        (lambda s: db.create_collection("v", viewOn="existing", pipeline=[], session=s, check_exists=False), 263),
        (lambda s: db.create_collection("ring", capped=True, size=4096, session=s, check_exists=False), 263),
    ]
    for operation, code in cases:
        with client.start_session() as session:
            session.start_transaction()
            assert db.existing.create_index("a", name="a_1", session=session) == "a_1"
            with pytest.raises(OperationFailure) as refused:
                operation(session)
            assert refused.value.code == code
            # The failed statement aborted the transaction, as mongod does.
            with pytest.raises(OperationFailure) as aborted:
                session.commit_transaction()
            assert aborted.value.code == 251
    assert sorted(db.list_collection_names()) == ["existing"]
    assert [index["name"] for index in db.existing.list_indexes()] == ["_id_", "a_1"]


def test_client_bulk_write_runs_inside_a_transaction(client, db):
    from pymongo.operations import InsertOne, UpdateOne
    db.c.insert_one({"_id": 1, "x": 1})
    with client.start_session() as session:
        with session.start_transaction():
            result = client.bulk_write([InsertOne({"_id": 2}, namespace=f"{db.name}.c"),
                                        UpdateOne({"_id": 1}, {"$inc": {"x": 1}}, namespace=f"{db.name}.c")],
                                       session=session)
            assert result.inserted_count == 1 and result.modified_count == 1
            assert db.c.count_documents({}) == 1  # outside: not yet
    assert list(db.c.find().sort("_id", 1)) == [{"_id": 1, "x": 2}, {"_id": 2}]


def test_client_bulk_write_results_past_the_batch_come_by_get_more_in_and_out_of_a_transaction(client, db):
    from pymongo.operations import InsertOne, UpdateOne
    ops = [{"insert": 0, "document": {"_id": i}} for i in range(5)]
    reply = client.admin.command({"bulkWrite": 1, "ops": ops, "nsInfo": [{"ns": f"{db.name}.r"}],
                                  "cursor": {"batchSize": 2}})
    cursor = reply["cursor"]
    assert [r["idx"] for r in cursor["firstBatch"]] == [0, 1] and cursor["id"] != 0
    assert cursor["ns"] == "admin.$cmd.bulkWrite" and reply["nInserted"] == 5
    more = client.admin.command({"getMore": cursor["id"], "collection": "$cmd.bulkWrite"})
    assert [r["idx"] for r in more["cursor"]["nextBatch"]] == [2, 3, 4] and more["cursor"]["id"] == 0
    with pytest.raises(OperationFailure) as refused:
        client.admin.command({"bulkWrite": 1, "ops": ops, "nsInfo": [{"ns": f"{db.name}.r"}],
                              "cursor": {"batchSize": -1}})
    assert refused.value.code == 51024
    # Two results of 8 MiB each pass the 16 MiB batch: the driver fetches the second.
    half = "a" * (8 * 1024 * 1024)
    commands = []

    class Recorder(monitoring.CommandListener):
        def started(self, event):
            commands.append(event.command_name)

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    with MongoClient(client.address[0], client.address[1], event_listeners=[Recorder()]) as watched:
        with watched.start_session() as session:
            with session.start_transaction():
                result = watched.bulk_write([UpdateOne({"_id": half}, {"$set": {"x": 1}}, upsert=True,
                                                       namespace=f"{db.name}.big"),
                                             UpdateOne({"_id": "b" + half[1:]}, {"$set": {"x": 1}}, upsert=True,
                                                       namespace=f"{db.name}.big"),
                                             InsertOne({"_id": 1}, namespace=f"{db.name}.big")],
                                            session=session, verbose_results=True)
    assert result.upserted_count == 2 and len(result.update_results) == 2 and result.inserted_count == 1
    assert "getMore" in commands
    assert db.big.count_documents({}) == 3
