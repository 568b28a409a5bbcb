# `find` by `_id` equality (issue 22): the `_id_` index answers each point with one storage
# read instead of a cursor. Checks what a client sees: numeric equality across types, `$in`
# in index order both ways (numbers, strings, documents), misses, keys examined in explain,
# and reads of records still in the memtable and already in SST files.

from bson import ObjectId


def ids(cursor):
    return [document["_id"] for document in cursor]


def test_id_points_find_each_record_in_index_order(db):
    c = db.points
    oid = ObjectId()
    c.insert_many([{"_id": i, "n": i} for i in range(50)])
    c.insert_many([{"_id": "s"}, {"_id": {"a": 1}}, {"_id": oid}, {"_id": 2.5}])
    db.command("compact", "points")  # the records so far into SST files
    c.insert_many([{"_id": i, "n": i} for i in range(50, 60)])  # these stay in the memtable

    assert c.find_one({"_id": 7})["n"] == 7
    assert c.find_one({"_id": 7.0})["n"] == 7  # 7.0 equals 7
    assert c.find_one({"_id": 55})["n"] == 55
    assert c.find_one({"_id": 1000}) is None
    assert c.find_one({"_id": {"a": 1}}) == {"_id": {"a": 1}}

    wanted = [oid, 55, "s", 3, 1000, {"a": 1}, 2.5, "absent", 3]
    # Index order: numbers, then strings, then documents, then ObjectIds; each record once.
    assert ids(c.find({"_id": {"$in": wanted}})) == [2.5, 3, 55, "s", {"a": 1}, oid]
    assert ids(c.find({"_id": {"$in": wanted}}).sort("_id", -1)) == [oid, {"a": 1}, "s", 55, 3, 2.5]
    assert ids(c.find({"_id": {"$in": [5, 6, 7]}, "n": {"$gt": 5}})) == [6, 7]


def test_id_point_explain_counts_the_keys_found(db):
    c = db.points
    c.insert_many([{"_id": i} for i in range(10)])
    hit = db.command("explain", {"find": "points", "filter": {"_id": 4}}, verbosity="executionStats")
    miss = db.command("explain", {"find": "points", "filter": {"_id": 40}}, verbosity="executionStats")
    several = db.command("explain", {"find": "points", "filter": {"_id": {"$in": [1, 2, 40]}}},
                         verbosity="executionStats")
    assert (hit["executionStats"]["nReturned"], hit["executionStats"]["totalKeysExamined"]) == (1, 1)
    assert (miss["executionStats"]["nReturned"], miss["executionStats"]["totalKeysExamined"]) == (0, 0)
    assert several["executionStats"]["nReturned"] == 2
    assert several["executionStats"]["totalKeysExamined"] == 2
