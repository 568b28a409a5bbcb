# CRUD through pymongo's public API against the real server: insert, find (filters,
# projection, sort, skip, limit, batch size), cursors over many getMores and killCursors,
# update/replace with upsert, delete, findAndModify, counts, distinct, aggregate.
# Expected values follow MongoDB's documented semantics.

import pytest
from bson import Int64, ObjectId
from pymongo import ASCENDING, DESCENDING, CursorType, ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from support import StartedCommands, count_matching


def seed(coll, count=10):
    coll.insert_many([{"_id": i, "n": i, "parity": i % 2, "tag": f"t{i % 3}"} for i in range(count)])


# -- insert ------------------------------------------------------------------------------

def test_insert_one_returns_id_and_stores_document(coll):
    result = coll.insert_one({"_id": "a", "x": 1, "nested": {"y": [1, 2, {"z": None}]}})
    assert result.acknowledged and result.inserted_id == "a"
    assert coll.find_one({"_id": "a"}) == {"_id": "a", "x": 1, "nested": {"y": [1, 2, {"z": None}]}}


def test_insert_one_generates_object_id_when_missing(coll):
    result = coll.insert_one({"x": 1})
    assert isinstance(result.inserted_id, ObjectId)
    assert coll.find_one({"_id": result.inserted_id})["x"] == 1


def test_insert_many_returns_ids_in_order(coll):
    result = coll.insert_many([{"_id": 3}, {"_id": 1}, {"_id": 2}])
    assert result.inserted_ids == [3, 1, 2]
    assert count_matching(coll, {}) == 3


def test_insert_duplicate_id_is_error_11000(coll):
    coll.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError) as info:
        coll.insert_one({"_id": 1})
    assert info.value.code == 11000


def test_long_and_double_values_round_trip(coll):
    coll.insert_one({"_id": 1, "big": Int64(2**40), "f": 1.5, "neg": -7})
    doc = coll.find_one({"_id": 1})
    assert doc["big"] == 2**40 and isinstance(doc["big"], Int64)
    assert doc["f"] == 1.5 and doc["neg"] == -7


# -- find --------------------------------------------------------------------------------

def test_find_with_filter_operators(coll):
    seed(coll)
    assert sorted(d["_id"] for d in coll.find({"n": {"$gte": 7}})) == [7, 8, 9]
    assert sorted(d["_id"] for d in coll.find({"parity": 1, "n": {"$lt": 5}})) == [1, 3]
    assert sorted(d["_id"] for d in coll.find({"tag": {"$in": ["t0"]}})) == [0, 3, 6, 9]
    assert list(coll.find({"missing": 1})) == []


def test_find_projection_inclusion_and_exclusion(coll):
    seed(coll, 3)
    assert coll.find_one({"_id": 1}, {"n": 1}) == {"_id": 1, "n": 1}
    assert coll.find_one({"_id": 1}, {"n": 1, "_id": 0}) == {"n": 1}
    assert coll.find_one({"_id": 1}, {"n": 0, "tag": 0}) == {"_id": 1, "parity": 1}


def test_find_sort_skip_limit(coll):
    seed(coll)
    docs = list(coll.find({}, sort=[("n", DESCENDING)], skip=2, limit=3))
    assert [d["_id"] for d in docs] == [7, 6, 5]
    docs = list(coll.find({}).sort([("parity", ASCENDING), ("n", DESCENDING)]).limit(4))
    assert [d["_id"] for d in docs] == [8, 6, 4, 2]


def test_find_negative_limit_is_single_batch(coll):
    seed(coll)
    assert len(list(coll.find({}).limit(-3))) == 3


def test_cursor_spans_many_get_mores(coll):
    coll.insert_many([{"_id": i, "v": i * 2} for i in range(5000)])
    cursor = coll.find({}, sort=[("_id", 1)], batch_size=7)
    seen = [d["_id"] for d in cursor]
    assert seen == list(range(5000))


def test_exhaust_cursor_streams_every_batch(coll):
    # CursorType.EXHAUST: pymongo sends getMore with exhaustAllowed and then only reads the
    # server's moreToCome replies until the cursor is exhausted.
    coll.insert_many([{"_id": i, "v": i * 2} for i in range(1000)])
    cursor = coll.find({}, sort=[("_id", 1)], batch_size=9, cursor_type=CursorType.EXHAUST)
    seen = [doc["_id"] for doc in cursor]
    assert seen == list(range(1000))
    assert cursor.alive is False
    # The connection is still usable for ordinary commands afterwards.
    assert coll.find_one({"_id": 999})["v"] == 1998


def test_cursor_batch_size_bounds_first_batch(db, coll):
    seed(coll, 20)
    reply = db.command({"find": coll.name, "filter": {}, "batchSize": 5})
    cursor = reply["cursor"]
    assert len(cursor["firstBatch"]) == 5 and cursor["id"] != 0
    assert cursor["ns"] == f"{db.name}.{coll.name}"
    more = db.command({"getMore": cursor["id"], "collection": coll.name, "batchSize": 100})
    assert len(more["cursor"]["nextBatch"]) == 15
    assert more["cursor"]["id"] == 0  # exhausted cursors report id 0


def test_single_batch_closes_cursor(db, coll):
    seed(coll, 20)
    reply = db.command({"find": coll.name, "batchSize": 5, "singleBatch": True})
    assert len(reply["cursor"]["firstBatch"]) == 5 and reply["cursor"]["id"] == 0


def test_close_cursor_kills_it_on_the_server(db, coll):
    seed(coll, 50)
    reply = db.command({"find": coll.name, "batchSize": 2})
    cursor_id = reply["cursor"]["id"]
    killed = db.command({"killCursors": coll.name, "cursors": [cursor_id]})
    assert killed["cursorsKilled"] == [cursor_id]
    with pytest.raises(OperationFailure) as info:
        db.command({"getMore": cursor_id, "collection": coll.name})
    assert info.value.code == 43  # CursorNotFound


def test_kill_unknown_cursor_is_reported_not_found(db, coll):
    coll.insert_one({})
    reply = db.command({"killCursors": coll.name, "cursors": [Int64(123456789)]})
    assert reply["cursorsNotFound"] == [123456789]


def test_pymongo_cursor_close_sends_kill_cursors(coll):
    seed(coll, 30)

    class Listener(StartedCommands):
        def succeeded(self, event):
            if event.command_name == "killCursors":
                self.reply = event.reply

    listener = Listener()
    from pymongo import MongoClient
    with MongoClient(coll.database.client.address[0], coll.database.client.address[1],
                     event_listeners=[listener], directConnection=True) as other:
        cursor = other[coll.database.name][coll.name].find({}, batch_size=3)
        next(cursor)
        cursor.close()
        assert "killCursors" in listener.names
        assert len(listener.reply["cursorsKilled"]) == 1


def test_get_more_on_wrong_collection_fails(db, coll):
    seed(coll, 10)
    cursor_id = db.command({"find": coll.name, "batchSize": 2})["cursor"]["id"]
    with pytest.raises(OperationFailure):
        db.command({"getMore": cursor_id, "collection": "other"})


# -- update / replace --------------------------------------------------------------------

def test_update_one_and_many(coll):
    seed(coll)
    r = coll.update_one({"parity": 0}, {"$set": {"hit": True}})
    assert (r.matched_count, r.modified_count, r.upserted_id) == (1, 1, None)
    r = coll.update_many({"parity": 1}, {"$inc": {"n": 100}})
    assert (r.matched_count, r.modified_count) == (5, 5)
    assert sorted(d["n"] for d in coll.find({"parity": 1})) == [101, 103, 105, 107, 109]
    assert count_matching(coll, {"hit": True}) == 1


def test_update_no_op_matches_without_modifying(coll):
    coll.insert_one({"_id": 1, "x": 5})
    r = coll.update_one({"_id": 1}, {"$set": {"x": 5}})
    assert (r.matched_count, r.modified_count) == (1, 0)


def test_update_with_upsert_inserts_from_filter_and_update(coll):
    r = coll.update_one({"_id": 7, "k": "a"}, {"$set": {"v": 1}}, upsert=True)
    assert (r.matched_count, r.modified_count, r.upserted_id) == (0, 0, 7)
    assert coll.find_one({"_id": 7}) == {"_id": 7, "k": "a", "v": 1}
    r = coll.update_many({"k": "b"}, {"$set": {"v": 2}}, upsert=True)
    assert isinstance(r.upserted_id, ObjectId)
    assert coll.find_one({"_id": r.upserted_id}) == {"_id": r.upserted_id, "k": "b", "v": 2}


def test_replace_one_with_and_without_upsert(coll):
    coll.insert_one({"_id": 1, "a": 1, "b": 2})
    r = coll.replace_one({"_id": 1}, {"c": 3})
    assert (r.matched_count, r.modified_count) == (1, 1)
    assert coll.find_one({"_id": 1}) == {"_id": 1, "c": 3}
    r = coll.replace_one({"_id": 2}, {"d": 4}, upsert=True)
    assert r.upserted_id == 2 and coll.find_one({"_id": 2}) == {"_id": 2, "d": 4}


def test_update_rejects_invalid_operator(coll):
    coll.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as info:
        coll.update_one({"_id": 1}, {"$frobnicate": {"x": 1}})
    assert info.value.code == 9  # FailedToParse: Unknown modifier


def test_update_changing_id_is_rejected(coll):
    coll.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as info:
        coll.update_one({"_id": 1}, {"$set": {"_id": 2}})
    assert info.value.code == 66  # ImmutableField


# -- delete ------------------------------------------------------------------------------

def test_delete_one_and_many(coll):
    seed(coll)
    assert coll.delete_one({"parity": 0}).deleted_count == 1
    assert coll.delete_many({"parity": 1}).deleted_count == 5
    assert coll.delete_many({"nothing": 1}).deleted_count == 0
    assert count_matching(coll, {}) == 4


# -- findAndModify -----------------------------------------------------------------------

def test_find_one_and_update_before_and_after(coll):
    seed(coll, 3)
    before = coll.find_one_and_update({"_id": 1}, {"$inc": {"n": 10}})
    assert before["n"] == 1
    after = coll.find_one_and_update({"_id": 1}, {"$inc": {"n": 10}}, return_document=ReturnDocument.AFTER,
                                     projection={"n": 1, "_id": 0})
    assert after == {"n": 21}


def test_find_one_and_update_sort_picks_first(coll):
    seed(coll, 5)
    doc = coll.find_one_and_update({}, {"$set": {"picked": 1}}, sort=[("n", DESCENDING)])
    assert doc["_id"] == 4
    assert coll.find_one({"picked": 1})["_id"] == 4


def test_find_one_and_update_upsert(coll):
    doc = coll.find_one_and_update({"_id": 9}, {"$set": {"x": 1}}, upsert=True,
                                   return_document=ReturnDocument.AFTER)
    assert doc == {"_id": 9, "x": 1}
    assert coll.find_one_and_update({"_id": 10}, {"$set": {"x": 1}}, upsert=True) is None


def test_find_one_and_replace_and_delete(coll):
    seed(coll, 3)
    old = coll.find_one_and_replace({"_id": 2}, {"replaced": True})
    assert old["n"] == 2 and coll.find_one({"_id": 2}) == {"_id": 2, "replaced": True}
    gone = coll.find_one_and_delete({"_id": 0})
    assert gone["_id"] == 0 and coll.find_one({"_id": 0}) is None
    assert coll.find_one_and_delete({"_id": 99}) is None


def test_find_and_modify_raw_command_reply_shape(db, coll):
    coll.insert_one({"_id": 1, "x": 1})
    reply = db.command({"findAndModify": coll.name, "query": {"_id": 1}, "update": {"$set": {"x": 2}}, "new": True})
    assert reply["ok"] == 1 and reply["value"] == {"_id": 1, "x": 2}
    assert reply["lastErrorObject"]["n"] == 1 and reply["lastErrorObject"]["updatedExisting"] is True


# -- counts, distinct --------------------------------------------------------------------

def test_count_documents(coll):
    # pymongo runs count_documents as an aggregate: $match, $skip, $limit, $group.
    seed(coll)
    assert coll.count_documents({}) == 10
    assert coll.count_documents({"parity": 0}) == 5
    assert coll.count_documents({"parity": 0}, skip=1, limit=2) == 2


def test_estimated_document_count(coll):
    seed(coll)
    assert coll.estimated_document_count() == 10
    assert coll.database["nothing"].estimated_document_count() == 0


def test_count_command(db, coll):
    seed(coll)
    assert db.command({"count": coll.name})["n"] == 10
    assert db.command({"count": coll.name, "query": {"n": {"$gt": 6}}})["n"] == 3
    assert db.command({"count": coll.name, "query": {}, "skip": 8})["n"] == 2
    assert db.command({"count": "does_not_exist"})["n"] == 0


def test_distinct(coll):
    seed(coll)
    assert sorted(coll.distinct("tag")) == ["t0", "t1", "t2"]
    assert sorted(coll.distinct("n", {"parity": 1})) == [1, 3, 5, 7, 9]
    coll.insert_one({"_id": "arr", "tag": ["t9", "t0"]})
    assert sorted(coll.distinct("tag")) == ["t0", "t1", "t2", "t9"]  # arrays are unwound
    assert coll.distinct("absent") == []


# -- aggregate ---------------------------------------------------------------------------

def test_aggregate_match_sort_skip_limit_project(coll):
    seed(coll)
    docs = list(coll.aggregate([
        {"$match": {"parity": 0}},
        {"$sort": {"n": -1}},
        {"$skip": 1},
        {"$limit": 2},
        {"$project": {"_id": 0, "n": 1}},
    ]))
    assert docs == [{"n": 6}, {"n": 4}]


def test_aggregate_count(coll):
    seed(coll)
    assert list(coll.aggregate([{"$match": {"n": {"$gte": 3}}}, {"$count": "total"}])) == [{"total": 7}]
    assert list(coll.aggregate([{"$match": {"n": -1}}, {"$count": "total"}])) == []


def test_aggregate_cursor_with_batches(coll):
    coll.insert_many([{"_id": i} for i in range(300)])
    docs = list(coll.aggregate([{"$sort": {"_id": 1}}], batchSize=11))
    assert [d["_id"] for d in docs] == list(range(300))


def test_aggregate_unknown_stage_is_error(coll):
    coll.insert_one({})
    with pytest.raises(OperationFailure) as info:
        list(coll.aggregate([{"$noSuchStage": {}}]))
    assert info.value.code == 40324  # Unrecognized pipeline stage name
