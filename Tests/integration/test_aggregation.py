# Aggregation through pymongo: each stage, accumulator and expression family the server
# supports, with MongoDB's documented results (null vs missing, type errors with their
# codes, time zones). Expected values come from MongoDB's manual examples and semantics.

import datetime

import pytest
from bson import Decimal128, Int64
from pymongo.errors import OperationFailure

UTC = datetime.timezone.utc


def run(coll, pipeline, **options):
    return list(coll.aggregate(pipeline, **options))


def one(coll, expression, document=None):
    """The value of `expression` evaluated on one document (inserted fresh)."""
    coll.delete_many({})
    coll.insert_one({"_id": 0, **(document or {})})
    result = run(coll, [{"$project": {"_id": 0, "v": expression}}])
    return result[0].get("v", "<missing>")


def error_code(coll, pipeline):
    with pytest.raises(OperationFailure) as failure:
        run(coll, pipeline)
    return failure.value.code


@pytest.fixture
def sales(coll):
    coll.insert_many([
        {"_id": 1, "item": "abc", "price": 10, "quantity": 2, "date": datetime.datetime(2014, 3, 1, 8, 0, 0)},
        {"_id": 2, "item": "jkl", "price": 20, "quantity": 1, "date": datetime.datetime(2014, 3, 1, 9, 0, 0)},
        {"_id": 3, "item": "xyz", "price": 5, "quantity": 10, "date": datetime.datetime(2014, 3, 15, 9, 0, 0)},
        {"_id": 4, "item": "xyz", "price": 5, "quantity": 20, "date": datetime.datetime(2014, 4, 4, 11, 21, 39)},
        {"_id": 5, "item": "abc", "price": 10, "quantity": 10, "date": datetime.datetime(2014, 4, 4, 21, 23, 13)},
    ])
    return coll


# -- stages ---------------------------------------------------------------------------------

def test_match_sort_skip_limit_project(sales):
    result = run(sales, [{"$match": {"price": {"$gte": 10}}}, {"$sort": {"quantity": -1}}, {"$skip": 1},
                         {"$limit": 2}, {"$project": {"_id": 0, "item": 1}}])
    assert result == [{"item": "abc"}, {"item": "jkl"}]


def test_group_with_accumulators(sales):
    result = run(sales, [
        {"$group": {"_id": "$item", "total": {"$sum": {"$multiply": ["$price", "$quantity"]}},
                    "avgQty": {"$avg": "$quantity"}, "n": {"$count": {}}, "first": {"$first": "$_id"},
                    "last": {"$last": "$_id"}, "maxQ": {"$max": "$quantity"}, "minQ": {"$min": "$quantity"},
                    "ids": {"$push": "$_id"}, "prices": {"$addToSet": "$price"}}},
        {"$sort": {"_id": 1}},
    ])
    assert result == [
        {"_id": "abc", "total": 120, "avgQty": 6.0, "n": 2, "first": 1, "last": 5, "maxQ": 10, "minQ": 2,
         "ids": [1, 5], "prices": [10]},
        {"_id": "jkl", "total": 20, "avgQty": 1.0, "n": 1, "first": 2, "last": 2, "maxQ": 1, "minQ": 1,
         "ids": [2], "prices": [20]},
        {"_id": "xyz", "total": 150, "avgQty": 15.0, "n": 2, "first": 3, "last": 4, "maxQ": 20, "minQ": 10,
         "ids": [3, 4], "prices": [5]},
    ]


def test_group_null_id_and_missing_fields(coll):
    coll.insert_many([{"_id": 1, "x": 1}, {"_id": 2}, {"_id": 3, "x": None}])
    # Missing and null group together under null; $sum ignores non-numbers, $avg of none is null.
    result = run(coll, [{"$group": {"_id": "$x", "s": {"$sum": "$x"}, "a": {"$avg": "$x"}}}, {"$sort": {"_id": 1}}])
    assert result == [{"_id": None, "s": 0, "a": None}, {"_id": 1, "s": 1, "a": 1.0}]
    total = run(coll, [{"$group": {"_id": None, "n": {"$sum": 1}}}])
    assert total == [{"_id": None, "n": 3}]


def test_group_numeric_keys_of_different_types_are_one_group(coll):
    coll.insert_many([{"_id": 1, "k": 1}, {"_id": 2, "k": Int64(1)}, {"_id": 3, "k": 1.0}])
    result = run(coll, [{"$group": {"_id": "$k", "n": {"$sum": 1}}}])
    assert len(result) == 1 and result[0]["n"] == 3


def test_group_n_accumulators_and_statistics(coll):
    coll.insert_many([{"_id": i, "g": "a", "score": s} for i, s in enumerate([8, 3, 9, 1, 5])])
    result = run(coll, [{"$group": {
        "_id": "$g",
        "top2": {"$topN": {"n": 2, "sortBy": {"score": -1}, "output": "$score"}},
        "bottom": {"$bottom": {"sortBy": {"score": -1}, "output": "$_id"}},
        "max2": {"$maxN": {"n": 2, "input": "$score"}},
        "min2": {"$minN": {"n": 2, "input": "$score"}},
        "first2": {"$firstN": {"n": 2, "input": "$score"}},
        "last2": {"$lastN": {"n": 2, "input": "$score"}},
        "pop": {"$stdDevPop": "$score"},
        "median": {"$median": {"input": "$score", "method": "approximate"}},
    }}])
    assert result[0]["top2"] == [9, 8]
    assert result[0]["bottom"] == 3
    assert result[0]["max2"] == [9, 8]
    assert result[0]["min2"] == [1, 3]
    assert result[0]["first2"] == [8, 3]
    assert result[0]["last2"] == [1, 5]
    assert result[0]["pop"] == pytest.approx(2.993325909419153)  # sqrt(44.8 / 5)
    assert result[0]["median"] == 5


def test_group_without_id_is_error_15955(coll):
    coll.insert_one({"x": 1})
    assert error_code(coll, [{"$group": {"n": {"$sum": 1}}}]) == 15955


def test_unwind_options(coll):
    coll.insert_many([{"_id": 1, "a": [1, 2]}, {"_id": 2, "a": []}, {"_id": 3}, {"_id": 4, "a": None},
                      {"_id": 5, "a": 7}])
    plain = run(coll, [{"$unwind": "$a"}])
    assert [(d["_id"], d["a"]) for d in plain] == [(1, 1), (1, 2), (5, 7)]
    kept = run(coll, [{"$unwind": {"path": "$a", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": True}}])
    assert [(d["_id"], d.get("a", "<missing>"), d["i"]) for d in kept] == [
        (1, 1, 0), (1, 2, 1), (2, "<missing>", None), (3, "<missing>", None), (4, None, None), (5, 7, None)]


def test_count_sort_by_count_and_bucket(sales):
    assert run(sales, [{"$match": {"item": "xyz"}}, {"$count": "n"}]) == [{"n": 2}]
    assert run(sales, [{"$sortByCount": "$item"}])[0]["count"] == 2
    buckets = run(sales, [{"$bucket": {"groupBy": "$price", "boundaries": [0, 10, 20, 30], "default": "other",
                                       "output": {"n": {"$sum": 1}}}}])
    assert buckets == [{"_id": 0, "n": 2}, {"_id": 10, "n": 2}, {"_id": 20, "n": 1}]


def test_add_fields_set_unset_replace_root(coll):
    coll.insert_one({"_id": 1, "name": {"first": "Ada", "last": "L"}, "x": 1})
    result = run(coll, [{"$addFields": {"y": {"$add": ["$x", 1]}}}, {"$set": {"name.middle": "B"}},
                        {"$unset": ["x"]}, {"$replaceRoot": {"newRoot": {"$mergeObjects": ["$name", {"y": "$y"}]}}}])
    assert result == [{"first": "Ada", "last": "L", "middle": "B", "y": 2}]
    assert run(coll, [{"$replaceWith": {"n": "$name.first"}}]) == [{"n": "Ada"}]


def test_replace_root_with_a_non_document_is_error_40228(coll):
    coll.insert_one({"_id": 1, "x": 1})
    assert error_code(coll, [{"$replaceRoot": {"newRoot": "$x"}}]) == 40228


def test_facet_and_union_with(sales, db):
    db.other.insert_many([{"_id": 10, "item": "zzz"}])
    facets = run(sales, [{"$facet": {"cheap": [{"$match": {"price": {"$lt": 10}}}, {"$count": "n"}],
                                     "items": [{"$group": {"_id": "$item"}}, {"$sort": {"_id": 1}}]}}])
    assert facets == [{"cheap": [{"n": 2}], "items": [{"_id": "abc"}, {"_id": "jkl"}, {"_id": "xyz"}]}]
    union = run(sales, [{"$project": {"item": 1}}, {"$unionWith": {"coll": "other"}}, {"$sort": {"_id": -1}},
                        {"$limit": 2}])
    assert union == [{"_id": 10, "item": "zzz"}, {"_id": 5, "item": "abc"}]


def test_lookup_both_forms(db):
    db.orders.insert_many([{"_id": 1, "item": "almonds", "qty": 2}, {"_id": 2, "item": "pecans", "qty": 1},
                           {"_id": 3}])
    db.inventory.insert_many([{"_id": 1, "sku": "almonds", "instock": 120}, {"_id": 2, "sku": "pecans", "instock": 70},
                              {"_id": 3, "sku": None}, {"_id": 4}])
    joined = run(db.orders, [{"$lookup": {"from": "inventory", "localField": "item", "foreignField": "sku",
                                          "as": "stock"}}, {"$sort": {"_id": 1}}])
    assert [len(d["stock"]) for d in joined] == [1, 1, 2]  # a missing local field matches null and missing
    piped = run(db.orders, [{"$match": {"_id": 1}}, {"$lookup": {
        "from": "inventory", "let": {"want": "$item", "q": "$qty"},
        "pipeline": [{"$match": {"$expr": {"$and": [{"$eq": ["$sku", "$$want"]}, {"$gte": ["$instock", "$$q"]}]}}},
                     {"$project": {"_id": 0, "sku": 1}}],
        "as": "stock"}}])
    assert piped[0]["stock"] == [{"sku": "almonds"}]


def test_sample_and_documents(coll, db):
    coll.insert_many([{"_id": i} for i in range(100)])
    picked = run(coll, [{"$sample": {"size": 5}}])
    assert len(picked) == 5 and len({d["_id"] for d in picked}) == 5
    literal = list(db.aggregate([{"$documents": [{"x": 1}, {"x": 2}]}, {"$match": {"x": 2}}]))
    assert literal == [{"x": 2}]


def test_out_replaces_the_target(sales, db):
    db.summary.insert_one({"_id": "stale"})
    run(sales, [{"$group": {"_id": "$item", "n": {"$sum": 1}}}, {"$out": "summary"}])
    assert sorted(d["_id"] for d in db.summary.find()) == ["abc", "jkl", "xyz"]


def test_leading_match_and_sort_use_an_index(sales, db):
    sales.create_index([("item", 1), ("quantity", -1)])
    plan = db.command("aggregate", sales.name, pipeline=[{"$match": {"item": "abc"}}, {"$sort": {"quantity": -1}}],
                      explain=True)
    assert "IXSCAN" in str(plan)


def test_unknown_stage_and_operator_errors(coll):
    coll.insert_one({"x": 1})
    assert error_code(coll, [{"$bogus": {}}]) == 40324
    assert error_code(coll, [{"$project": {"v": {"$bogus": 1}}}]) == 168
    assert error_code(coll, [{"$match": {}, "$sort": {"x": 1}}]) == 40323


def test_memory_limit_fails_without_disk_use_and_spills_with_it(coll):
    # 100 MB default: a $sort over ~110 MB of strings must fail with 292 without allowDiskUse.
    big = "x" * (1 << 20)
    coll.insert_many([{"_id": i, "s": big} for i in range(110)])
    assert error_code(coll, [{"$sort": {"s": 1, "_id": -1}}]) == 292
    # With allowDiskUse the same sort spills to disk and completes, in order.
    ids = [d["_id"] for d in coll.aggregate([{"$sort": {"s": 1, "_id": -1}}, {"$project": {"_id": 1}}],
                                            allowDiskUse=True)]
    assert ids == list(range(109, -1, -1))
    grouped = run(coll, [{"$group": {"_id": {"$mod": ["$_id", 3]}, "n": {"$sum": 1}, "s": {"$push": "$s"}}},
                         {"$project": {"n": 1}}, {"$sort": {"_id": 1}}], allowDiskUse=True)
    assert grouped == [{"_id": 0, "n": 37}, {"_id": 1, "n": 37}, {"_id": 2, "n": 36}]


# -- expressions ----------------------------------------------------------------------------

def test_arithmetic_and_types(coll):
    assert one(coll, {"$add": [1, Int64(2), 0.5]}) == 3.5
    assert one(coll, {"$subtract": [10, 4]}) == 6
    assert one(coll, {"$multiply": [2, Decimal128("1.5")]}) == Decimal128("3.0")
    assert one(coll, {"$divide": [7, 2]}) == 3.5
    assert one(coll, {"$mod": [7, 3]}) == 1
    assert one(coll, {"$round": [2.567, 1]}) == 2.6
    assert one(coll, {"$add": [1, None]}) is None
    assert one(coll, {"$add": [1, "$missing"]}) is None
    assert one(coll, {"$sqrt": 16}) == 4.0
    with pytest.raises(OperationFailure) as failure:
        one(coll, {"$add": [1, "x"]})
    assert failure.value.code == 14


def test_comparison_boolean_and_conditionals(coll):
    assert one(coll, {"$cmp": ["a", 1]}) == 1  # strings sort after numbers
    assert one(coll, {"$and": [1, "x", []]}) is True
    assert one(coll, {"$or": [0, None, False]}) is False
    assert one(coll, {"$cond": [{"$gt": ["$x", 1]}, "big", "small"]}, {"x": 5}) == "big"
    assert one(coll, {"$ifNull": ["$missing", None, "fallback"]}) == "fallback"
    assert one(coll, {"$switch": {"branches": [{"case": {"$eq": ["$x", 1]}, "then": "one"}], "default": "other"}},
               {"x": 2}) == "other"
    with pytest.raises(OperationFailure) as failure:
        one(coll, {"$switch": {"branches": [{"case": False, "then": 1}]}})
    assert failure.value.code == 40066


def test_strings(coll):
    doc = {"s": "  Hello, World  ", "t": "café"}
    assert one(coll, {"$trim": {"input": "$s"}}, doc) == "Hello, World"
    assert one(coll, {"$toUpper": "abc"}) == "ABC"
    assert one(coll, {"$concat": ["a", "b", "$missing"]}) is None
    assert one(coll, {"$split": ["a,b,c", ","]}) == ["a", "b", "c"]
    assert one(coll, {"$strLenCP": "$t"}, doc) == 4
    assert one(coll, {"$strLenBytes": "$t"}, doc) == 5
    assert one(coll, {"$substrCP": ["$t", 2, 2]}, doc) == "fé"
    assert one(coll, {"$replaceAll": {"input": "aXbXc", "find": "X", "replacement": "-"}}) == "a-b-c"
    assert one(coll, {"$regexMatch": {"input": "Tessera", "regex": "^tes", "options": "i"}}) is True
    assert one(coll, {"$regexFind": {"input": "abc123", "regex": "[0-9]+"}})["match"] == "123"


def test_arrays(coll):
    doc = {"a": [3, 1, 2]}
    assert one(coll, {"$size": "$a"}, doc) == 3
    assert one(coll, {"$arrayElemAt": ["$a", -1]}, doc) == 2
    assert one(coll, {"$filter": {"input": "$a", "cond": {"$gte": ["$$this", 2]}}}, doc) == [3, 2]
    assert one(coll, {"$map": {"input": "$a", "as": "v", "in": {"$multiply": ["$$v", 10]}}}, doc) == [30, 10, 20]
    assert one(coll, {"$reduce": {"input": "$a", "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}}, doc) == 6
    assert one(coll, {"$in": [2, "$a"]}, doc) is True
    assert one(coll, {"$slice": ["$a", 1, 2]}, doc) == [1, 2]
    assert one(coll, {"$concatArrays": ["$a", [4]]}, doc) == [3, 1, 2, 4]
    assert one(coll, {"$range": [0, 6, 2]}) == [0, 2, 4]
    assert one(coll, {"$zip": {"inputs": [[1, 2], ["a", "b"]]}}) == [[1, "a"], [2, "b"]]
    assert one(coll, {"$sortArray": {"input": "$a", "sortBy": -1}}, doc) == [3, 2, 1]
    with pytest.raises(OperationFailure) as failure:
        one(coll, {"$size": "$missing"})
    assert failure.value.code == 17124


def test_dates_with_time_zones(coll):
    doc = {"d": datetime.datetime(2024, 1, 1, 3, 30, 0)}  # UTC
    assert one(coll, {"$year": "$d"}, doc) == 2024
    assert one(coll, {"$hour": {"date": "$d", "timezone": "America/New_York"}}, doc) == 22
    assert one(coll, {"$dayOfMonth": {"date": "$d", "timezone": "America/New_York"}}, doc) == 31
    assert one(coll, {"$hour": {"date": "$d", "timezone": "+05:30"}}, doc) == 9
    assert one(coll, {"$minute": {"date": "$d", "timezone": "+05:30"}}, doc) == 0
    assert one(coll, {"$dateToString": {"date": "$d", "format": "%Y-%m-%d %H:%M", "timezone": "Asia/Tokyo"}},
               doc) == "2024-01-01 12:30"
    truncated = one(coll, {"$dateTrunc": {"date": "$d", "unit": "day", "timezone": "America/New_York"}}, doc)
    assert truncated == datetime.datetime(2023, 12, 31, 5, 0, 0)
    added = one(coll, {"$dateAdd": {"startDate": "$d", "unit": "month", "amount": 1}}, doc)
    assert added == datetime.datetime(2024, 2, 1, 3, 30, 0)
    assert one(coll, {"$dateDiff": {"startDate": "$d", "endDate": datetime.datetime(2024, 3, 1), "unit": "day"}},
               doc) == 60
    parsed = one(coll, {"$dateFromString": {"dateString": "2024-06-01T12:00:00", "timezone": "Europe/Paris"}})
    assert parsed == datetime.datetime(2024, 6, 1, 10, 0, 0)
    assert one(coll, {"$week": "$d"}, doc) == 0
    assert one(coll, {"$month": "$missing"}) is None


def test_type_conversions(coll):
    assert one(coll, {"$toInt": "42"}) == 42
    assert one(coll, {"$toLong": 5}) == Int64(5)
    assert one(coll, {"$toDouble": "2.5"}) == 2.5
    assert one(coll, {"$toDecimal": 1}) == Decimal128("1")
    assert one(coll, {"$toString": 7}) == "7"
    assert one(coll, {"$toBool": 0}) is False
    assert one(coll, {"$toDate": Int64(0)}) == datetime.datetime(1970, 1, 1)
    assert str(one(coll, {"$toObjectId": "5ab9cbfa31c2ab715d42129e"})) == "5ab9cbfa31c2ab715d42129e"
    assert one(coll, {"$type": "$missing"}) == "missing"
    assert one(coll, {"$convert": {"input": "abc", "to": "int", "onError": -1}}) == -1
    assert one(coll, {"$convert": {"input": None, "to": "int", "onNull": 0}}) == 0
    with pytest.raises(OperationFailure) as failure:
        one(coll, {"$toInt": "abc"})
    assert failure.value.code == 241


def test_objects_literals_and_variables(coll):
    doc = {"o": {"a": 1, "b": 2}}
    assert one(coll, {"$objectToArray": "$o"}, doc) == [{"k": "a", "v": 1}, {"k": "b", "v": 2}]
    assert one(coll, {"$arrayToObject": [[["x", 1], ["y", 2]]]}) == {"x": 1, "y": 2}
    assert one(coll, {"$mergeObjects": ["$o", {"b": 3}]}, doc) == {"a": 1, "b": 3}
    assert one(coll, {"$getField": {"field": "a", "input": "$o"}}, doc) == 1
    assert one(coll, {"$setField": {"field": "c", "input": "$o", "value": 9}}, doc) == {"a": 1, "b": 2, "c": 9}
    assert one(coll, {"$literal": "$notAPath"}) == "$notAPath"
    assert one(coll, {"$let": {"vars": {"t": {"$add": ["$o.a", "$o.b"]}}, "in": {"$multiply": ["$$t", 2]}}}, doc) == 6
    assert one(coll, "$$ROOT.o.b", doc) == 2
    assert one(coll, {"$cond": [True, "$$REMOVE", 1]}) == "<missing>"
    assert isinstance(one(coll, "$$NOW"), datetime.datetime)


def test_let_option_reaches_aggregate(coll):
    coll.insert_many([{"_id": 1, "x": 5}, {"_id": 2, "x": 50}])
    result = run(coll, [{"$match": {"$expr": {"$gt": ["$x", "$$min"]}}}, {"$project": {"y": {"$add": ["$x", "$$bump"]}}}],
                 let={"min": 10, "bump": 1})
    assert result == [{"_id": 2, "y": 51}]


# -- the remaining stages -------------------------------------------------------------------

def test_bucket_auto(coll):
    coll.insert_many([{"_id": i, "v": i} for i in range(10)])
    result = run(coll, [{"$bucketAuto": {"groupBy": "$v", "buckets": 2}}])
    assert result == [{"_id": {"min": 0, "max": 5}, "count": 5}, {"_id": {"min": 5, "max": 9}, "count": 5}]


def test_graph_lookup_reports_depth(db):
    db.employees.insert_many([{"_id": 1, "name": "Dev"}, {"_id": 2, "name": "Eliot", "reportsTo": "Dev"},
                              {"_id": 3, "name": "Ron", "reportsTo": "Eliot"}, {"_id": 4, "name": "Andrew", "reportsTo": "Eliot"}])
    result = run(db.employees, [{"$match": {"name": "Ron"}}, {"$graphLookup": {
        "from": "employees", "startWith": "$reportsTo", "connectFromField": "reportsTo", "connectToField": "name",
        "as": "chain", "depthField": "depth"}}])
    assert sorted((d["name"], d["depth"]) for d in result[0]["chain"]) == [("Dev", 1), ("Eliot", 0)]


def test_set_window_fields_running_total_and_rank(coll):
    coll.insert_many([{"_id": 1, "state": "CA", "qty": 162, "year": 2019}, {"_id": 2, "state": "CA", "qty": 120, "year": 2020},
                      {"_id": 3, "state": "WA", "qty": 134, "year": 2019}, {"_id": 4, "state": "WA", "qty": 140, "year": 2020}])
    result = run(coll, [{"$setWindowFields": {
        "partitionBy": "$state", "sortBy": {"year": 1},
        "output": {"total": {"$sum": "$qty", "window": {"documents": ["unbounded", "current"]}},
                   "rank": {"$rank": {}}}}}, {"$sort": {"_id": 1}}])
    assert [(d["total"], d["rank"]) for d in result] == [(162, 1), (282, 2), (134, 1), (274, 2)]


def test_fill_and_densify(coll, db):
    coll.insert_many([{"_id": 1, "t": 1, "v": 10}, {"_id": 2, "t": 2}, {"_id": 3, "t": 3, "v": 30}])
    filled = run(coll, [{"$fill": {"sortBy": {"t": 1}, "output": {"v": {"method": "linear"}}}}, {"$sort": {"t": 1}}])
    assert [d["v"] for d in filled] == [10, 20, 30]
    db.points.insert_many([{"x": 0}, {"x": 4}])
    dense = run(db.points, [{"$densify": {"field": "x", "range": {"step": 2, "bounds": "full"}}},
                            {"$project": {"_id": 0, "x": 1}}, {"$sort": {"x": 1}}])
    assert dense == [{"x": 0}, {"x": 2}, {"x": 4}]


def test_merge_into_another_collection(coll, db):
    coll.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}])
    db.target.insert_one({"_id": 1, "n": 100, "keep": True})
    run(coll, [{"$merge": {"into": "target", "whenMatched": "merge", "whenNotMatched": "insert"}}])
    assert list(db.target.find().sort("_id", 1)) == [{"_id": 1, "n": 1, "keep": True}, {"_id": 2, "n": 2}]
    with pytest.raises(OperationFailure) as failure:
        run(coll, [{"$merge": {"into": "target", "whenMatched": "fail"}}])
    assert failure.value.code == 11000


def test_coll_stats_index_stats_and_redact(coll):
    coll.insert_many([{"_id": 1, "level": 1, "inner": {"level": 5, "secret": True}}])
    coll.create_index("level")
    stats = run(coll, [{"$collStats": {"count": {}}}])
    assert stats[0]["count"] == 1
    assert {d["name"] for d in run(coll, [{"$indexStats": {}}])} == {"_id_", "level_1"}
    redacted = run(coll, [{"$redact": {"$cond": [{"$gte": ["$level", 5]}, "$$PRUNE", "$$DESCEND"]}}])
    assert redacted == [{"_id": 1, "level": 1}]
    assert error_code(coll, [{"$match": {}}, {"$collStats": {}}]) == 40602


def test_remaining_accumulators(coll):
    coll.insert_many([{"_id": i, "g": 1, "v": v, "o": {f"k{i}": i}} for i, v in enumerate([2, 4, 4, 4, 5, 5, 7, 9])])
    result = run(coll, [{"$group": {
        "_id": "$g",
        "samp": {"$stdDevSamp": "$v"},
        "merged": {"$mergeObjects": "$o"},
        "top": {"$top": {"sortBy": {"v": -1}, "output": "$_id"}},
        "bottom2": {"$bottomN": {"n": 2, "sortBy": {"v": -1}, "output": "$v"}},
        "p": {"$percentile": {"input": "$v", "p": [0.5, 0.9], "method": "approximate"}},
    }}])[0]
    assert result["samp"] == pytest.approx(2.138089935299395)  # sqrt(32 / 7)
    assert result["merged"] == {f"k{i}": i for i in range(8)}
    assert result["top"] == 7
    assert result["bottom2"] == [4, 2]
    assert result["p"] == [4, 9]
