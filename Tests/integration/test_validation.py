# Schema validation and collMod through pymongo against a real server: validators with
# query operators and with $jsonSchema (one test per keyword: a document that passes is
# stored, one that fails gets 121, and $jsonSchema as a find filter picks the same ones),
# errInfo (failingDocumentId, details), validationLevel, validationAction,
# bypassDocumentValidation on every write path, listCollections options, and collMod of
# validators, index options, pre-images and capped bounds.

import pytest
from bson import Int64
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, OperationFailure, WriteError


def error_of(action):
    with pytest.raises(OperationFailure) as failure:
        action()
    return failure.value


# keyword, schema, a document that satisfies it, one that does not
KEYWORDS = [
    ("bsonType", {"properties": {"a": {"bsonType": "int"}}}, {"a": 1}, {"a": "x"}),
    ("type", {"properties": {"a": {"type": "string"}}}, {"a": "x"}, {"a": 1}),
    ("required", {"required": ["a"]}, {"a": None}, {"b": 1}),
    ("properties", {"properties": {"a": {"properties": {"b": {"bsonType": "bool"}}}}}, {"a": {"b": True}}, {"a": {"b": 1}}),
    ("additionalProperties", {"properties": {"_id": {}, "a": {}}, "additionalProperties": False}, {"a": 1}, {"a": 1, "b": 2}),
    ("patternProperties", {"patternProperties": {"^n_": {"bsonType": "int"}}}, {"n_x": 1}, {"n_x": "1"}),
    ("minimum", {"properties": {"a": {"minimum": 5}}}, {"a": 5}, {"a": 4}),
    ("maximum", {"properties": {"a": {"maximum": 5}}}, {"a": 5}, {"a": 6}),
    ("exclusiveMinimum", {"properties": {"a": {"minimum": 5, "exclusiveMinimum": True}}}, {"a": 6}, {"a": 5}),
    ("exclusiveMaximum", {"properties": {"a": {"maximum": 5, "exclusiveMaximum": True}}}, {"a": 4}, {"a": 5}),
    ("multipleOf", {"properties": {"a": {"multipleOf": 4}}}, {"a": 8}, {"a": 6}),
    ("minLength", {"properties": {"a": {"minLength": 2}}}, {"a": "ab"}, {"a": "a"}),
    ("maxLength", {"properties": {"a": {"maxLength": 2}}}, {"a": "ab"}, {"a": "abc"}),
    ("pattern", {"properties": {"a": {"pattern": "^[a-z]+$"}}}, {"a": "abc"}, {"a": "ABC"}),
    ("enum", {"properties": {"a": {"enum": ["red", "green"]}}}, {"a": "red"}, {"a": "blue"}),
    ("items", {"properties": {"a": {"items": {"bsonType": "int"}}}}, {"a": [1, 2]}, {"a": [1, "2"]}),
    ("additionalItems", {"properties": {"a": {"items": [{}], "additionalItems": False}}}, {"a": [1]}, {"a": [1, 2]}),
    ("minItems", {"properties": {"a": {"minItems": 2}}}, {"a": [1, 2]}, {"a": [1]}),
    ("maxItems", {"properties": {"a": {"maxItems": 1}}}, {"a": [1]}, {"a": [1, 2]}),
    ("uniqueItems", {"properties": {"a": {"uniqueItems": True}}}, {"a": [1, 2]}, {"a": [2, 2]}),
    ("minProperties", {"minProperties": 3}, {"a": 1, "b": 2}, {"a": 1}),
    ("maxProperties", {"maxProperties": 2}, {"a": 1}, {"a": 1, "b": 2}),
    ("allOf", {"properties": {"a": {"allOf": [{"minimum": 1}, {"maximum": 2}]}}}, {"a": 2}, {"a": 3}),
    ("anyOf", {"properties": {"a": {"anyOf": [{"bsonType": "string"}, {"minimum": 10}]}}}, {"a": 11}, {"a": 9}),
    ("oneOf", {"properties": {"a": {"oneOf": [{"minimum": 5}, {"maximum": 10}]}}}, {"a": 1}, {"a": 7}),
    ("not", {"properties": {"a": {"not": {"bsonType": "string"}}}}, {"a": 1}, {"a": "x"}),
    ("dependencies", {"dependencies": {"a": ["b"]}}, {"a": 1, "b": 1}, {"a": 1}),
    ("title/description", {"title": "t", "description": "d", "required": ["a"]}, {"a": 1}, {}),
]


@pytest.mark.parametrize("keyword, schema, good, bad", KEYWORDS, ids=[k[0] for k in KEYWORDS])
def test_json_schema_keyword(db, keyword, schema, good, bad):
    db.create_collection("c", validator={"$jsonSchema": schema})
    db.c.insert_one(dict(good, _id="good"))
    failure = error_of(lambda: db.c.insert_one(dict(bad, _id="bad")))
    assert failure.code == 121
    assert failure.details["errInfo"]["failingDocumentId"] == "bad"
    assert failure.details["errInfo"]["details"]["operatorName"] == "$jsonSchema"
    assert failure.details["errInfo"]["details"]["schemaRulesNotSatisfied"]
    # As a query operator, over a collection without a validator.
    db.plain.insert_many([dict(good, _id="good"), dict(bad, _id="bad")])
    assert [d["_id"] for d in db.plain.find({"$jsonSchema": schema})] == ["good"]


def test_query_operator_validator_and_err_info(db):
    db.create_collection("c", validator={"qty": {"$gte": 0}, "name": {"$type": "string"}})
    db.c.insert_one({"_id": 1, "qty": 1, "name": "a"})
    failure = error_of(lambda: db.c.insert_one({"_id": 2, "qty": -1, "name": "b"}))
    assert failure.code == 121
    assert failure.details["errmsg"] == "Document failed validation"
    assert failure.details["errInfo"] == {
        "failingDocumentId": 2,
        "details": {"operatorName": "$and", "clausesNotSatisfied": [{"index": 0, "details": {
            "operatorName": "$gte", "specifiedAs": {"qty": {"$gte": 0}}, "reason": "comparison failed",
            "consideredValue": -1}}]},
    }
    details = error_of(lambda: db.c.insert_one({"_id": 3, "qty": -1, "name": 5})).details["errInfo"]["details"]
    assert details["operatorName"] == "$and"
    assert [clause["index"] for clause in details["clausesNotSatisfied"]] == [0, 1]
    assert details["clausesNotSatisfied"][1]["details"]["consideredType"] == "int"


def test_generated_id_is_the_failing_document_id(db):
    db.create_collection("c", validator={"a": {"$exists": True}})
    failure = error_of(lambda: db.c.insert_one({"b": 1}))
    assert failure.details["errInfo"]["failingDocumentId"] is not None


def test_insert_many_reports_each_failure_as_a_write_error(db):
    db.create_collection("c", validator={"a": {"$gt": 0}})
    with pytest.raises(BulkWriteError) as failure:
        db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 0}, {"_id": 3, "a": 3}], ordered=False)
    errors = failure.value.details["writeErrors"]
    assert [(e["index"], e["code"]) for e in errors] == [(1, 121)]
    assert errors[0]["errInfo"]["failingDocumentId"] == 2
    assert sorted(d["_id"] for d in db.c.find()) == [1, 3]


def test_updates_upserts_and_find_and_modify_are_validated(db):
    db.create_collection("c", validator={"$jsonSchema": {"required": ["name"], "properties": {"n": {"minimum": 0}}}})
    db.c.insert_one({"_id": 1, "name": "a", "n": 1})
    assert error_of(lambda: db.c.update_one({"_id": 1}, {"$inc": {"n": -5}})).code == 121
    assert error_of(lambda: db.c.update_one({"_id": 1}, [{"$unset": "name"}])).code == 121
    assert error_of(lambda: db.c.replace_one({"_id": 1}, {"n": 2})).code == 121
    assert error_of(lambda: db.c.update_one({"_id": 9}, {"$set": {"n": 1}}, upsert=True)).code == 121
    failure = error_of(lambda: db.c.find_one_and_update({"_id": 1}, {"$set": {"n": -1}}))
    assert failure.code == 121
    assert failure.details["errInfo"]["failingDocumentId"] == 1
    assert db.c.find_one({"_id": 1}) == {"_id": 1, "name": "a", "n": 1}
    db.c.update_one({"_id": 1}, {"$inc": {"n": 1}})
    assert db.c.find_one({"_id": 1})["n"] == 2


def test_bypass_document_validation_on_every_write_path(db):
    db.create_collection("c", validator={"ok": True})
    db.c.insert_one({"_id": 1}, bypass_document_validation=True)
    db.c.insert_many([{"_id": 2}, {"_id": 3}], bypass_document_validation=True)
    db.c.update_one({"_id": 1}, {"$set": {"x": 1}}, bypass_document_validation=True)
    db.c.find_one_and_update({"_id": 2}, {"$set": {"x": 2}}, bypassDocumentValidation=True)
    db.source.insert_many([{"_id": 10}, {"_id": 11}])
    assert error_of(lambda: list(db.source.aggregate([{"$merge": {"into": "c"}}]))).code == 121
    list(db.source.aggregate([{"$merge": {"into": "c"}}], bypassDocumentValidation=True))
    db.create_collection("out", validator={"ok": True})
    assert error_of(lambda: list(db.source.aggregate([{"$out": "out"}]))).code == 121
    list(db.source.aggregate([{"$out": "out"}], bypassDocumentValidation=True))
    assert db.out.count_documents({}) == 2
    assert sorted(d["_id"] for d in db.c.find()) == [1, 2, 3, 10, 11]
    assert db.c.find_one({"_id": 2})["x"] == 2


def test_validation_level_and_action(db):
    db.create_collection("c", validator={"a": {"$type": "int"}}, validationLevel="moderate")
    db.c.insert_one({"_id": 1, "a": "legacy"}, bypass_document_validation=True)
    db.c.insert_one({"_id": 2, "a": 1})
    db.c.update_one({"_id": 1}, {"$set": {"b": 1}})  # was invalid: moderate does not check it
    assert error_of(lambda: db.c.update_one({"_id": 2}, {"$set": {"a": "x"}})).code == 121
    assert error_of(lambda: db.c.insert_one({"_id": 3, "a": "x"})).code == 121
    db.command("collMod", "c", validationAction="warn")
    db.c.insert_one({"_id": 4, "a": "x"})
    db.command("collMod", "c", validationAction="error", validationLevel="off")
    db.c.insert_one({"_id": 5, "a": "x"})
    options = db.c.options()
    assert options["validator"] == {"a": {"$type": "int"}}
    assert options["validationLevel"] == "off" and options["validationAction"] == "error"


def test_create_and_collmod_refuse_bad_validation_options(db):
    assert error_of(lambda: db.create_collection("c", validationLevel="sometimes")).code == 2
    assert error_of(lambda: db.create_collection("c", validationAction="shout")).code == 2
    assert error_of(lambda: db.create_collection("c", validator={"$jsonSchema": {"bogus": 1}})).code == 9
    assert error_of(lambda: db.create_collection("c", validator={"a": {"$near": [0, 0]}})).code == 2
    assert error_of(lambda: db.create_collection("c", validator=5)).code == 14
    db.create_collection("c")
    assert error_of(lambda: db.command("collMod", "c", frobnicate=1)).code == 40415
    assert error_of(lambda: db.command("collMod", "c", validator={"$jsonSchema": {"required": []}})).code == 9
    assert error_of(lambda: db.command("collMod", "missing", validator={})).code == 26
    # A bad collMod changes nothing.
    assert error_of(lambda: db.command("collMod", "c", validator={"a": 1}, validationLevel="bad")).code == 2
    assert "validator" not in db.c.options()


def test_collmod_validator_applies_to_later_writes(db):
    db.c.insert_one({"_id": 1, "a": "x"})
    db.command("collMod", "c", validator={"a": {"$type": "int"}})
    assert db.list_collections(filter={"name": "c"}).next()["options"] == {"validator": {"a": {"$type": "int"}}}
    assert error_of(lambda: db.c.insert_one({"_id": 2, "a": "y"})).code == 121
    assert error_of(lambda: db.c.update_one({"_id": 1}, {"$set": {"b": 1}})).code == 121  # strict: old invalid documents too


def test_validator_survives_a_restart(private_server):
    with private_server.client() as client:
        client.v.create_collection("c", validator={"$jsonSchema": {"required": ["a"]}})
    private_server.restart()
    with private_server.client() as client:
        assert error_of(lambda: client.v.c.insert_one({"b": 1})).code == 121


def test_collmod_index_hidden_and_expire_after_seconds(db):
    db.c.create_index("a", name="a_1")
    db.c.create_index("d", name="d_ttl", expireAfterSeconds=100)
    reply = db.command("collMod", "c", index={"name": "a_1", "hidden": True})
    assert reply["hidden_old"] is False and reply["hidden_new"] is True
    assert db.c.index_information()["a_1"]["hidden"] is True
    plan = db.c.find({"a": 1}).explain()["queryPlanner"]["winningPlan"]
    assert "IXSCAN" not in str(plan)
    reply = db.command("collMod", "c", index={"keyPattern": {"d": 1}, "expireAfterSeconds": 5})
    assert reply["expireAfterSeconds_old"] == 100 and reply["expireAfterSeconds_new"] == 5
    assert db.c.index_information()["d_ttl"]["expireAfterSeconds"] == 5
    assert error_of(lambda: db.command("collMod", "c", index={"name": "a_1", "expireAfterSeconds": 5})).code == 72
    assert error_of(lambda: db.command("collMod", "c", index={"name": "_id_", "hidden": True})).code == 2
    assert error_of(lambda: db.command("collMod", "c", index={"name": "nope", "hidden": True})).code == 27
    assert error_of(lambda: db.command("collMod", "c", index={"name": "a_1"})).code == 72


def test_collmod_prepare_unique_then_unique(db):
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}])
    db.c.create_index("a", name="a_1")
    db.c.insert_one({"_id": 3, "a": 2})
    assert error_of(lambda: db.command("collMod", "c", index={"name": "a_1", "unique": True})).code == 72
    db.command("collMod", "c", index={"name": "a_1", "prepareUnique": True})
    assert db.c.index_information()["a_1"]["prepareUnique"] is True
    failure = error_of(lambda: db.command("collMod", "c", index={"name": "a_1", "unique": True}, dryRun=True))
    assert failure.code == 359
    assert failure.details["violations"] == [{"ids": [2, 3]}]
    db.c.delete_one({"_id": 3})
    reply = db.command("collMod", "c", index={"name": "a_1", "unique": True})
    assert reply["unique_new"] is True
    assert db.c.index_information()["a_1"]["unique"] is True
    assert error_of(lambda: db.c.insert_one({"a": 1})).code == 11000


def test_prepare_unique_refuses_new_duplicates_and_keeps_existing_ones(db):
    db.c.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 1}, {"_id": 3, "a": 3}])
    db.c.create_index("a", name="a_1")
    db.command("collMod", "c", index={"name": "a_1", "prepareUnique": True})
    # A write may not add a key another document has (mongod's DuplicateKey, 11000) ...
    failure = error_of(lambda: db.c.insert_one({"_id": 4, "a": 3}))
    assert failure.code == 11000 and "index: a_1" in failure.details["errmsg"]
    assert error_of(lambda: db.c.update_one({"_id": 3}, {"$set": {"a": 1}})).code == 11000
    # ... while the duplicates already there stay, and other writes go on.
    db.c.update_one({"_id": 2}, {"$set": {"b": 1}})
    db.c.insert_one({"_id": 5, "a": 5})
    assert sorted(d["_id"] for d in db.c.find({"a": 1})) == [1, 2]
    # Converting to unique still fails on them (359), and works once they are gone.
    assert error_of(lambda: db.command("collMod", "c", index={"name": "a_1", "unique": True})).code == 359
    db.c.delete_one({"_id": 2})
    db.command("collMod", "c", index={"name": "a_1", "unique": True})
    assert db.c.index_information()["a_1"]["unique"] is True
    # prepareUnique off again: duplicates are accepted once more on a non-unique index.
    db.c.update_one({"_id": 1}, {"$set": {"b": 7}})
    db.c.create_index("b", name="b_1")
    db.command("collMod", "c", index={"name": "b_1", "prepareUnique": True})
    assert error_of(lambda: db.c.insert_one({"_id": 6, "b": 7})).code == 11000
    db.command("collMod", "c", index={"name": "b_1", "prepareUnique": False})
    db.c.insert_one({"_id": 6, "b": 7})
    assert db.c.count_documents({"b": 7}) == 2


def test_collmod_pre_and_post_images_and_capped_bounds(db):
    db.create_collection("c")
    db.command("collMod", "c", changeStreamPreAndPostImages={"enabled": True})
    assert db.c.options()["changeStreamPreAndPostImages"] == {"enabled": True}
    assert error_of(lambda: db.command("collMod", "c", changeStreamPreAndPostImages=True)).code == 14
    assert error_of(lambda: db.command("collMod", "c", cappedSize=4096)).code == 72
    db.create_collection("cap", capped=True, size=100_000, max=100)
    db.command("collMod", "cap", cappedSize=Int64(4096), cappedMax=3)
    stats = db.command("collStats", "cap")
    assert stats["maxSize"] == 4096 and stats["max"] == 3
    for n in range(5):
        db.cap.insert_one({"_id": n})
    assert [d["_id"] for d in db.cap.find()] == [2, 3, 4]
