# Write batches: ordered and unordered bulk writes with a duplicate key in the middle (per-item
# writeErrors, counts of what was done), mixed bulk operations, unacknowledged (w: 0) writes
# sent with moreToCome, journaled writes, oversized documents.

import time

import pytest
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.errors import BulkWriteError, DocumentTooLarge, OperationFailure, WriteError
from pymongo.write_concern import WriteConcern

from support import count_matching


def test_ordered_insert_many_stops_at_duplicate(coll):
    docs = [{"_id": 1}, {"_id": 2}, {"_id": 1}, {"_id": 3}, {"_id": 4}]
    with pytest.raises(BulkWriteError) as info:
        coll.insert_many(docs, ordered=True)
    details = info.value.details
    assert details["nInserted"] == 2
    assert len(details["writeErrors"]) == 1
    error = details["writeErrors"][0]
    assert error["index"] == 2 and error["code"] == 11000
    assert "errmsg" in error
    assert sorted(d["_id"] for d in coll.find()) == [1, 2]


def test_unordered_insert_many_continues_past_duplicates(coll):
    docs = [{"_id": 1}, {"_id": 2}, {"_id": 1}, {"_id": 3}, {"_id": 2}, {"_id": 4}]
    with pytest.raises(BulkWriteError) as info:
        coll.insert_many(docs, ordered=False)
    details = info.value.details
    assert details["nInserted"] == 4
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(2, 11000), (4, 11000)]
    assert sorted(d["_id"] for d in coll.find()) == [1, 2, 3, 4]


def test_ordered_mixed_bulk_with_error_in_middle(coll):
    coll.insert_many([{"_id": i, "v": 0} for i in range(5)])
    requests = [
        UpdateOne({"_id": 0}, {"$set": {"v": 1}}),
        DeleteOne({"_id": 1}),
        InsertOne({"_id": 2}),                # duplicate: stops the ordered batch here
        UpdateMany({}, {"$set": {"v": 9}}),
        ReplaceOne({"_id": 3}, {"r": 1}),
    ]
    with pytest.raises(BulkWriteError) as info:
        coll.bulk_write(requests, ordered=True)
    details = info.value.details
    assert (details["nMatched"], details["nModified"], details["nRemoved"], details["nInserted"]) == (1, 1, 1, 0)
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(2, 11000)]
    assert count_matching(coll, {"v": 9}) == 0


def test_unordered_mixed_bulk_reports_every_error(coll):
    coll.insert_many([{"_id": i, "v": 0} for i in range(3)])
    requests = [
        InsertOne({"_id": 0}),                            # duplicate
        UpdateOne({"_id": 1}, {"$set": {"v": 1}}),
        UpdateOne({"_id": 2}, {"$set": {"_id": 99}}),     # ImmutableField
        InsertOne({"_id": 10}),
        UpdateOne({"_id": 50}, {"$set": {"v": 5}}, upsert=True),
    ]
    with pytest.raises(BulkWriteError) as info:
        coll.bulk_write(requests, ordered=False)
    details = info.value.details
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(0, 11000), (2, 66)]
    assert details["nInserted"] == 1 and details["nModified"] == 1 and details["nUpserted"] == 1
    assert details["upserted"] == [{"index": 4, "_id": 50}]


def test_successful_bulk_write_counts(coll):
    coll.insert_many([{"_id": i, "v": i} for i in range(4)])
    result = coll.bulk_write([
        InsertOne({"_id": 10}),
        UpdateMany({"v": {"$gte": 2}}, {"$inc": {"v": 1}}),
        ReplaceOne({"_id": 0}, {"v": -1}),
        DeleteOne({"_id": 1}),
        UpdateOne({"_id": 20}, {"$set": {"v": 20}}, upsert=True),
    ])
    assert result.inserted_count == 1
    assert result.matched_count == 3 and result.modified_count == 3
    assert result.deleted_count == 1 and result.upserted_ids == {4: 20}


def test_write_error_on_single_update_is_write_error(coll):
    coll.insert_many([{"_id": 1, "u": 1}, {"_id": 2, "u": 2}])
    coll.create_index("u", unique=True)
    with pytest.raises(WriteError) as info:
        coll.update_one({"_id": 2}, {"$set": {"u": 1}})
    assert info.value.code == 11000


def test_unacknowledged_writes_are_applied(coll):
    fire = coll.with_options(write_concern=WriteConcern(w=0))
    result = fire.insert_many([{"_id": i} for i in range(100)])
    assert result.acknowledged is False
    fire.update_many({}, {"$set": {"seen": True}})
    fire.delete_one({"_id": 0})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if count_matching(coll, {"seen": True}) == 99:
            break
        time.sleep(0.05)
    assert count_matching(coll, {"seen": True}) == 99
    assert coll.find_one({"_id": 0}) is None


def test_unacknowledged_error_does_not_break_connection(coll):
    coll.insert_one({"_id": 1})
    fire = coll.with_options(write_concern=WriteConcern(w=0))
    fire.insert_one({"_id": 1})  # duplicate: the server can only log it
    fire.insert_one({"_id": 2})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and coll.find_one({"_id": 2}) is None:
        time.sleep(0.05)
    assert coll.find_one({"_id": 2}) == {"_id": 2}


def test_journaled_and_w1_writes_acknowledge(coll):
    journaled = coll.with_options(write_concern=WriteConcern(w=1, j=True))
    assert journaled.insert_one({"_id": 1}).acknowledged
    assert coll.with_options(write_concern=WriteConcern(w=1)).insert_one({"_id": 2}).acknowledged
    assert count_matching(coll, {}) == 2


def test_document_over_16mib_is_rejected(db, coll):
    big = "x" * (16 * 1024 * 1024)
    with pytest.raises((DocumentTooLarge, OperationFailure)):
        coll.insert_one({"_id": 1, "s": big})
    # Sent as a raw command (bypassing pymongo's own size check), the command fits in the
    # 16 MiB + 16 KiB a command may take, so, as mongod, the server answers with a write
    # error for that document (2, "object to insert too large"), not a dropped connection.
    near = "y" * (16 * 1024 * 1024 - 100)
    reply = db.command({"insert": coll.name, "documents": [{"_id": 2, "s": near, "t": "z" * 200}]})
    assert reply["n"] == 0
    assert [(e["index"], e["code"]) for e in reply["writeErrors"]] == [(0, 2)]
    assert "too large" in reply["writeErrors"][0]["errmsg"]
    assert db.command("ping")["ok"] == 1
    assert count_matching(coll, {}) == 0


def test_write_command_comment_and_let_are_accepted(db, coll):
    coll.insert_one({"_id": 1, "x": 1})
    reply = db.command({"update": coll.name, "updates": [{"q": {"$expr": {"$eq": ["$_id", "$$target"]}},
                                                          "u": {"$set": {"x": 2}}}],
                        "let": {"target": 1}, "comment": "integration"})
    assert reply["n"] == 1 and reply["nModified"] == 1
    assert coll.find_one({"_id": 1})["x"] == 2
