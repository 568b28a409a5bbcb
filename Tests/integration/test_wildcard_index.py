# Wildcard indexes through pymongo against a real `tessera serve`: `{"$**": 1}`,
# `{"path.$**": 1}` and `wildcardProjection` created and listed as given; MongoDB 8.0's
# validation codes; the planner scanning one path's keys for equalities and ranges (IXSCAN,
# keyPattern {"$_path": 1, <path>: 1}, bounds on the path and its values), hint by name,
# sort only where MongoDB allows it; every query's result equal to a collection scan over a
# varied dataset (nested documents, arrays, nested arrays, mixed types, missing, null) before
# and after updates and deletes; and a dump/load round trip keeping the spec. Also: the index
# version `v` checked over the wire (wildcard needs 2; 0/3 refused, v: 1 listed as 1),
# explain's isMultiKey/multiKeyPaths for the scanned path, and validate finding wildcard and
# text indexes consistent, then not after the test-only corruption of their real keys.
# `$exists: true` scans its path and the paths below it (mongod's `$_path` bounds), alone
# or inside an $and; a hinted wildcard index that bounds nothing is NoQueryExecutionPlans;
# one single-key path projected alone (no `_id`) is covered (totalDocsExamined 0).

from __future__ import annotations

import datetime
import random

import pytest
from bson import Decimal128, Int64, ObjectId
from pymongo.errors import OperationFailure

from test_dump_import import cli, uri
from test_hashed_indexes import ixscan
from test_hashed_indexes import plan_stages as stages
from tessera_server import TesseraServer


def ids(cursor) -> list:
    return sorted((document["_id"] for document in cursor), key=repr)


def nested_value(rng: random.Random, leaves: list, names: list[str], odds: tuple[float, float], depth: int = 0):
    """A leaf, or (above depth 2, with the given odds) a document or array of such values."""
    kind = rng.random()
    if depth < 2 and kind < odds[0]:
        return {name: nested_value(rng, leaves, names, odds, depth + 1) for name in rng.sample(names, rng.randint(0, 2))}
    if depth < 2 and kind < odds[1]:
        return [nested_value(rng, leaves, names, odds, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(leaves)


def dataset(seed: int, count: int) -> list[dict]:
    """Documents mixing every shape a wildcard index meets."""
    rng = random.Random(seed)
    scalars = [0, 1, 2, 5, -3, 2.5, Int64(7), Decimal128("4.5"), "a", "b", "zz", "", True, False, None,
               datetime.datetime(2024, 1, 1), datetime.datetime(2025, 6, 1), ObjectId("000000000000000000000001")]

    def value(depth: int):
        return nested_value(rng, scalars, ["b", "c", "d"], (0.2, 0.35), depth)

    documents = []
    for number in range(count):
        document = {"_id": number}
        for name in ("a", "b", "c"):
            if rng.random() < 0.75:
                document[name] = value(0)
        if rng.random() < 0.3:
            document["n"] = {"x": rng.choice(scalars), "y": [rng.choice(scalars), {"z": rng.choice(scalars)}]}
        if rng.random() < 0.1:
            document["a"] = [[rng.choice(scalars), {"b": 1}], {"b": [1, [2]]}]
        documents.append(document)
    return documents


QUERIES = [
    {"a": 1}, {"a": 2.5}, {"a": "a"}, {"a": True}, {"a": {"$gt": 1}}, {"a": {"$gte": 2, "$lt": 6}},
    {"a": {"$lte": "b"}}, {"a": {"$in": [1, "zz", False]}}, {"a.b": 1}, {"a.b": {"$gt": 0}},
    {"a.c": {"$in": [0, 5]}}, {"a.b.c": {"$lt": 3}}, {"b": {"$gte": datetime.datetime(2024, 6, 1)}},
    {"b.d": "a"}, {"c": {"$gt": ""}}, {"n.x": 1}, {"n.y": 5}, {"n.y.z": {"$gte": 0}}, {"n.y": {"$lt": 3}},
    {"a": Int64(7)}, {"a": Decimal128("4.5")}, {"c": ObjectId("000000000000000000000001")},
    {"a": 1, "b": {"$gt": 0}}, {"a": {"$gt": 0}, "c": "b"},
    # Not answerable from a wildcard index: must still equal the scan (collection scan).
    {"a": None}, {"a": {"$exists": False}}, {"a": {"$ne": 1}}, {"a": {"b": 1}}, {"a": []}, {"a.0": 1},
    {"a": [1, {"b": 1}]}, {"$or": [{"a": 1}, {"b": 2}]},
]


def random_queries(seed: int, count: int) -> list[dict]:
    """Equalities, ranges and $in over the dataset's paths and values, one or two paths."""
    rng = random.Random(seed)
    paths = ["a", "a.b", "a.c", "a.d", "a.b.c", "b", "b.b", "b.d", "c", "c.d", "n.x", "n.y", "n.y.z"]
    operands = [0, 1, 2, 2.5, 5, -3, Int64(7), Decimal128("4.5"), "", "a", "b", "zz", True, False,
                datetime.datetime(2024, 6, 1), ObjectId("000000000000000000000001")]

    def predicate():
        return random_predicate(rng, operands, ["eq", "$gt", "$gte", "$lt", "$lte", "$in", "range"], ("$gt", "$lte"))

    return [{path: predicate() for path in rng.sample(paths, rng.choice([1, 1, 2]))} for _ in range(count)]


def random_predicate(rng: random.Random, operands: list, kinds: list[str], bounds: tuple[str, str]):
    """An equality, $in, comparison (never with null) or two-sided numeric range."""
    kind = rng.choice(kinds)
    if kind == "eq":
        return rng.choice(operands)
    if kind == "$in":
        return {"$in": rng.sample(operands, 3)}
    if kind == "range":
        low, high = sorted(rng.sample([0, 1, 2, 2.5, 5, -3], 2))
        return {bounds[0]: low, bounds[1]: high}
    return {kind: rng.choice([operand for operand in operands if operand is not None])}


def check_against_scan(coll, queries: list[dict], hints: list) -> int:
    """Asserts each query returns what a collection scan returns, also under each hint when the
    planner chose the first hint's index; returns how many times it did."""
    used = 0
    for query in queries:
        expected = natural(coll, query)
        assert ids(coll.find(query)) == expected, query
        scan = ixscan(coll.find(query).explain())
        if scan is not None and scan["indexName"] == hints[0]:
            used += 1
            for hint in hints:
                assert ids(coll.find(query).hint(hint)) == expected, query
    return used


def natural(coll, query) -> list:
    return ids(coll.find(query).hint([("$natural", 1)]))


def test_create_list_and_options(coll):
    assert coll.create_index([("$**", 1)]) == "$**_1"
    assert coll.create_index([("a.$**", 1)]) == "a.$**_1"
    coll.create_index([("$**", -1)], name="proj", wildcardProjection={"a": 1, "n.x": 1, "_id": 0})
    coll.create_index([("$**", 1)], name="excl", wildcardProjection={"b": 0},
                      partialFilterExpression={"c": {"$gt": 0}}, collation={"locale": "fr"})
    listed = {spec["name"]: spec for spec in coll.list_indexes()}
    assert listed["$**_1"]["key"] == {"$**": 1}
    assert listed["a.$**_1"]["key"] == {"a.$**": 1}
    assert listed["proj"]["key"] == {"$**": -1}
    assert listed["proj"]["wildcardProjection"] == {"a": 1, "n.x": 1, "_id": 0}
    assert listed["excl"]["wildcardProjection"] == {"b": 0}
    assert listed["excl"]["partialFilterExpression"] == {"c": {"$gt": 0}}
    assert listed["excl"]["collation"]["locale"] == "fr"


@pytest.mark.parametrize("key, options, code", [
    ({"$**": 0}, {}, 67),
    ({"$**": 1}, {"sparse": True}, 67),
    ({"$**": 1}, {"unique": True}, 67),
    ({"$**": 1}, {"expireAfterSeconds": 3600}, 67),
    ({"$**": "hashed"}, {}, 67),
    ({"$**": "2dsphere"}, {}, 67),
    ({"$**": "2d"}, {}, 67),
    ({"a.$**": "text"}, {}, 67),
    ({"a": "wildcard"}, {}, 67),
    ({"$**": "wildcard"}, {}, 67),
    ({"a.$**.$**": 1}, {}, 67),
    ({"$**.$**": 1}, {}, 67),
    ({"$**": "hello"}, {}, 67),
    ({"a.$**": 1, "b.$**": 1}, {}, 7246201),
    # Compound wildcard indexes (mongod 8.0 rules; test_compound_wildcard_index.py has more).
    ({"a": 1, "$**": 1}, {}, 67),  # a compound "$**" must name its paths
    ({"a": 1, "a.$**": 1}, {}, 7246204),
    ({"a": 1, "$**": 1}, {"wildcardProjection": {"a": 1}}, 7246208),
    ({"a": 1, "$**": 1}, {"wildcardProjection": {"_id": 0}}, 7246210),
    ({"$**": 1}, {"wildcardProjection": {"a": 1, "b": 0}}, 31254),
    ({"$**": 1}, {"wildcardProjection": {"a": 0, "b": 1}}, 31253),
    ({"$**": 1}, {"wildcardProjection": {"a": 1, "b": "string"}}, 51271),
    ({"$**": 1}, {"wildcardProjection": {}}, 9),
    ({"a": 1}, {"wildcardProjection": {"a": 1}}, 2),
    ({"$**": "text"}, {"wildcardProjection": {"a": 1}}, 2),
    ({"a.$**": 1}, {"wildcardProjection": "string"}, 14),
    ({"a.$**": 1}, {"wildcardProjection": {"a": 1}}, 9),
    ({"a.$**": 1}, {"wildcardProjection": {"b": 0}}, 9),
])
def test_validation_errors(db, key, options, code):
    with pytest.raises(OperationFailure) as raised:
        db.command("createIndexes", "v", indexes=[{"key": key, "name": "w", **options}])
    assert raised.value.code == code, raised.value.details
    assert "w" not in {spec["name"] for spec in db["v"].list_indexes()}


@pytest.mark.parametrize("version, code", [(0, 67), (1, 67), (3, 67), (1.5, 2), (2 ** 40, 2), ("2", 14)])
def test_wildcard_index_version_other_than_2_is_refused_over_the_wire(db, version, code):
    # createIndexes used to drop `v` before validation, so {v: 1} was accepted.
    with pytest.raises(OperationFailure) as raised:
        db.command("createIndexes", "v", indexes=[{"key": {"$**": 1}, "name": "w", "v": version}])
    assert raised.value.code == code, raised.value.details
    assert "w" not in {spec["name"] for spec in db["v"].list_indexes()}


def test_index_version_of_ordinary_indexes_is_checked_and_listed(db):
    coll = db["ver"]
    db.command("createIndexes", "ver", indexes=[{"key": {"a": 1}, "name": "a1", "v": 1},
                                                {"key": {"b": 1}, "name": "b2", "v": 2.0},
                                                {"key": {"c": 1}, "name": "c", "v": Int64(2)},
                                                {"key": {"$**": 1}, "name": "w2", "v": 2}])
    listed = {spec["name"]: spec for spec in coll.list_indexes()}
    assert [(listed[name]["v"], type(listed[name]["v"])) for name in ("a1", "b2", "c", "w2", "_id_")] == \
        [(1, int), (2, int), (2, int), (2, int), (2, int)]
    assert list(listed["a1"].keys()).count("v") == 1
    coll.insert_many([{"_id": n, "a": n % 3} for n in range(9)])
    assert ixscan(coll.find({"a": 2}).explain())["indexName"] == "a1"
    assert ids(coll.find({"a": 2})) == [2, 5, 8]
    for version, options, code in [(0, {}, 67), (3, {}, 67), (-1, {}, 67), (2.5, {}, 2), (float("nan"), {}, 2),
                                   ("1", {}, 14), (None, {}, 14), (1, {"collation": {"locale": "fr"}}, 67)]:
        with pytest.raises(OperationFailure) as raised:
            db.command("createIndexes", "ver", indexes=[{"key": {"d": 1}, "name": "d", "v": version, **options}])
        assert raised.value.code == code, (version, options, raised.value.details)
    assert "d" not in {spec["name"] for spec in coll.list_indexes()}
    # A collation with v: 2 is fine.
    db.command("createIndexes", "ver", indexes=[{"key": {"d": 1}, "name": "d", "v": 2, "collation": {"locale": "fr"}}])
    assert db.command("validate", "ver")["valid"] is True


def test_explain_shows_the_path_scan(coll):
    coll.insert_many([{"_id": 1, "a": {"b": 5}}, {"_id": 2, "a": {"b": 9}}, {"_id": 3, "c": 5}])
    coll.create_index([("$**", 1)], name="wild")
    explain = coll.find({"a.b": {"$gt": 6}}).explain()
    scan = ixscan(explain)
    assert scan is not None, explain
    assert scan["indexName"] == "wild"
    assert list(scan["keyPattern"].items()) == [("$_path", 1), ("a.b", 1)]
    # The value bounds are those of an ordinary index on the path (type-bracketed).
    coll.create_index([("a.b", 1)], name="plain", hidden=True)
    plain = ixscan(coll.find({"a.b": {"$gt": 6}}).hint("plain").explain())
    assert scan["indexBounds"] == {"$_path": ['["a.b", "a.b"]'], "a.b": plain["indexBounds"]["a.b"]}
    assert plain["indexBounds"]["a.b"][0].startswith("(6, ")
    assert ids(coll.find({"a.b": {"$gt": 6}})) == [2]
    equality = ixscan(coll.find({"c": 5}).explain())
    assert equality["indexBounds"] == {"$_path": ['["c", "c"]'], "c": ["[5, 5]"]}
    assert ids(coll.find({"c": 5})) == [3]
    # hint by name; a query the index cannot answer is a collection scan.
    assert ixscan(coll.find({"c": 5}).hint("wild").explain())["indexName"] == "wild"
    assert ixscan(coll.find({"c": None}).explain()) is None
    assert ixscan(coll.find({"a": {"b": 5}}).explain()) is None


def array_prefixes(documents: list[dict], path: str) -> list[str]:
    """The prefixes of `path` (itself included) that hold an array in some document,
    following arrays of documents as a path does."""
    parts = path.split(".")
    found = set()

    def walk(value, depth):
        if isinstance(value, list):
            if depth > 0:
                found.add(".".join(parts[:depth]))
            for element in value:
                if isinstance(element, dict):
                    walk(element, depth)
            return
        if depth < len(parts) and isinstance(value, dict) and parts[depth] in value:
            walk(value[parts[depth]], depth + 1)

    for document in documents:
        walk(document, 0)
    return [".".join(parts[:depth]) for depth in range(1, len(parts) + 1) if ".".join(parts[:depth]) in found]


def test_explain_multikey_is_that_of_the_scanned_path(coll):
    documents = [{"_id": 1, "a": [{"b": 1}, {"b": 2}]}, {"_id": 2, "a": {"b": 3}, "c": 5},
                 {"_id": 3, "d": {"e": [1, 2]}}, {"_id": 4, "x": [{"y": [7, 8]}], "z": {"w": {"v": 1}}}]
    coll.insert_many(documents)
    coll.create_index([("$**", 1)], name="wild")
    checked = 0
    for query in [{"a.b": 2}, {"c": 5}, {"d.e": {"$gt": 1}}, {"x.y": 7}, {"z.w.v": 1}]:
        path = next(iter(query))
        scan = ixscan(coll.find(query).explain())
        assert scan["indexName"] == "wild", query
        expected = array_prefixes(documents, path)
        assert scan["multiKeyPaths"] == {"$_path": [], path: expected}, query
        assert list(scan["multiKeyPaths"]) == ["$_path", path]
        assert scan["isMultiKey"] is bool(expected), query
        assert ids(coll.find(query)) == natural(coll, query), query
        checked += bool(expected)
    assert checked == 3
    # A path made multikey later is shown so at once; the others are unchanged.
    coll.insert_one({"_id": 5, "c": [5, 6]})
    assert ixscan(coll.find({"c": 5}).explain())["multiKeyPaths"] == {"$_path": [], "c": ["c"]}
    assert ixscan(coll.find({"z.w.v": 1}).explain())["isMultiKey"] is False


def test_a_regular_index_on_the_path_wins(coll):
    coll.insert_many([{"_id": n, "a": n % 5, "b": n} for n in range(50)])
    coll.create_index([("$**", 1)], name="wild")
    coll.create_index([("a", 1)], name="a_1")
    assert ixscan(coll.find({"a": 3}).explain())["indexName"] == "a_1"
    assert ixscan(coll.find({"b": 3}).explain())["indexName"] == "wild"
    # An equality on the wildcard path beats a range on the regular one.
    assert ixscan(coll.find({"a": {"$gt": 1}, "b": 7}).explain())["indexName"] == "wild"


def test_projection_decides_which_paths_are_served(coll):
    coll.insert_many([{"_id": 1, "a": 1, "b": 1, "s": {"t": 1}}, {"_id": 2, "a": 2, "b": 2, "s": {"t": 2}}])
    coll.create_index([("$**", 1)], name="inc", wildcardProjection={"a": 1, "s.t": 1})
    assert ixscan(coll.find({"a": 1}).explain())["indexName"] == "inc"
    assert ixscan(coll.find({"s.t": 2}).explain())["indexName"] == "inc"
    assert ixscan(coll.find({"b": 1}).explain()) is None
    assert ixscan(coll.find({"_id": 1, "b": 1}).explain())["indexName"] == "_id_"
    coll.drop_indexes()
    coll.create_index([("s.$**", 1)], name="sub")
    assert ixscan(coll.find({"s.t": 2}).explain())["indexName"] == "sub"
    assert ixscan(coll.find({"a": 2}).explain()) is None
    assert ids(coll.find({"s.t": 2})) == [2]


def test_sort_only_on_a_bounded_path_that_is_not_multikey(coll):
    coll.insert_many([{"_id": n, "a": (n * 7) % 11, "m": [n, n + 1]} for n in range(20)])
    coll.create_index([("$**", 1)], name="wild")
    explain = coll.find({"a": {"$gte": 3}}).sort("a", -1).explain()
    assert ixscan(explain)["indexName"] == "wild"
    assert ixscan(explain)["direction"] == "backward"
    assert not any(stage["stage"] == "SORT" for stage in stages(explain))
    values = [document["a"] for document in coll.find({"a": {"$gte": 3}}).sort("a", -1)]
    assert values == sorted(values, reverse=True) and len(values) == len([n for n in range(20) if (n * 7) % 11 >= 3])
    # "m" holds arrays: the index cannot give its order.
    multikey = coll.find({"m": {"$gte": 3}}).sort("m", 1).explain()
    assert any(stage["stage"] == "SORT" for stage in stages(multikey))
    assert [d["_id"] for d in coll.find({"m": {"$gte": 3}}).sort("m", 1)] == \
        [d["_id"] for d in coll.find({"m": {"$gte": 3}}).sort("m", 1).hint([("$natural", 1)])]


@pytest.mark.parametrize("projection", [None, {"a": 1, "n": 1}, {"b": 0}])
def test_results_equal_a_collection_scan(coll, projection):
    coll.insert_many(dataset(20261207, 400))
    options = {"wildcardProjection": projection} if projection else {}
    coll.create_index([("$**", 1)], name="wild", **options)
    used = 0

    def check_all():
        nonlocal used
        used += check_against_scan(coll, QUERIES + random_queries(len(projection or {}), 120), ["wild"])

    check_all()
    # Writes keep the keys: updates that add, move and remove paths and arrays; deletes.
    coll.update_many({"a": {"$type": "number"}, "a.0": {"$exists": False}}, {"$inc": {"a": 1}})
    coll.update_many({"_id": {"$mod": [7, 0]}}, {"$set": {"a": {"b": 1, "c": [5, {"d": 2}]}}})
    coll.update_many({"_id": {"$mod": [5, 0]}}, {"$unset": {"b": ""}, "$push": {"n.y": 5}})
    coll.update_many({"_id": {"$mod": [3, 0]}}, {"$set": {"c": [1, {"d": "a"}]}})
    coll.delete_many({"_id": {"$mod": [4, 1]}})
    check_all()
    assert used >= 150
    validated = coll.database.command("validate", coll.name)
    assert validated["valid"], validated


EXISTS_PATHS = ["a", "a.b", "a.c", "a.d", "a.b.c", "b", "b.b", "b.d", "c", "c.d", "n", "n.x", "n.y", "n.y.z"]


def exists_queries(seed: int, count: int) -> list[dict]:
    """`$exists: true` on one path, alone or beside another path's predicate or `$exists`."""
    rng = random.Random(seed)
    operands = [0, 1, 2, 2.5, 5, "a", "zz", True]
    queries = [{path: {"$exists": True}} for path in EXISTS_PATHS]
    for _ in range(count):
        first, second = rng.sample(EXISTS_PATHS, 2)
        kind = rng.random()
        if kind < 0.4:
            queries.append({first: {"$exists": True}, second: {"$exists": True}})
        elif kind < 0.8:
            queries.append({first: {"$exists": True},
                            second: random_predicate(rng, operands, ["eq", "$gt", "$lte", "$in", "range"], ("$gt", "$lte"))})
        else:
            queries.append({"$and": [{first: {"$exists": True}}, {first: {"$ne": rng.choice(operands)}}]})
    return queries


@pytest.mark.parametrize("projection", [None, {"a": 1, "n": 1}, {"b": 0}, {"a.b": 0, "n.y": 0}])
def test_exists_true_scans_the_path_and_the_paths_below(coll, projection):
    coll.insert_many(dataset(20261208, 400))
    options = {"wildcardProjection": projection} if projection else {}
    coll.create_index([("$**", 1)], name="wild", **options)
    for path in EXISTS_PATHS:
        scan = ixscan(coll.find({path: {"$exists": True}}).explain())
        included = projection is None or (
            all(path != key and not path.startswith(key + ".") for key in projection) if 0 in projection.values()
            else any(path == key or path.startswith(key + ".") for key in projection))
        if not included:
            assert scan is None, path
            continue
        assert scan is not None and scan["indexName"] == "wild", path
        assert list(scan["keyPattern"].items()) == [("$_path", 1), (path, 1)]
        assert scan["indexBounds"] == {"$_path": [f'["{path}", "{path}"]', f'["{path}.", "{path}/")'],
                                       path: ["[MinKey, MaxKey]"]}, path
    used = check_against_scan(coll, exists_queries(len(projection or {}), 150), ["wild"])
    coll.update_many({"_id": {"$mod": [7, 0]}}, {"$set": {"a": {"b": {}, "c": []}}})
    coll.update_many({"_id": {"$mod": [5, 0]}}, {"$unset": {"b": "", "a.b": ""}})
    coll.delete_many({"_id": {"$mod": [4, 1]}})
    used += check_against_scan(coll, exists_queries(99, 150), ["wild"])
    assert used >= 150, used


def test_exists_true_beside_a_bounded_predicate_scans_the_bounded_path(coll):
    coll.insert_many([{"_id": n, "a": {"x": n} if n % 2 else n, "b": n % 5} for n in range(40)])
    coll.create_index([("$**", 1)], name="wild")
    scan = ixscan(coll.find({"a": {"$exists": True}, "b": 3}).explain())
    assert scan["indexBounds"] == {"$_path": ['["b", "b"]'], "b": ["[3, 3]"]}
    assert ids(coll.find({"a": {"$exists": True}, "b": 3})) == sorted(range(3, 40, 5), key=repr)
    both = ixscan(coll.find({"a.x": {"$exists": True}, "c": {"$exists": True}}).explain())
    assert both["indexName"] == "wild"
    assert ids(coll.find({"a.x": {"$exists": True}, "c": {"$exists": True}})) == []
    assert ids(coll.find({"$and": [{"a.x": {"$exists": True}}, {"b": {"$gte": 4}}]})) == sorted([9, 19, 29, 39], key=repr)


def test_a_hinted_wildcard_index_that_bounds_nothing_is_refused(coll, db):
    coll.insert_many([{"_id": 1, "a": 1, "c": {"d": 1}}, {"_id": 2, "a": 2, "r": 1, "w": {"x": 1}}])
    coll.create_index([("$**", 1)], name="wild")
    coll.create_index([("c.$**", 1)], name="sub")
    coll.create_index([("r", 1), ("w.$**", 1)], name="cw")
    coll.create_index([("w.$**", 1), ("s", 1)], name="cw2")
    refused = [
        ({}, "wild"), ({}, {"$**": 1}), ({"a": None}, "wild"), ({"a": {"$ne": 1}}, "wild"),
        ({"a": {"$exists": False}}, "wild"), ({"a": 1}, {"c.$**": 1}), ({}, "cw"), ({"w.x": 1}, "cw"),
        ({"s": 1}, {"w.$**": 1, "s": 1}),
    ]
    for query, hint in refused:
        with pytest.raises(OperationFailure) as raised:
            db.command("find", coll.name, filter=query, hint=hint)
        assert raised.value.code == 291, (query, hint)
        assert raised.value.details["codeName"] == "NoQueryExecutionPlans", (query, hint)
        assert "because it's a wildcard index" in raised.value.details["errmsg"]
    # What the index can bound is answered; a hint naming no index stays BadValue.
    assert ids(coll.find({"a": 1}).hint("wild")) == [1]
    assert ids(coll.find({"c.d": {"$exists": True}}).hint("sub")) == [1]
    assert ids(coll.find({"r": 1}).hint("cw")) == [2]
    with pytest.raises(OperationFailure) as raised:
        db.command("find", coll.name, filter={}, hint={"nope.$**": 1})
    assert raised.value.code == 2


def docs_examined(coll, query, projection) -> tuple[int, list[str]]:
    explain = coll.find(query, projection).explain()
    return explain["executionStats"]["totalDocsExamined"], [stage["stage"] for stage in stages(explain)]


def test_one_single_key_path_projected_alone_is_covered(coll):
    coll.insert_many([{"_id": n, "a": n % 10, "m": [n, n + 1], "s": {"t": n % 4}, "b": n} for n in range(60)])
    coll.insert_one({"_id": "text", "a": "x", "s": {"t": "y"}})
    coll.create_index([("$**", 1)], name="wild")
    for query, projection in [({"a": {"$gte": 5}}, {"a": 1, "_id": 0}), ({"a": 3}, {"a": True, "_id": False}),
                              ({"s.t": {"$in": [1, "y"]}}, {"s.t": 1, "_id": 0}), ({"a": {"$lt": "z"}}, {"a": 1, "_id": 0})]:
        examined, names = docs_examined(coll, query, projection)
        assert examined == 0 and "FETCH" not in names and "PROJECTION_COVERED" in names, (query, names)
        found = list(coll.find(query, projection))
        expected = list(coll.find(query, projection).hint([("$natural", 1)]))
        assert sorted(found, key=repr) == sorted(expected, key=repr) and found, query
    # Not covered: _id returned, another field, a multikey path, a second path, inexact bounds.
    for query, projection in [({"a": 3}, {"a": 1}), ({"a": 3}, {"b": 1, "_id": 0}), ({"m": 3}, {"m": 1, "_id": 0}),
                              ({"a": 3, "b": {"$gt": 0}}, {"a": 1, "_id": 0}), ({"a": {"$gt": 1, "$ne": 4}}, {"a": 1, "_id": 0}),
                              ({"s.t": 1}, {"s": 1, "_id": 0})]:
        examined, names = docs_examined(coll, query, projection)
        assert examined > 0 and "FETCH" in names, (query, names)
        found = list(coll.find(query, projection))
        assert sorted(found, key=repr) == sorted(coll.find(query, projection).hint([("$natural", 1)]), key=repr), query


def test_index_built_over_existing_documents_and_in_transactions(client, db):
    coll = db["t"]
    coll.insert_many(dataset(7, 200))
    coll.create_index([("$**", 1)], name="wild")
    with client.start_session() as session:
        with session.start_transaction():
            coll.insert_one({"_id": "tx", "a": {"b": 424242}}, session=session)
            coll.update_one({"_id": 3}, {"$set": {"c": 424242}}, session=session)
            assert ids(coll.find({"a.b": 424242}, session=session)) == ["tx"]
            assert ids(coll.find({"c": 424242}, session=session)) == [3]
            # An array first written in the transaction: "p" is multikey only there.
            coll.insert_one({"_id": "arr", "p": [0, 5]}, session=session)
            assert ids(coll.find({"p": {"$gt": 1, "$lt": 3}}, session=session)) == ["arr"]
    assert ids(coll.find({"a.b": 424242})) == ["tx"]
    assert ids(coll.find({"c": 424242})) == [3]
    assert ixscan(coll.find({"c": 424242}).explain())["indexName"] == "wild"
    for query in QUERIES:
        assert ids(coll.find(query)) == natural(coll, query), query


def test_dump_load_keeps_the_spec(server, client, db, tmp_path):
    coll = db["w"]
    coll.insert_many(dataset(11, 100))
    coll.create_index([("$**", 1)], name="wild", wildcardProjection={"a": 0, "n": 0})
    coll.create_index([("n.$**", -1)], name="sub")
    before = sorted((dict(spec) for spec in coll.list_indexes()), key=lambda s: s["name"])
    out = tmp_path / "dump"
    cli("dump", "--uri", uri(server), "--out", str(out), "--db", db.name)
    client.drop_database(db.name)
    cli("load", "--uri", uri(server), "--dir", str(out))
    after = sorted((dict(spec) for spec in coll.list_indexes()), key=lambda s: s["name"])
    assert after == before
    assert ixscan(coll.find({"b": 1}).explain())["indexName"] == "wild"
    assert ixscan(coll.find({"n.x": 1}).explain())["indexName"] == "sub"
    for query in QUERIES:
        assert ids(coll.find(query)) == natural(coll, query), query



def test_an_ordinary_index_made_multikey_in_a_transaction_serves_its_reads(client, db):
    # The same rule for an ordinary index: bounds on "q" are not intersected once the
    # transaction's own document holds an array there (it did before: [2] was returned).
    coll = db["r"]
    coll.insert_many([{"_id": n, "q": n} for n in range(10)])
    coll.create_index([("q", 1)])
    with client.start_session() as session:
        with session.start_transaction():
            coll.insert_one({"_id": "arr", "q": [0, 5]}, session=session)
            query = {"q": {"$gt": 1, "$lt": 3}}
            assert set(ids(coll.find(query, session=session))) == {2, "arr"}
            assert set(ids(coll.find(query, session=session).hint([("$natural", 1)]))) == {2, "arr"}
    assert set(ids(coll.find({"q": {"$gt": 1, "$lt": 3}}))) == {2, "arr"}


def test_collated_wildcard_index_answers_queries_of_its_collation(coll):
    coll.insert_many([{"_id": 1, "a": {"s": "Apple"}}, {"_id": 2, "a": {"s": "apple"}}, {"_id": 3, "a": {"s": "banana"}},
                      {"_id": 4, "a": {"s": ["APPLE", "cherry"]}}, {"_id": 5, "a": {"s": 3}}])
    coll.create_index([("$**", 1)], name="wild", collation={"locale": "en", "strength": 2})
    collation = {"locale": "en", "strength": 2}
    for query in [{"a.s": "apple"}, {"a.s": {"$gt": "b"}}, {"a.s": {"$in": ["APPLE", "Cherry"]}}, {"a.s": {"$gte": 3}}]:
        found = coll.find(query, collation=collation)
        assert ixscan(found.explain())["indexName"] == "wild", query
        assert ids(coll.find(query, collation=collation)) == \
            ids(coll.find(query, collation=collation).hint([("$natural", 1)])), query
    assert ids(coll.find({"a.s": "apple"}, collation=collation)) == [1, 2, 4]
    # Without the index's collation, string bounds cannot use its comparison keys.
    assert ixscan(coll.find({"a.s": "apple"}).explain()) is None
    assert ids(coll.find({"a.s": "apple"})) == [2]


def test_validate_checks_wildcard_and_text_keys(tmp_path):
    """validate finds a wildcard (and text) index consistent, and inconsistent once the
    test-only corruption command removes a document's real keys or adds phantom ones."""
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--enable-test-commands"])
    server.start()
    try:
        with server.client() as mongo:
            db = mongo["wv"]
            coll = db["items"]
            documents = dataset(31, 150)
            documents.append({"_id": "seven", "a": {"b": 1, "c": [2, 3, 3]}, "d": "x", "t": "red apples"})
            coll.insert_many(documents)
            coll.create_index([("$**", 1)], name="wild")
            coll.create_index([("t", "text")], name="text")
            healthy = db.command("validate", "items")
            assert healthy["valid"] is True, healthy
            wild_keys = healthy["keysPerIndex"]["wild"]
            assert wild_keys > len(documents)

            # The document's wildcard keys: (a.b, 1), (a.c, 2), (a.c, 3), (d, "x"), (t, "red apples").
            removed = mongo.admin.command("_tesseraCorruptIndex", "wv.items", index="wild", removeEntriesOf="seven")
            assert removed["entries"] == 5
            broken = db.command("validate", "items")
            assert broken["valid"] is False
            assert broken["keysPerIndex"]["wild"] == wild_keys - 5
            assert broken["indexDetails"]["wild"]["valid"] is False
            assert broken["indexDetails"]["text"]["valid"] is True
            assert broken["missingIndexEntries"] == [{"count": 5}]
            # Queries through the index now miss the document; a collection scan does not.
            assert ids(coll.find({"a.c": 3}).hint("wild")) == []
            assert ids(coll.find({"a.c": 3}).hint([("$natural", 1)])) == ["seven"]

            coll.drop_index("wild")
            coll.create_index([("$**", 1)], name="wild")
            assert db.command("validate", "items")["valid"] is True
            # Text keys: "red" and "appl" (stemmed), pointing at a document that does not exist.
            added = mongo.admin.command("_tesseraCorruptIndex", "wv.items", index="text",
                                        addEntriesLike="seven", phantomID="ghost")
            assert added["entries"] == 2
            extra = db.command("validate", "items")
            assert extra["valid"] is False
            assert extra["indexDetails"]["text"]["valid"] is False
            assert extra["indexDetails"]["wild"]["valid"] is True
            assert extra["extraIndexEntries"] == [{"count": 2}]
    finally:
        if server.running:
            server.stop(timeout=30)
