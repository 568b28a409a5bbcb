# Collations through pymongo against the real server: find/sort/count/distinct/update/delete/
# findAndModify/aggregate with a `collation` option, a collection's default collation, indexes
# with a collation (used by a query of the same collation, IXSCAN in explain; not used by a
# query of another), a case-insensitive unique index, and MongoDB's errors for bad collation
# documents. Expected orders come from ICU itself (libicui18n through ctypes), not from Tessera.

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import re

import pytest
from pymongo import ASCENDING
from pymongo.collation import Collation
from pymongo.errors import DuplicateKeyError, OperationFailure

# -- ICU, directly -----------------------------------------------------------------------------

_UCOL_NUMERIC_COLLATION = 7
_UCOL_STRENGTH = 5
_UCOL_ON = 17
_ICU_STRENGTHS = {1: 0, 2: 1, 3: 2, 4: 3, 5: 15}


class ICU:
    """ucol_* from the system's libicui18n (the library Tessera links), called directly."""

    def __init__(self):
        path = ctypes.util.find_library("icui18n")
        if path is None:
            pytest.skip("libicui18n is not installed")
        self.lib = ctypes.CDLL(path)
        major = path.rsplit(".so.", 1)[1].split(".")[0]
        self.suffix = f"_{major}"
        self.open = self._function("ucol_open", ctypes.c_void_p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)])
        self.set_attribute = self._function(
            "ucol_setAttribute", None, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)])
        self.strcoll = self._function(
            "ucol_strcollUTF8", ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_char_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_int)])

    def _function(self, name, restype, argtypes):
        function = getattr(self.lib, name + self.suffix)
        function.restype = restype
        function.argtypes = argtypes
        return function

    def collator(self, locale: str, strength: int | None = None, numeric: bool = False):
        status = ctypes.c_int(0)
        handle = self.open(locale.encode(), ctypes.byref(status))
        assert status.value <= 0, f"ucol_open({locale}) failed: {status.value}"
        if strength is not None:
            self.set_attribute(handle, _UCOL_STRENGTH, _ICU_STRENGTHS[strength], ctypes.byref(status))
        if numeric:
            self.set_attribute(handle, _UCOL_NUMERIC_COLLATION, _UCOL_ON, ctypes.byref(status))

        def compare(a: str, b: str) -> int:
            x, y = a.encode(), b.encode()
            return self.strcoll(handle, x, len(x), y, len(y), ctypes.byref(status))

        return compare

    def sorted(self, words, locale, **options):
        return sorted(words, key=functools.cmp_to_key(self.collator(locale, **options)))


@pytest.fixture(scope="module")
def icu():
    return ICU()


WORDS = ["peach", "Péché", "péché", "pêche", "PEACH", "apple", "Apple", "äpple", "zebra", "Zebra",
         "résumé", "resume", "Resume", "10", "9", "100", "a-b", "ab", "a b", "ß", "ss", "Æble", "ǅ"]

EN_CI = Collation(locale="en", strength=2)


def names(cursor) -> list[str]:
    return [document["name"] for document in cursor]


def seed(coll, words=WORDS):
    coll.insert_many([{"_id": index, "name": word} for index, word in enumerate(words)])


def plan_stages(explain: dict) -> list[str]:
    """The stage names of a find explain's winning plan, outermost first."""
    stages = []
    stage = explain["queryPlanner"]["winningPlan"]
    while stage:
        stages.append(stage["stage"])
        stage = stage.get("inputStage")
    return stages


# -- sorting and matching ----------------------------------------------------------------------

@pytest.mark.parametrize("locale,options", [
    ("en", {}), ("en", {"strength": 1}), ("fr_CA", {}), ("de", {}), ("sv", {}), ("en", {"numeric": True}),
])
def test_find_sort_follows_icu_order(coll, icu, locale, options):
    seed(coll)
    collation = Collation(locale=locale, strength=options.get("strength"),
                          numericOrdering=options.get("numeric"))
    found = names(coll.find({}, sort=[("name", ASCENDING), ("_id", ASCENDING)], collation=collation))
    expected = icu.sorted(WORDS, locale, **options)
    compare = icu.collator(locale, **options)
    # Ties under the collation keep _id order; compare the runs of equal words as sets.
    assert len(found) == len(expected)
    for position in range(1, len(found)):
        assert compare(found[position - 1], found[position]) <= 0, (found[position - 1], found[position])
    assert sorted(found) == sorted(expected)


def test_find_without_collation_sorts_by_code_point(coll):
    seed(coll)
    found = names(coll.find({}, sort=[("name", ASCENDING)]))
    assert found == sorted(WORDS, key=lambda word: word.encode())


def test_equality_range_and_in_follow_the_collation(coll, icu):
    seed(coll)
    compare = icu.collator("en", strength=2)
    equal = names(coll.find({"name": "peach"}, collation=EN_CI))
    assert sorted(equal) == sorted(word for word in WORDS if compare(word, "peach") == 0)
    assert sorted(equal) == ["PEACH", "peach"]
    below = names(coll.find({"name": {"$lt": "b"}}, collation=EN_CI))
    assert sorted(below) == sorted(word for word in WORDS if compare(word, "b") < 0)
    among = names(coll.find({"name": {"$in": ["APPLE", "ZEBRA"]}}, collation=EN_CI))
    assert sorted(among) == ["Apple", "Zebra", "apple", "zebra"]
    outside = names(coll.find({"name": {"$nin": ["APPLE", "ZEBRA"]}}, collation=EN_CI))
    assert len(outside) == len(WORDS) - 4
    assert "Péché" not in names(coll.find({"name": {"$ne": "PÉCHÉ"}}, collation=EN_CI))


def test_regex_ignores_the_collation(coll):
    seed(coll)
    primary = Collation(locale="en", strength=1)
    assert sorted(names(coll.find({"name": {"$regex": "^z"}}, collation=primary))) == ["zebra"]
    in_list = {"$in": [re.compile("^z"), "APPLE"]}
    assert sorted(names(coll.find({"name": in_list}, collation=primary))) == ["Apple", "apple", "zebra", "äpple"]


def test_count_and_distinct_with_collation(coll):
    seed(coll)
    assert coll.count_documents({"name": "zebra"}, collation=EN_CI) == 2
    assert coll.count_documents({"name": "zebra"}) == 1
    values = coll.distinct("name", {"name": {"$in": ["apple", "zebra", "resume"]}}, collation=EN_CI)
    assert len(values) == 3
    assert sorted(value.lower() for value in values) == ["apple", "resume", "zebra"]
    assert len(coll.distinct("name", {"name": {"$in": ["apple", "zebra", "resume"]}})) == 1 + 1 + 1


def test_update_delete_and_find_and_modify_with_collation(coll):
    seed(coll)
    result = coll.update_many({"name": "ZEBRA"}, {"$set": {"striped": True}}, collation=EN_CI)
    assert result.matched_count == 2 and result.modified_count == 2
    assert coll.update_many({"name": "ZEBRA"}, {"$set": {"x": 1}}).matched_count == 0
    before = coll.find_one_and_update({"name": "PEACH"}, {"$set": {"ripe": True}}, sort=[("_id", -1)], collation=EN_CI)
    assert before["name"] == "PEACH"
    assert coll.count_documents({"ripe": True}) == 1
    assert coll.delete_many({"name": "APPLE"}, collation=EN_CI).deleted_count == 2
    assert coll.delete_one({"name": "RESUME"}, collation=Collation(locale="en", strength=1)).deleted_count == 1
    assert coll.find_one_and_delete({"_id": "none"}, collation=EN_CI) is None


def test_update_of_string_id_under_collation_matches_every_equal_id(coll):
    coll.insert_many([{"_id": "Key", "n": 0}, {"_id": "other", "n": 0}])
    result = coll.update_one({"_id": "KEY"}, {"$inc": {"n": 1}}, collation=EN_CI)
    assert result.matched_count == 1
    assert coll.find_one({"_id": "Key"})["n"] == 1
    assert coll.delete_one({"_id": "key"}, collation=EN_CI).deleted_count == 1


def test_aggregate_match_group_sort_and_expressions_with_collation(coll, icu):
    seed(coll)
    pipeline = [
        {"$match": {"name": {"$in": ["apple", "zebra", "peach"]}}},
        {"$group": {"_id": "$name", "n": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ]
    groups = list(coll.aggregate(pipeline, collation=EN_CI))
    assert [group["n"] for group in groups] == [2, 2, 2]
    keys = [group["_id"] for group in groups]
    assert [key.lower() for key in keys] == icu.sorted(["apple", "peach", "zebra"], "en", strength=2)
    flags = list(coll.aggregate([{"$match": {"_id": 0}}, {"$project": {"_id": 0, "same": {"$eq": ["$name", "PEACH"]},
                                                                            "order": {"$cmp": ["$name", "PEACH"]}}}],
                                collation=EN_CI))
    assert flags == [{"same": True, "order": 0}]
    plain = list(coll.aggregate([{"$match": {"_id": 0}}, {"$project": {"_id": 0, "same": {"$eq": ["$name", "PEACH"]}}}]))
    assert plain == [{"same": False}]
    union = list(coll.aggregate([{"$match": {"_id": 0}}, {"$project": {"_id": 0, "u": {"$setUnion": [["a", "A", "b"], ["B"]]}}}],
                                collation=EN_CI))
    assert len(union[0]["u"]) == 2


# -- the collection's default collation ---------------------------------------------------------

def test_collection_default_collation_applies_to_operations_without_one(db, icu):
    coll = db.create_collection("c", collation=EN_CI)
    seed(coll)
    assert sorted(names(coll.find({"name": "zebra"}))) == ["Zebra", "zebra"]
    assert coll.count_documents({"name": "APPLE"}) == 2
    assert names(coll.find({"name": "zebra"}, collation=Collation(locale="simple"))) == ["zebra"]
    options = db.command("listCollections", filter={"name": "c"})["cursor"]["firstBatch"][0]["options"]
    assert options["collation"]["locale"] == "en"
    assert options["collation"]["strength"] == 2
    assert set(options["collation"]) == {"locale", "caseLevel", "caseFirst", "strength", "numericOrdering",
                                         "alternate", "maxVariable", "normalization", "backwards", "version"}
    index = coll.create_index("name")
    listed = {spec["name"]: spec for spec in coll.list_indexes()}
    assert listed[index]["collation"]["strength"] == 2


def test_simple_collection_collation_is_no_collation(db):
    coll = db.create_collection("c", collation=Collation(locale="simple"))
    seed(coll)
    options = db.command("listCollections", filter={"name": "c"})["cursor"]["firstBatch"][0].get("options", {})
    assert "collation" not in options
    assert names(coll.find({"name": "zebra"})) == ["zebra"]


# -- indexes with a collation -------------------------------------------------------------------

def test_index_with_collation_serves_queries_of_that_collation_only(coll, icu):
    seed(coll, WORDS * 20)
    coll.create_index("name", name="name_ci", collation=EN_CI)
    spec = {item["name"]: item for item in coll.list_indexes()}["name_ci"]
    assert spec["collation"]["locale"] == "en" and spec["collation"]["strength"] == 2
    same = coll.find({"name": "ZEBRA"}, collation=EN_CI).explain()
    assert "IXSCAN" in plan_stages(same)
    assert sorted(names(coll.find({"name": "ZEBRA"}, collation=EN_CI))) == sorted(["Zebra", "zebra"] * 20)
    other = coll.find({"name": "zebra"}).explain()
    assert "IXSCAN" not in plan_stages(other)
    assert names(coll.find({"name": "zebra"})) == ["zebra"] * 20
    # A range scan of the index returns what ICU orders below the bound, in ICU's order.
    compare = icu.collator("en", strength=2)
    found = names(coll.find({"name": {"$gte": "b", "$lt": "r"}}, sort=[("name", 1)], collation=EN_CI))
    expected = [word for word in WORDS * 20 if compare(word, "b") >= 0 and compare(word, "r") < 0]
    assert sorted(found) == sorted(expected)
    assert all(compare(a, b) <= 0 for a, b in zip(found, found[1:]))
    sorted_explain = coll.find({"name": {"$gte": "b"}}, sort=[("name", 1)], collation=EN_CI).explain()
    assert "SORT" not in plan_stages(sorted_explain)


def test_index_of_another_collation_is_not_used_for_strings(coll):
    seed(coll, WORDS * 10)
    coll.create_index("name", name="name_fr", collation=Collation(locale="fr"))
    explain = coll.find({"name": "zebra"}, collation=EN_CI).explain()
    assert "IXSCAN" not in plan_stages(explain)
    assert sorted(names(coll.find({"name": "zebra"}, collation=EN_CI))) == sorted(["zebra", "Zebra"] * 10)
    # Numbers compare alike under every collation: the index still serves them.
    coll.insert_one({"_id": "n", "name": 5})
    assert "IXSCAN" in plan_stages(coll.find({"name": 5}, collation=EN_CI).explain())
    assert names(coll.find({"name": 5}, collation=EN_CI)) == [5]


def test_unique_case_insensitive_index_refuses_a_second_case(coll):
    coll.create_index("email", unique=True, collation=EN_CI)
    coll.insert_one({"email": "a@example.com"})
    with pytest.raises(DuplicateKeyError) as info:
        coll.insert_one({"email": "A@EXAMPLE.COM"})
    assert info.value.code == 11000
    coll.insert_one({"email": "b@example.com"})
    with pytest.raises(DuplicateKeyError):
        coll.update_one({"email": "b@example.com"}, {"$set": {"email": "A@example.com"}})
    assert coll.count_documents({}) == 2


def test_id_is_unique_under_the_collections_default_collation(db):
    # mongod's _id index carries the collection's collation: "a" and "A" are one _id.
    db.create_collection("ci", collation={"locale": "en", "strength": 2})
    db.ci.insert_one({"_id": "a", "n": 1})
    with pytest.raises(DuplicateKeyError) as info:
        db.ci.insert_one({"_id": "A"})
    assert info.value.code == 11000 and "index: _id_" in info.value.details["errmsg"]
    # An upsert whose query (simple collation) misses "Z" would insert a second "z".
    db.ci.update_one({"_id": "Z"}, {"$set": {"n": 2}}, upsert=True, collation=Collation(locale="simple"))
    with pytest.raises(DuplicateKeyError):
        db.ci.update_one({"_id": "z"}, {"$set": {"n": 3}}, upsert=True, collation=Collation(locale="simple"))
    # Strings that differ at the collation's strength are distinct _ids; non-strings too.
    db.ci.insert_many([{"_id": "á"}, {"_id": 1}, {"_id": "1"}])
    assert sorted(map(repr, (d["_id"] for d in db.ci.find()))) == sorted(map(repr, ["a", "Z", "á", 1, "1"]))
    # A simple-collation collection keeps the two cases apart, as before.
    db.plain.insert_many([{"_id": "a"}, {"_id": "A"}])
    assert db.plain.count_documents({}) == 2
    # Dropped and deleted: the key is free again.
    db.ci.delete_one({"_id": "a"})
    db.ci.insert_one({"_id": "A"})
    assert db.ci.find_one({"_id": "A"}, collation=Collation(locale="simple"))["_id"] == "A"


def test_unique_index_build_fails_on_existing_case_duplicates(coll):
    coll.insert_many([{"k": "x"}, {"k": "X"}])
    with pytest.raises(OperationFailure) as info:
        coll.create_index("k", unique=True, collation=EN_CI)
    assert info.value.code == 11000
    coll.create_index("k", unique=True)


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("collation,code", [
    ({"locale": "en", "strength": 6}, 51024),
    ({"locale": "en", "strength": 0}, 2),
    ({"locale": "en", "strength": float("nan")}, 2),
    ({"locale": "en", "strength": "2"}, 14),
    ({"locale": "en", "colour": 1}, 40415),
    ({"strength": 2}, 40414),
    ({"locale": "xx_BOGUS"}, 2),
    ({"locale": ""}, 2),
    ({"locale": "en", "caseFirst": "sideways"}, 2),
    ({"locale": "en", "strength": 1, "backwards": True}, 2),
    ({"locale": "en", "version": "0.1"}, 161),
    ({"locale": "a" * 200_000}, 2),
])
def test_bad_collations_get_mongodb_codes(db, collation, code):
    db.c.insert_one({"_id": 1})
    for command in ({"find": "c", "collation": collation}, {"count": "c", "collation": collation},
                    {"aggregate": "c", "pipeline": [], "cursor": {}, "collation": collation},
                    {"create": "d", "collation": collation},
                    {"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "collation": collation}]}):
        with pytest.raises(OperationFailure) as info:
            db.command(command)
        assert info.value.code == code, (command, info.value.details)
    # The server is still there.
    assert db.c.find_one() == {"_id": 1}


def test_collation_that_is_not_a_document_is_type_mismatch(db):
    with pytest.raises(OperationFailure) as info:
        db.command({"find": "c", "collation": "en"})
    assert info.value.code == 14
    reply = db.command({"delete": "c", "deletes": [{"q": {}, "limit": 0, "collation": 5}]})
    assert reply["writeErrors"][0]["code"] == 14
