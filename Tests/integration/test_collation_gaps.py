# Issue 16's remaining collation gaps through pymongo against the real server: an update's
# collation (its own or the collection's default) applies to arrayFilters and to the update
# operators that compare values ($addToSet, $pull, $pullAll, $push's $sort, $min/$max), as in
# mongod (update_node setCollator); the _id index of a collection with a default collation
# carries it; validationAction "warn" writes and logs mongod's 20294.

from __future__ import annotations

import pytest
from bson import json_util
from pymongo import ReturnDocument, UpdateOne
from pymongo.collation import Collation
from pymongo.errors import OperationFailure

CASE_INSENSITIVE = Collation(locale="en", strength=2)
NUMERIC = Collation(locale="en", numericOrdering=True)


def _ci_collection(db):
    """A collection whose default collation is case-insensitive English."""
    return db.create_collection("ci", collation=CASE_INSENSITIVE)


# -- updates -----------------------------------------------------------------------------------

def test_array_filters_follow_the_operation_collation(coll):
    coll.insert_one({"_id": 1, "a": ["Foo", "bar", "FOO"]})
    coll.update_one({"_id": 1}, {"$set": {"a.$[e]": "x"}}, array_filters=[{"e": "foo"}], collation=CASE_INSENSITIVE)
    assert coll.find_one({"_id": 1})["a"] == ["x", "bar", "x"]
    # Without a collation the same filter matches nothing.
    coll.update_one({"_id": 1}, {"$set": {"a.$[e]": "y"}}, array_filters=[{"e": "BAR"}])
    assert coll.find_one({"_id": 1})["a"] == ["x", "bar", "x"]


def test_array_filters_follow_the_collection_default(db):
    ci = _ci_collection(db)
    ci.insert_one({"_id": 1, "items": [{"name": "Apple", "n": 1}, {"name": "pear", "n": 2}]})
    ci.update_many({}, {"$inc": {"items.$[i].n": 10}}, array_filters=[{"i.name": "APPLE"}])
    assert [item["n"] for item in ci.find_one({"_id": 1})["items"]] == [11, 2]
    # An operation's simple collation overrides the default.
    ci.update_many({}, {"$inc": {"items.$[i].n": 10}}, array_filters=[{"i.name": "PEAR"}],
                   collation=Collation(locale="simple"))
    assert [item["n"] for item in ci.find_one({"_id": 1})["items"]] == [11, 2]


def test_add_to_set_uniqueness_follows_the_collation(coll):
    coll.insert_one({"_id": 1, "tags": ["Red"]})
    result = coll.update_one({"_id": 1}, {"$addToSet": {"tags": "red"}}, collation=CASE_INSENSITIVE)
    assert result.modified_count == 0
    coll.update_one({"_id": 1}, {"$addToSet": {"tags": {"$each": ["blue", "BLUE", "RED"]}}}, collation=CASE_INSENSITIVE)
    assert coll.find_one({"_id": 1})["tags"] == ["Red", "blue"]
    coll.update_one({"_id": 1}, {"$addToSet": {"tags": "red"}})
    assert coll.find_one({"_id": 1})["tags"] == ["Red", "blue", "red"]


def test_pull_conditions_follow_the_collation(db):
    ci = _ci_collection(db)
    ci.insert_one({"_id": 1, "tags": ["Red", "blue", "GREEN", "red"],
                   "items": [{"name": "Apple"}, {"name": "pear"}], "words": ["Alpha", "beta", "Gamma"]})
    ci.update_one({"_id": 1}, {"$pull": {"tags": "RED", "items": {"name": "apple"}, "words": {"$lt": "C"}}})
    document = ci.find_one({"_id": 1})
    assert document["tags"] == ["blue", "GREEN"]
    assert document["items"] == [{"name": "pear"}]
    assert document["words"] == ["Gamma"]
    ci.update_one({"_id": 1}, {"$pull": {"tags": {"$in": ["green"]}}})
    assert ci.find_one({"_id": 1})["tags"] == ["blue"]


def test_pull_all_equality_follows_the_collation(coll):
    coll.insert_one({"_id": 1, "tags": ["Red", "blue", "GREEN"]})
    coll.update_one({"_id": 1}, {"$pullAll": {"tags": ["red", "green"]}})
    assert coll.find_one({"_id": 1})["tags"] == ["Red", "blue", "GREEN"]
    coll.update_one({"_id": 1}, {"$pullAll": {"tags": ["red", "green"]}}, collation=CASE_INSENSITIVE)
    assert coll.find_one({"_id": 1})["tags"] == ["blue"]


def test_push_sort_follows_the_collation(coll):
    coll.insert_one({"_id": 1, "v": ["10", "9"], "d": [{"k": "10"}, {"k": "9"}]})
    coll.update_one({"_id": 1}, {"$push": {"v": {"$each": ["100", "2"], "$sort": 1},
                                           "d": {"$each": [{"k": "2"}], "$sort": {"k": -1}}}}, collation=NUMERIC)
    document = coll.find_one({"_id": 1})
    assert document["v"] == ["2", "9", "10", "100"]
    assert document["d"] == [{"k": "10"}, {"k": "9"}, {"k": "2"}]
    coll.update_one({"_id": 1}, {"$push": {"v": {"$each": [], "$sort": 1}}})
    assert coll.find_one({"_id": 1})["v"] == ["10", "100", "2", "9"]


def test_min_and_max_on_strings_follow_the_collation(coll):
    coll.insert_one({"_id": 1, "low": "10", "high": "9"})
    coll.update_one({"_id": 1}, {"$min": {"low": "9"}, "$max": {"high": "10"}})
    assert coll.find_one({"_id": 1}, {"_id": 0}) == {"low": "10", "high": "9"}
    coll.update_one({"_id": 1}, {"$min": {"low": "9"}, "$max": {"high": "10"}}, collation=NUMERIC)
    assert coll.find_one({"_id": 1}, {"_id": 0}) == {"low": "9", "high": "10"}


def test_find_and_modify_applies_the_collation_to_the_update(coll):
    coll.insert_one({"_id": 1, "name": "ada", "tags": ["Math"]})
    after = coll.find_one_and_update({"name": "ADA"}, {"$addToSet": {"tags": "MATH"}},
                                     collation=CASE_INSENSITIVE, return_document=ReturnDocument.AFTER)
    assert after["tags"] == ["Math"]
    after = coll.find_one_and_update({"name": "ADA"}, {"$set": {"tags.$[t]": "Logic"}}, array_filters=[{"t": "math"}],
                                     collation=CASE_INSENSITIVE, return_document=ReturnDocument.AFTER)
    assert after["tags"] == ["Logic"]


def test_bulk_write_update_statements_carry_their_collation(coll):
    coll.insert_one({"_id": 1, "tags": ["Red"]})
    coll.bulk_write([UpdateOne({"_id": 1}, {"$addToSet": {"tags": "RED"}}, collation=CASE_INSENSITIVE),
                     UpdateOne({"_id": 1}, {"$addToSet": {"tags": "BLUE"}})])
    assert coll.find_one({"_id": 1})["tags"] == ["Red", "BLUE"]


# -- the _id index -----------------------------------------------------------------------------

def test_id_index_carries_the_collection_default_collation(db):
    ci = _ci_collection(db)
    id_index = next(index for index in ci.list_indexes() if index["name"] == "_id_")
    assert id_index["collation"]["locale"] == "en"
    assert id_index["collation"]["strength"] == 2
    entry = db.command("listCollections", filter={"name": "ci"})["cursor"]["firstBatch"][0]
    assert entry["idIndex"]["collation"] == id_index["collation"]
    plain = db.create_collection("plain")
    assert "collation" not in next(index for index in plain.list_indexes() if index["name"] == "_id_")

    ci.insert_many([{"_id": "ADA"}, {"_id": "bob"}, {"_id": 7}])
    assert ci.find_one({"_id": "ada"}) == {"_id": "ADA"}
    assert [d["_id"] for d in ci.find({"_id": {"$in": ["BOB", "ada"]}}).sort("_id", 1)] == ["ADA", "bob"]
    assert ci.count_documents({"_id": "Ada"}) == 1
    assert ci.find_one({"_id": 7}) == {"_id": 7}
    assert ci.update_one({"_id": "ada"}, {"$set": {"seen": True}}).modified_count == 1
    assert ci.delete_one({"_id": "BOB"}).deleted_count == 1
    assert sorted(map(str, ci.distinct("_id"))) == ["7", "ADA"]


# -- validationAction "warn" -------------------------------------------------------------------

def _validation_warnings(client, namespace):
    lines = client.admin.command("getLog", "global")["log"]
    entries = [json_util.loads(line) for line in lines if "20294" in line]
    return [entry for entry in entries if entry.get("id") == 20294 and entry["attr"]["namespace"] == namespace]


def test_validation_action_warn_writes_and_logs_20294(private_server):
    # A server of its own: getLog global of the shared one holds other tests' (large) lines.
    client = private_server.client()
    db = client.warn
    watched = db.create_collection("w", validator={"n": {"$type": "int"}}, validationAction="warn")
    namespace = "warn.w"
    watched.insert_one({"_id": "good", "n": 1})
    assert _validation_warnings(client, namespace) == []

    watched.insert_one({"_id": "bad", "n": "one"})
    assert watched.find_one({"_id": "bad"})["n"] == "one"
    warnings = _validation_warnings(client, namespace)
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning["s"] == "W"
    assert warning["msg"] == "Document would fail validation"
    assert warning["attr"]["document"] == {"_id": "bad", "n": "one"}
    assert warning["attr"]["errInfo"]["failingDocumentId"] == "bad"
    assert "details" in warning["attr"]["errInfo"]

    watched.update_one({"_id": "good"}, {"$set": {"n": "two"}})
    assert watched.find_one({"_id": "good"})["n"] == "two"
    warnings = _validation_warnings(client, namespace)
    assert len(warnings) == 2
    assert warnings[-1]["attr"]["document"] == {"_id": "good", "n": "two"}

    # A large document is logged by its _id (mongod truncates attributes over 10 KB).
    watched.insert_one({"_id": "big", "n": "x" * 100_000})
    warning = _validation_warnings(client, namespace)[-1]
    assert warning["attr"]["document"] == {"_id": "big"}
    assert warning["size"]["document"] > 100_000
    client.close()


# -- views -------------------------------------------------------------------------------------

def _people(db):
    db.people.insert_many([{"_id": 1, "name": "ada"}, {"_id": 2, "name": "ADA"}, {"_id": 3, "name": "bob"}])


def test_view_has_its_own_default_collation(db):
    _people(db)
    db.command("create", "ci_people", viewOn="people", pipeline=[], collation={"locale": "en", "strength": 2})
    view = db["ci_people"]
    assert sorted(d["_id"] for d in view.find({"name": "Ada"})) == [1, 2]
    assert view.count_documents({"name": "ADA"}) == 2
    assert len(view.distinct("name")) == 2
    assert [d["_id"] for d in view.aggregate([{"$match": {"name": "aDa"}}, {"$sort": {"_id": 1}}])] == [1, 2]
    entry = db.command("listCollections", filter={"name": "ci_people"})["cursor"]["firstBatch"][0]
    assert entry["options"]["collation"]["locale"] == "en"
    assert entry["options"]["collation"]["strength"] == 2
    # The same collation given explicitly is fine; another is MongoDB's 167.
    assert len(list(view.find({"name": "ada"}, collation=CASE_INSENSITIVE))) == 2
    for read in (lambda: list(view.find({}, collation=Collation(locale="fr"))),
                 lambda: view.count_documents({}, collation=Collation(locale="simple")),
                 lambda: view.distinct("name", collation=Collation(locale="de")),
                 lambda: list(view.aggregate([], collation=Collation(locale="en")))):
        with pytest.raises(OperationFailure) as failure:
            read()
        assert failure.value.code == 167


def test_view_does_not_inherit_the_collection_collation(db):
    ci = _ci_collection(db)
    ci.insert_many([{"_id": 1, "name": "ada"}, {"_id": 2, "name": "ADA"}])
    db.command("create", "plain", viewOn="ci")
    entry = db.command("listCollections", filter={"name": "plain"})["cursor"]["firstBatch"][0]
    assert "collation" not in entry["options"]
    assert [d["_id"] for d in db.plain.find({"name": "ada"})] == [1]
    with pytest.raises(OperationFailure) as failure:
        list(db.plain.find({}, collation=CASE_INSENSITIVE))
    assert failure.value.code == 167
    # A view on a view must share its collation.
    with pytest.raises(OperationFailure) as failure:
        db.command("create", "ci_on_plain", viewOn="plain", collation={"locale": "en", "strength": 2})
    assert failure.value.code == 167
    db.command("create", "plain_on_plain", viewOn="plain")
    assert [d["_id"] for d in db.plain_on_plain.find({"name": "ADA"})] == [2]


def test_lookup_union_with_and_graph_lookup_read_through_views(db):
    db.orders.insert_many([{"_id": 1, "item": "a"}, {"_id": 2, "item": "b"}])
    db.items.insert_many([{"_id": "a", "price": 3, "hidden": False, "next": "b"},
                          {"_id": "b", "price": 5, "hidden": True, "next": None}])
    db.command("create", "visible", viewOn="items", pipeline=[{"$match": {"hidden": False}}, {"$project": {"price": 1, "next": 1}}])
    joined = list(db.orders.aggregate([
        {"$lookup": {"from": "visible", "localField": "item", "foreignField": "_id", "as": "found"}}, {"$sort": {"_id": 1}}]))
    assert [order["found"] for order in joined] == [[{"_id": "a", "price": 3, "next": "b"}], []]
    piped = list(db.orders.aggregate([
        {"$lookup": {"from": "visible", "pipeline": [{"$project": {"_id": 1}}], "as": "all"}}, {"$limit": 1}]))
    assert piped[0]["all"] == [{"_id": "a"}]
    union = list(db.orders.aggregate([{"$unionWith": {"coll": "visible", "pipeline": [{"$project": {"price": 1}}]}}]))
    assert {"_id": "a", "price": 3} in union
    assert len(union) == 3
    graph = list(db.orders.aggregate([
        {"$match": {"_id": 1}},
        {"$graphLookup": {"from": "visible", "startWith": "$item", "connectFromField": "next",
                          "connectToField": "_id", "as": "chain"}}]))
    assert [d["_id"] for d in graph[0]["chain"]] == ["a"]


def test_reading_a_view_of_another_collation_from_a_pipeline_fails_with_167(db):
    db.orders.insert_one({"_id": 1, "item": "A"})
    db.items.insert_one({"_id": "a", "price": 3})
    db.command("create", "ci_items", viewOn="items", collation={"locale": "en", "strength": 2})
    lookup = {"$lookup": {"from": "ci_items", "localField": "item", "foreignField": "_id", "as": "found"}}
    graph = {"$graphLookup": {"from": "ci_items", "startWith": "$item", "connectFromField": "x",
                              "connectToField": "_id", "as": "chain"}}
    for stage in (lookup, graph, {"$unionWith": "ci_items"}):
        with pytest.raises(OperationFailure) as failure:
            list(db.orders.aggregate([stage]))
        assert failure.value.code == 167, stage
    # Under the view's collation the join works, and compares case-insensitively.
    joined = list(db.orders.aggregate([lookup], collation=CASE_INSENSITIVE))
    assert joined[0]["found"] == [{"_id": "a", "price": 3}]
    assert len(list(db.orders.aggregate([{"$unionWith": "ci_items"}], collation=CASE_INSENSITIVE))) == 2
