# Compound wildcard indexes (MongoDB 7.0+/8.0) through pymongo against a real `tessera serve`:
# `{r: 1, "w.$**": 1}`, `{"w.$**": 1, s: -1}`, `{r: 1, "$**": -1, s: 1}` with a projection
# excluding the regular fields. mongod 8.0's creation rules and codes (724620x, 67); explain's
# expanded keyPattern with `$_path`; queries on the regular prefix alone; every query's result
# equal to a collection scan over a seeded dataset before and after updates and deletes, the
# index used a minimum number of times; writes putting an array in a regular field refused
# (7246301); index builds over existing documents and in transactions; min/max refused on
# wildcard indexes (51174), as mongod does; `$exists: true` on a wildcard path scanned
# around the regular prefix.

from __future__ import annotations

import random

import pytest
from bson import Int64
from pymongo.errors import OperationFailure, WriteError

from test_hashed_indexes import ixscan
from test_hashed_indexes import plan_stages as stages
from test_wildcard_index import check_against_scan, nested_value, random_predicate


def ids(cursor) -> list:
    return sorted((document["_id"] for document in cursor), key=repr)


def natural(coll, query) -> list:
    return ids(coll.find(query).hint([("$natural", 1)]))


REGULAR = [0, 1, 2, 3, 2.5, Int64(4), "x", "y", True, None]
LEAVES = [0, 1, 2, 5, -3, 2.5, "a", "b", "", True, None]


def dataset(seed: int, count: int) -> list[dict]:
    """Scalar (or missing) regular fields `r` and `s`; a varied subtree under `w`; other paths."""
    rng = random.Random(seed)
    documents = []
    for number in range(count):
        document = {"_id": number}
        for name in ("r", "s"):
            if rng.random() < 0.85:
                document[name] = rng.choice(REGULAR)
        if rng.random() < 0.8:
            document["w"] = nested_value(rng, LEAVES, ["x", "y", "z"], (0.25, 0.4))
        if rng.random() < 0.5:
            document["o"] = {"p": rng.choice(LEAVES)}
        documents.append(document)
    return documents


def random_queries(seed: int, count: int) -> list[dict]:
    """A predicate on `r`, `s` or both, and often one on a path below `w` or `o`."""
    rng = random.Random(seed)
    paths = ["w", "w.x", "w.y", "w.z", "w.x.y", "w.y.z", "o.p"]

    def predicate(values):
        return random_predicate(rng, values, ["eq", "eq", "$gt", "$gte", "$lt", "$lte", "$in", "range"], ("$gte", "$lt"))

    queries = []
    for _ in range(count):
        query = {}
        for name in rng.sample(["r", "s"], rng.choice([1, 1, 2])):
            query[name] = predicate(REGULAR)
        if rng.random() < 0.7:
            query[rng.choice(paths)] = predicate(LEAVES)
        queries.append(query)
    return queries


FIXED_QUERIES = [
    {"r": 1}, {"r": {"$gt": 1}}, {"r": None}, {"r": {"$exists": False}}, {"r": {"$ne": 1}},
    {"r": 1, "w.x": 1}, {"r": {"$in": [0, "x"]}, "w.y": {"$gte": 1}}, {"r": 2, "w": 5},
    {"w.x": 1}, {"s": 2}, {"s": 2, "w.x": {"$lt": 3}}, {"r": 1, "s": {"$lte": 2}, "w.z": "a"},
    {"r": 1, "w.x": None}, {"r": 1, "w": {"x": 1}}, {"$or": [{"r": 1}, {"s": 2}]},
]

PATTERNS = [
    ([("r", 1), ("w.$**", 1)], {}),
    ([("w.$**", 1), ("s", -1)], {}),
    ([("r", 1), ("$**", -1), ("s", 1)], {"wildcardProjection": {"r": 0, "s": 0}}),
    ([("r", -1), ("$**", 1)], {"wildcardProjection": {"w": 1, "o": 1}}),
]


@pytest.mark.parametrize("pattern, options", PATTERNS)
def test_results_equal_a_collection_scan(coll, pattern, options):
    coll.insert_many(dataset(len(pattern) * 31 + len(options), 400))
    coll.create_index(pattern, name="cw", **options)
    used = 0
    queries = FIXED_QUERIES + random_queries(len(pattern) + 7 * len(options), 150)

    def check_all():
        nonlocal used
        used += check_against_scan(coll, queries, ["cw", pattern])

    check_all()
    # Writes keep the keys: regular fields changed, set, unset; paths added and removed;
    # documents deleted.
    coll.update_many({"r": {"$type": "number"}}, {"$inc": {"r": 1}})
    coll.update_many({"_id": {"$mod": [7, 0]}}, {"$set": {"w": {"x": 1, "y": [5, {"z": 2}]}, "s": 3}})
    coll.update_many({"_id": {"$mod": [5, 0]}}, {"$unset": {"r": "", "w": ""}})
    coll.update_many({"_id": {"$mod": [3, 0]}}, {"$set": {"r": "y"}, "$unset": {"s": ""}})
    coll.delete_many({"_id": {"$mod": [4, 1]}})
    check_all()
    # Every pattern has its leading field bound in most queries: the index answers them.
    assert used >= 120, used
    validated = coll.database.command("validate", coll.name)
    assert validated["valid"], validated


@pytest.mark.parametrize("pattern, options", PATTERNS)
def test_exists_true_on_a_wildcard_path_equals_a_collection_scan(coll, pattern, options):
    coll.insert_many(dataset(len(pattern) * 17 + len(options), 400))
    coll.create_index(pattern, name="cw", **options)
    rng = random.Random(len(pattern) * 5 + len(options))
    paths = ["w", "w.x", "w.y", "w.z", "w.x.y", "o", "o.p"]
    queries = []
    for base in random_queries(len(pattern) + 3, 120):
        query = {name: value for name, value in base.items() if name in ("r", "s")}
        query[rng.choice(paths)] = {"$exists": True}
        queries.append(query)
    used = check_against_scan(coll, queries, ["cw", pattern])
    assert used >= 40, used
    # The regular prefix's bounds, then the path and every path below it.
    leading = pattern[0][0]
    if leading != "w.$**" and leading != "$**":
        scan = ixscan(coll.find({leading: 1, "w.x": {"$exists": True}}).explain())
        assert scan["indexName"] == "cw"
        assert scan["indexBounds"][leading] == ["[1, 1]"]
        assert scan["indexBounds"]["$_path"] == ['["w.x", "w.x"]', '["w.x.", "w.x/")']
        descending = ("$**", -1) in pattern
        assert scan["indexBounds"]["w.x"] == ["[MaxKey, MinKey]" if descending else "[MinKey, MaxKey]"]


@pytest.mark.parametrize("key, options, code", [
    ({"a.b.c": 1, "a.b.$**": 1}, {}, 7246204),
    ({"a.$**": 1, "b.$**": 1, "c": 1}, {}, 7246201),
    ({"$**": 1, "c": 1}, {"wildcardProjection": {"a.b": 1, "a.b.c": 1}}, 7246200),
    ({"a": 1, "$**": 1, "b": 1}, {"wildcardProjection": {"a": 1, "b": 1}}, 7246208),
    ({"_id": 1, "$**": 1}, {"wildcardProjection": {"_id": 1, "a": 1}}, 7246208),
    ({"$**": 1, "c": 1}, {"wildcardProjection": {"_id": 1, "a": 0, "b": 1}}, 7246211),
    ({"a": 1, "b": 1, "$**": 1}, {"wildcardProjection": {"b": 0}}, 7246209),
    ({"$**": 1, "e": 1}, {"wildcardProjection": {"_id": 1, "e.b": 0}}, 7246209),
    ({"b": 1, "$**": 1}, {"wildcardProjection": {"_id": 0, "a": 0}}, 7246210),
    ({"$**": 1, "e.c": 1}, {"wildcardProjection": {"_id": 1, "e.b": 0}}, 7246210),
    ({"st": 1, "$**": 1}, {"wildcardProjection": {"a": "something"}}, 51271),
    ({"a": 1, "$**": 1}, {"wildcardProjection": {}}, 9),
    ({"a": 1, "b": 1}, {"wildcardProjection": {"c": 1}}, 2),
    ({"a.$**": 1, "b": 1}, {"wildcardProjection": {"a": 1}}, 9),
    ({"a.$**": 1, "b": "text"}, {}, 67),
    ({"a.$**": 1, "b": "hashed"}, {}, 67),
    ({"a.$**": 1, "b": "2dsphere"}, {}, 67),
    ({"a.$**": 1, "b": 1}, {"unique": True}, 67),
    ({"a.$**": 1, "b": 1}, {"sparse": True}, 67),
    ({"a.$**": 1, "b": 1}, {"expireAfterSeconds": 60}, 67),
    ({"a.$**": 1, "b": 0}, {}, 67),
    ({"a.$**": 1, "b": float("nan")}, {}, 67),
])
def test_creation_errors(db, key, options, code):
    with pytest.raises(OperationFailure) as raised:
        db.command("createIndexes", "v", indexes=[{"key": key, "name": "w", **options}])
    assert raised.value.code == code, raised.value.details
    assert "w" not in {spec["name"] for spec in db["v"].list_indexes()}


def test_accepted_patterns_are_listed_as_given(coll):
    accepted = [
        ({"a": 1, "b.$**": 1}, {}), ({"a.$**": 1, "b": 1}, {}), ({"a": 1, "b.$**": -1, "c": 1}, {}),
        ({"$**": 1, "other": 1}, {"wildcardProjection": {"_id": 0, "a": 1}}),
        ({"$**": 1, "another": 1}, {"wildcardProjection": {"_id": 1, "a": 0, "another": 0}}),
        ({"$**": 1, "yetAnother": 1}, {"wildcardProjection": {"_id": 1}}),
        ({"$**": 1, "d": 1}, {"wildcardProjection": {"a": {"b": 1, "c": 1}}}),
        ({"_id": 1, "$**": 1}, {"wildcardProjection": {"_id": 0}}),
        ({"_id": 1, "a.b": 1, "$**": 1}, {"wildcardProjection": {"_id": 0, "a": 0}}),
    ]
    for number, (key, options) in enumerate(accepted):
        coll.database.command("createIndexes", coll.name, indexes=[{"key": key, "name": f"i{number}", **options}])
    listed = {spec["name"]: spec for spec in coll.list_indexes()}
    for number, (key, options) in enumerate(accepted):
        assert dict(listed[f"i{number}"]["key"]) == key
        assert listed[f"i{number}"].get("wildcardProjection") == options.get("wildcardProjection")


def test_explain_shows_the_expanded_key_pattern(coll):
    coll.insert_many([{"_id": 1, "r": 1, "w": {"x": 5}}, {"_id": 2, "r": 1, "w": {"x": 9}},
                      {"_id": 3, "r": 2, "w": {"y": [1, 2]}}, {"_id": 4, "r": 1}, {"_id": 5, "w": {"x": 9}}])
    coll.create_index([("r", 1), ("w.$**", 1), ("s", -1)], name="cw")
    scan = ixscan(coll.find({"r": 1, "w.x": {"$gt": 6}}).explain())
    assert scan["indexName"] == "cw"
    assert list(scan["keyPattern"].items()) == [("r", 1), ("$_path", 1), ("w.x", 1), ("s", -1)]
    assert scan["indexBounds"]["r"] == ["[1, 1]"]
    assert scan["indexBounds"]["$_path"] == ['["w.x", "w.x"]']
    assert scan["indexBounds"]["w.x"][0].startswith("(6, ")
    assert scan["indexBounds"]["s"] == ["[MaxKey, MinKey]"]
    assert scan["isMultiKey"] is False
    assert ids(coll.find({"r": 1, "w.x": {"$gt": 6}})) == [2]
    # The regular prefix alone: every path, and the keys of documents without one (_id 4).
    prefix = ixscan(coll.find({"r": 1}).explain())
    assert list(prefix["keyPattern"].items()) == [("r", 1), ("$_path", 1), ("w.$**", 1), ("s", -1)]
    assert prefix["indexBounds"]["$_path"] == ["[MinKey, MaxKey]"]
    assert ids(coll.find({"r": 1})) == [1, 2, 4]
    # A multikey path shows as one.
    multikey = ixscan(coll.find({"r": 2, "w.y": 2}).explain())
    assert multikey["isMultiKey"] is True
    assert multikey["multiKeyPaths"]["w.y"] == ["w.y"]
    assert ids(coll.find({"r": 2, "w.y": 2})) == [3]
    # Without the leading field, or where missing matches, the index cannot answer.
    assert ixscan(coll.find({"w.x": 9}).explain()) is None
    assert ixscan(coll.find({"r": None}).explain()) is None
    assert ids(coll.find({"r": None})) == [5]
    # Sort by the prefix from the index; by the path only where it is bound.
    assert not any(stage["stage"] == "SORT" for stage in stages(coll.find({"r": {"$gte": 1}}).sort("r", -1).explain()))
    assert any(stage["stage"] == "SORT" for stage in stages(coll.find({"r": {"$gte": 1}}).sort("w.x", 1).explain()))
    assert [d["_id"] for d in coll.find({"r": {"$gte": 1}}).sort([("r", -1), ("_id", 1)])] == [3, 1, 2, 4]


def test_arrays_in_regular_fields_are_refused(coll, client, db):
    coll.create_index([("r", 1), ("w.$**", 1)], name="cw")
    coll.insert_one({"_id": 1, "r": 1, "w": [1, 2]})  # the wildcard part may be an array
    for document in [{"_id": 2, "r": [1, 2]}, {"_id": 3, "r": []}]:
        with pytest.raises(WriteError) as raised:
            coll.insert_one(document)
        assert raised.value.code == 7246301
    with pytest.raises(WriteError) as raised:
        coll.update_one({"_id": 1}, {"$set": {"r": [3]}})
    assert raised.value.code == 7246301
    assert ids(coll.find()) == [1]
    assert coll.find_one({"_id": 1})["r"] == 1
    # An index build over a document with such an array fails and leaves no index.
    other = db["o"]
    other.insert_many([{"_id": 1, "a": {"b": [1]}, "c": 1}, {"_id": 2, "a": {"b": 2}, "c": [1]}])
    with pytest.raises(OperationFailure) as failed:
        other.create_index([("c", 1), ("a.$**", 1)], name="cw")
    assert failed.value.code == 7246301
    assert failed.value.details["codeName"] == "Location7246301"
    assert "cw" not in {spec["name"] for spec in other.list_indexes()}


def test_index_built_over_existing_documents_and_in_transactions(client, db):
    coll = db["t"]
    coll.insert_many(dataset(5, 150))
    coll.create_index([("r", 1), ("w.$**", 1)], name="cw")
    with client.start_session() as session:
        with session.start_transaction():
            coll.insert_one({"_id": "tx", "r": 77, "w": {"x": 424242}}, session=session)
            coll.update_one({"_id": 3}, {"$set": {"r": 77, "w": {"y": [424242]}}}, session=session)
            assert ids(coll.find({"r": 77, "w.x": 424242}, session=session)) == ["tx"]
            assert ids(coll.find({"r": 77, "w.y": 424242}, session=session)) == [3]
            assert ids(coll.find({"r": 77}, session=session)) == sorted([3, "tx"], key=repr)
    assert ids(coll.find({"r": 77})) == sorted([3, "tx"], key=repr)
    assert ixscan(coll.find({"r": 77, "w.x": 424242}).explain())["indexName"] == "cw"
    for query in FIXED_QUERIES + random_queries(3, 40):
        assert ids(coll.find(query)) == natural(coll, query), query


@pytest.mark.parametrize("pattern, options", [
    ({"$**": 1}, {}),
    ({"a": 1, "$**": -1}, {"wildcardProjection": {"a": 0}}),
    ({"$**": 1, "other": 1}, {"wildcardProjection": {"other": 0}}),
])
def test_min_and_max_are_refused_on_wildcard_indexes(coll, pattern, options):
    coll.insert_many([{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 2, "b": 1}, {"a": 2, "b": 2}])
    coll.create_index([("a", 1)])
    coll.database.command("createIndexes", coll.name, indexes=[{"key": pattern, "name": "wild", **options}])
    db = coll.database
    for extra in [{"min": {"a": 0.5}}, {"max": {"a": 1.5}}, {"min": {"a": 0.5}, "max": {"a": 1.5}},
                  {"filter": {"a": 1}, "min": {"a": 1}}, {"min": dict(pattern)}, {"max": dict(pattern)}]:
        for hint in [pattern, "wild"]:
            with pytest.raises(OperationFailure) as raised:
                db.command("find", coll.name, hint=hint, **extra)
            assert raised.value.code == 51174, (extra, hint)
    # The wildcard index does not disturb min/max on another index.
    found = db.command("find", coll.name, min={"a": 0.5}, max={"a": 1.5}, hint={"a": 1}, projection={"_id": 0})
    assert sorted(found["cursor"]["firstBatch"], key=repr) == [{"a": 1, "b": 1}, {"a": 1, "b": 2}]
