# What shells and drivers expect of a MongoDB 8.0 one-member replica set: wire version 25,
# buildInfo 8.0, FCV 8.0 and setFeatureCompatibilityVersion, replSetGetConfig, w > 1 answered
# with a writeConcernError on an applied write, and find's returnKey / showRecordId / min / max.

import pytest
from pymongo import ASCENDING
from pymongo.errors import OperationFailure, WriteConcernError
from pymongo.write_concern import WriteConcern


def test_hello_reports_wire_version_25(client):
    reply = client.admin.command("hello")
    assert reply["maxWireVersion"] == 25
    assert client.admin.command("isMaster")["maxWireVersion"] == 25


def test_build_info_is_8_0(client):
    reply = client.admin.command("buildInfo")
    assert reply["version"].startswith("8.0.")
    assert reply["versionArray"][:2] == [8, 0]
    assert client.server_info()["versionArray"][0] == 8


def test_feature_compatibility_version_is_8_0_and_only_8_0_is_accepted(client):
    reply = client.admin.command({"getParameter": 1, "featureCompatibilityVersion": 1})
    assert reply["featureCompatibilityVersion"] == {"version": "8.0"}
    client.admin.command({"setFeatureCompatibilityVersion": "8.0", "confirm": True})
    with pytest.raises(OperationFailure) as raised:
        client.admin.command({"setFeatureCompatibilityVersion": "8.0"})
    assert raised.value.code == 7369100
    with pytest.raises(OperationFailure) as raised:
        client.admin.command({"setFeatureCompatibilityVersion": "7.0", "confirm": True})
    assert raised.value.code == 2
    with pytest.raises(OperationFailure) as raised:
        client.test.command({"setFeatureCompatibilityVersion": "8.0", "confirm": True})
    assert raised.value.code == 13


def test_repl_set_get_config_is_the_one_member_set_hello_reports(client, server):
    hello = client.admin.command("hello")
    config = client.admin.command("replSetGetConfig")["config"]
    assert config["_id"] == hello["setName"]
    assert [member["_id"] for member in config["members"]] == [0]
    assert config["members"][0]["host"] in hello["hosts"]
    assert config["version"] >= 1 and config["term"] >= 1
    with pytest.raises(OperationFailure) as raised:
        client.test.command("replSetGetConfig")
    assert raised.value.code == 13


def test_w_2_applies_the_write_and_reports_unsatisfiable_write_concern(coll):
    reply = coll.database.command({"insert": coll.name, "documents": [{"_id": 1}], "writeConcern": {"w": 2}})
    assert reply["ok"] == 1 and reply["n"] == 1
    assert reply["writeConcernError"]["code"] == 100
    assert reply["writeConcernError"]["codeName"] == "UnsatisfiableWriteConcern"
    assert coll.count_documents({}) == 1
    with pytest.raises(WriteConcernError) as raised:
        coll.with_options(write_concern=WriteConcern(w=3)).insert_one({"_id": 2})
    assert raised.value.code == 100
    assert coll.count_documents({}) == 2


def test_a_tag_write_concern_reports_unknown_repl_write_concern(coll):
    reply = coll.database.command({"update": coll.name, "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 1}}, "upsert": True}],
                                   "writeConcern": {"w": "dc-east"}})
    assert reply["ok"] == 1 and reply["n"] == 1
    assert reply["writeConcernError"]["code"] == 79
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1}


def test_w_1_and_majority_have_no_write_concern_error(coll):
    for concern in ({"w": 1}, {"w": "majority"}, {"w": 1, "j": True}):
        reply = coll.database.command({"insert": coll.name, "documents": [{}], "writeConcern": concern})
        assert "writeConcernError" not in reply


def test_return_key_returns_the_index_key_of_each_match(coll):
    coll.create_index([("a", ASCENDING), ("b.c", ASCENDING)])
    coll.insert_many([{"_id": i, "a": i, "b": {"c": -i}, "x": "big"} for i in range(3)])
    keys = list(coll.find({"a": {"$gte": 1}}, return_key=True).sort("a", 1))
    assert keys == [{"a": 1, "b.c": -1}, {"a": 2, "b.c": -2}]
    # A collection scan has no index key: empty documents, one per match.
    assert list(coll.find({"x": "big"}, return_key=True)) == [{}, {}, {}]


def test_show_record_id_is_refused_and_min_max_need_a_hint(coll):
    coll.insert_one({"a": 1})
    coll.create_index("a")
    with pytest.raises(OperationFailure) as raised:
        list(coll.find({}, show_record_id=True))
    assert raised.value.code == 115
    with pytest.raises(OperationFailure) as raised:  # pymongo insists on a hint; send the command
        coll.database.command({"find": coll.name, "min": {"a": 0}})
    assert raised.value.code == 51173
    # With the hint, min/max bound the index (test_pymongo_suite_gaps.py has the cases).
    assert [doc["a"] for doc in coll.find({}, max={"a": 5}, hint=[("a", 1)])] == [1]


def _document_of_size(size, _id):
    """A document {_id, s: "x…"} whose BSON encoding is exactly `size` bytes."""
    import bson
    base = len(bson.encode({"_id": _id, "s": ""}))
    document = {"_id": _id, "s": "x" * (size - base)}
    assert len(bson.encode(document)) == size
    return document


def test_a_document_of_exactly_16_mib_is_stored_and_one_byte_more_is_refused(coll):
    limit = 16 * 1024 * 1024
    coll.insert_one(_document_of_size(limit, 1))
    assert len(coll.find_one({"_id": 1})["s"]) > limit - 100
    # Sent raw (pymongo would refuse it itself): the server answers, the connection stays.
    reply = coll.database.command({"insert": coll.name, "documents": [_document_of_size(limit + 1, 2)]},
                                  check=False)
    codes = [error["code"] for error in reply.get("writeErrors", [])] or [reply.get("code")]
    assert codes[0] in (2, 10334)
    assert coll.count_documents({}) == 1
    assert coll.database.command("ping")["ok"] == 1


def test_a_command_body_of_16_mib_plus_overhead_is_accepted(coll):
    # The 16 MiB document inside the command document itself (no document sequence): the
    # command is larger than 16 MiB, within the 16 KiB allowance mongod gives commands.
    limit = 16 * 1024 * 1024
    reply = coll.database.command({"insert": coll.name, "documents": [_document_of_size(limit, 3)]})
    assert reply["ok"] == 1 and reply["n"] == 1
    assert coll.count_documents({"_id": 3}) == 1


def test_an_update_growing_a_document_past_16_mib_is_refused_and_changes_nothing(coll):
    # pymongo's test_collection.py::test_write_large_document and test_bulk.py's large
    # upserts: mongod refuses what an update or an upsert would make larger than 16 MiB.
    limit = 16 * 1024 * 1024
    coll.insert_one({"_id": 1, "a": "x" * (limit // 2)})
    with pytest.raises(OperationFailure) as raised:
        coll.update_one({"_id": 1}, {"$set": {"b": "y" * (limit // 2)}})
    assert raised.value.code == 10334
    assert "b" not in coll.find_one({"_id": 1})
    with pytest.raises(OperationFailure) as raised:
        coll.find_one_and_update({"_id": 1}, {"$set": {"b": "y" * (limit // 2)}})
    assert raised.value.code == 10334
    with pytest.raises(OperationFailure) as raised:
        coll.update_one({"_id": 2}, {"$set": {"b": "y" * limit}}, upsert=True)
    assert raised.value.code == 17420
    assert coll.count_documents({}) == 1


def test_a_replacement_of_exactly_16_mib_with_its_id_is_stored_one_byte_more_is_refused(coll):
    # The replacement's update statement is larger than 16 MiB: it arrives in an OP_MSG
    # document sequence, which gets the command's 16 KiB allowance as in mongod.
    limit = 16 * 1024 * 1024
    coll.insert_one({"_id": 1})
    exact = _document_of_size(limit, 1)
    del exact["_id"]
    coll.replace_one({"_id": 1}, exact)
    assert len(coll.find_one({"_id": 1})["s"]) == len(exact["s"])
    exact["s"] += "x"
    with pytest.raises(OperationFailure) as raised:
        coll.replace_one({"_id": 1}, exact)
    assert raised.value.code == 10334
    with pytest.raises(OperationFailure) as raised:
        coll.replace_one({"_id": 2}, exact, upsert=True)
    assert raised.value.code == 17420
    assert coll.count_documents({}) == 1


def test_an_oversized_document_in_a_document_sequence_is_a_write_error_at_its_index(coll):
    from pymongo import InsertOne
    from pymongo.errors import BulkWriteError
    limit = 16 * 1024 * 1024
    with pytest.raises(BulkWriteError) as raised:
        coll.bulk_write([InsertOne({"_id": 1}), InsertOne(_document_of_size(limit + 32, 2)),
                         InsertOne({"_id": 3})])
    details = raised.value.details
    assert [(error["index"], error["code"]) for error in details["writeErrors"]] == [(1, 2)]
    assert details["nInserted"] == 1
    assert coll.database.command("ping")["ok"] == 1
