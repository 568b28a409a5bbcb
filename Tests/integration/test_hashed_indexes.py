# Hashed indexes through pymongo against a real `tessera serve`: `{a: "hashed"}` and compound
# hashed indexes used for equality and `$in` (IXSCAN in explain, bounds at the values'
# hashes), never for ranges or sort; results equal to a collection scan; MongoDB's errors
# for arrays (16766), unique (16764) and two hashed fields (31303). Expected hashes are
# computed here independently with hashlib, by MongoDB's documented algorithm, and that
# implementation is itself checked against vectors from MongoDB's hasher_test.cpp.

from __future__ import annotations

import hashlib
import struct

import pytest
from bson import Int64
from pymongo import ASCENDING, HASHED
from pymongo.errors import OperationFailure, WriteError


def mongo_hash(value) -> int:
    """MongoDB's hash64 (seed 0) of an int or str: MD5 over seed, canonical type, value."""
    data = struct.pack("<i", 0)
    if isinstance(value, (int, float)):
        data += struct.pack("<i", 10) + struct.pack("<q", int(value))
    elif isinstance(value, str):
        raw = value.encode()
        data += struct.pack("<i", 15) + struct.pack("<i", len(raw) + 1) + raw + b"\0"
    elif value is None:
        data += struct.pack("<i", 5)
    else:
        raise TypeError(value)
    return struct.unpack("<q", hashlib.md5(data).digest()[:8])[0]


def test_reference_hash_matches_mongodb_vectors():
    # mongodb/mongo src/mongo/db/hasher_test.cpp.
    assert mongo_hash(42) == -944302157085130861
    assert mongo_hash(-1) == 1140205862565771219
    assert mongo_hash("abc") == 8478485326885698097
    assert mongo_hash(None) == 2338878944348059895


def plan_stages(explain: dict) -> list[dict]:
    stages = []
    stage = explain["queryPlanner"]["winningPlan"]
    while stage:
        stages.append(stage)
        stage = stage.get("inputStage")
    return stages


def ixscan(explain: dict) -> dict | None:
    return next((stage for stage in plan_stages(explain) if stage["stage"] == "IXSCAN"), None)


def point(value) -> str:
    return f"[{value}, {value}]"


def ids(cursor) -> list:
    return sorted(document["_id"] for document in cursor)


def scanned(coll, query) -> list:
    return ids(coll.find(query, hint=[("$natural", 1)]))


@pytest.fixture
def players(coll):
    documents = []
    for number in range(300):
        value = [number % 40, float(number % 40), Int64(number % 40), f"club-{number % 25}", number % 40 + 0.5][(number // 40) % 5]
        documents.append({"_id": number, "a": value, "level": number % 7})
    documents += [{"_id": "missing", "level": 1}, {"_id": "null", "a": None, "level": 2}]
    coll.insert_many(documents)
    return coll


def test_equality_uses_the_hashed_index_with_the_value_hash_as_bounds(players):
    players.create_index([("a", HASHED)])
    assert players.index_information()["a_hashed"]["key"] == [("a", "hashed")]
    for value in (7, 7.5, "club-3", 39):
        query = {"a": value}
        explain = players.find(query).explain()
        scan = ixscan(explain)
        assert scan is not None, plan_stages(explain)
        assert scan["keyPattern"] == {"a": "hashed"}
        assert scan["indexBounds"] == {"a": [point(mongo_hash(value))]}
        found = ids(players.find(query))
        assert found == scanned(players, query)
        assert found, value
    # 7, 7.0 and NumberLong(7) are one value; 7.5 hashes alike but the filter re-check drops it.
    sevens = list(players.find({"a": 7}))
    assert {type(document["a"]) for document in sevens} == {int, float, Int64}
    assert all(document["a"] == 7 for document in sevens)


def test_null_finds_missing_and_null_through_the_index(players):
    players.create_index([("a", HASHED)])
    scan = ixscan(players.find({"a": None}).explain())
    assert scan is not None and scan["indexBounds"] == {"a": [point(mongo_hash(None))]}
    assert ids(players.find({"a": None})) == sorted(["missing", "null"]) == scanned(players, {"a": None})


def test_in_scans_each_hash_in_index_order(players):
    players.create_index([("a", HASHED)])
    values = [3, "club-10", 17, "nobody"]
    query = {"a": {"$in": values}}
    scan = ixscan(players.find(query).explain())
    assert scan is not None
    assert scan["indexBounds"] == {"a": [point(h) for h in sorted(mongo_hash(v) for v in values)]}
    assert ids(players.find(query)) == scanned(players, query)


def test_ranges_and_sorts_do_not_use_the_hashed_index(players):
    players.create_index([("a", HASHED)])
    for query in ({"a": {"$gt": 5}}, {"a": {"$lte": "club-5"}}, {"a": {"$regex": "^club"}}):
        assert ixscan(players.find(query).explain()) is None, query
        assert ids(players.find(query)) == scanned(players, query)
    sort_explain = players.find({}, sort=[("a", ASCENDING)]).explain()
    assert ixscan(sort_explain) is None
    numbers = [d["a"] for d in players.find({"a": {"$type": "number"}}, sort=[("a", ASCENDING)])]
    assert numbers == sorted(numbers)


def test_arrays_are_refused_on_insert_and_on_build(coll):
    coll.create_index([("a.b", HASHED)])
    with pytest.raises(WriteError) as error:
        coll.insert_one({"_id": 1, "a": {"b": [1, 2]}})
    assert error.value.code == 16766
    with pytest.raises(WriteError) as along:
        coll.insert_one({"_id": 2, "a": [{"b": 1}]})
    assert along.value.code == 16766
    assert coll.count_documents({}) == 0
    # An array inside the hashed value is part of the value, not an array on the path.
    coll.insert_one({"_id": 3, "a": {"b": {"c": [1]}}})
    assert ids(coll.find({"a.b": {"c": [1]}})) == [3]
    assert ixscan(coll.find({"a.b": {"c": [1]}}).explain()) is not None


def test_building_over_an_array_fails_and_leaves_no_index(coll):
    coll.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": [1, 2]}])
    with pytest.raises(OperationFailure) as error:
        coll.create_index([("a", HASHED)])
    assert error.value.code == 16766
    assert "a_hashed" not in coll.index_information()


def test_unique_and_two_hashed_fields_are_refused(coll):
    with pytest.raises(OperationFailure) as unique:
        coll.create_index([("a", HASHED)], unique=True)
    assert unique.value.code == 16764
    with pytest.raises(OperationFailure) as two:
        coll.create_index([("a", HASHED), ("b", HASHED)])
    assert two.value.code == 31303
    assert set(coll.index_information()) <= {"_id_"}


def test_compound_hashed_index_bounds_every_field(players):
    players.create_index([("level", ASCENDING), ("a", HASHED)])
    query = {"level": 3, "a": {"$in": [10, "club-12"]}}
    scan = ixscan(players.find(query).explain())
    assert scan is not None
    assert scan["keyPattern"] == {"level": 1, "a": "hashed"}
    assert scan["indexBounds"]["level"] == ["[3, 3]"]
    assert scan["indexBounds"]["a"] == [point(h) for h in sorted(mongo_hash(v) for v in (10, "club-12"))]
    assert ids(players.find(query)) == scanned(players, query)
    # The equality prefix alone still uses it; the hashed field then spans every hash.
    prefix = ixscan(players.find({"level": 4}).explain())
    assert prefix is not None and prefix["indexBounds"]["a"] == ["[MinKey, MaxKey]"]
    assert ids(players.find({"level": 4})) == scanned(players, {"level": 4})
    # Arrays are refused on every field of a hashed index, hashed or not.
    with pytest.raises(WriteError) as error:
        players.insert_one({"_id": "arr", "level": [1, 2], "a": 1})
    assert error.value.code == 16766


def test_hashed_id_index(coll):
    coll.create_index([("_id", HASHED)])
    coll.insert_many([{"_id": n} for n in range(20)])
    assert coll.index_information()["_id_hashed"]["key"] == [("_id", "hashed")]
    explain = coll.find({"_id": {"$in": [3, 4]}}, hint=[("_id", HASHED)]).explain()
    scan = ixscan(explain)
    assert scan is not None and scan["indexName"] == "_id_hashed"
    assert ids(coll.find({"_id": {"$in": [3, 4]}}, hint=[("_id", HASHED)])) == [3, 4]
