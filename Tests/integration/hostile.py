# Hostile values and the places a client can put them: the extremes of every BSON number type
# (and a few wrong types) crossed with every command option and operator argument that takes
# a number. Used by test_hostile_numbers.py and by the seeded command fuzzer.

from __future__ import annotations

import math

from bson.decimal128 import Decimal128
from bson.int64 import Int64

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

# Every number a client can send that has ever broken a conversion somewhere, and the wrong
# types that options must refuse rather than misread.
EXTREMES: list = [
    Int64(INT64_MIN), Int64(INT64_MIN + 1), Int64(INT64_MAX), Int64(INT64_MAX - 1),
    INT32_MIN, INT32_MAX, Int64(INT32_MAX + 1), Int64(INT32_MIN - 1),
    -1, 0, 1, 2,
    float("nan"), float("inf"), float("-inf"), -0.0, 0.5, -1.5,
    1e308, -1e308, 9.223372036854776e18, -9.223372036854776e18, 1.8446744073709552e19,
    4294967296.0, 5e-324,
    Decimal128("9.999999999999999999999999999999999E+6144"),
    Decimal128("-9.999999999999999999999999999999999E+6144"),
    Decimal128("1E+40"), Decimal128("-1E+40"), Decimal128("NaN"), Decimal128("Infinity"),
    Decimal128("-Infinity"), Decimal128("9223372036854775808"), Decimal128("-0"),
    Decimal128("1E-6176"),
    "7", None, True, [], {},
]


def describe(value) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return f"{type(value).__name__}({value!r})"[:60]


def _stage(stage: dict) -> dict:
    return {"aggregate": "c", "pipeline": [stage], "cursor": {}}


def _expr(expression) -> dict:
    return _stage({"$project": {"_id": 0, "out": expression}})


def _group(accumulator) -> dict:
    return _stage({"$group": {"_id": None, "out": accumulator}})


def _window(output: dict) -> dict:
    return _stage({"$setWindowFields": {"sortBy": {"n": 1}, "output": {"out": output}}})


# (name, builder): each builder takes one hostile value and returns a command document for
# the database `hostile` whose collection `c` holds SEED documents.
PLACES: list[tuple[str, callable]] = [
    # find and cursors
    ("find.skip", lambda x: {"find": "c", "skip": x}),
    ("find.limit", lambda x: {"find": "c", "limit": x}),
    ("find.batchSize", lambda x: {"find": "c", "batchSize": x}),
    ("find.maxTimeMS", lambda x: {"find": "c", "maxTimeMS": x}),
    ("find.skip+limit", lambda x: {"find": "c", "skip": x, "limit": x}),
    ("find.sort", lambda x: {"find": "c", "sort": {"n": x}}),
    ("find.projection.$slice", lambda x: {"find": "c", "projection": {"arr": {"$slice": x}}}),
    ("find.projection.$slice2", lambda x: {"find": "c", "projection": {"arr": {"$slice": [x, x]}}}),
    ("find.projection.$slice3", lambda x: {"find": "c", "projection": {"arr": {"$slice": [1, x]}}}),
    ("find.filter.$mod", lambda x: {"find": "c", "filter": {"n": {"$mod": [x, x]}}}),
    ("find.filter.$mod-1", lambda x: {"find": "c", "filter": {"n": {"$mod": [-1, x]}}}),
    ("find.filter.$size", lambda x: {"find": "c", "filter": {"arr": {"$size": x}}}),
    ("find.filter.$bitsAllSet", lambda x: {"find": "c", "filter": {"n": {"$bitsAllSet": x}}}),
    ("find.filter.$type", lambda x: {"find": "c", "filter": {"n": {"$type": x}}}),
    ("find.filter.$eq", lambda x: {"find": "c", "filter": {"n": x}}),
    ("find.filter.$expr", lambda x: {"find": "c", "filter": {"$expr": {"$gt": [{"$add": ["$n", x]}, 0]}}}),
    ("find.filter.$in", lambda x: {"find": "c", "filter": {"n": {"$in": [x, 1]}}}),
    ("find.hint", lambda x: {"find": "c", "hint": {"n": x}}),
    ("getMore.batchSize", lambda x: {"getMore": Int64(1), "collection": "c", "batchSize": x}),
    ("getMore.maxTimeMS", lambda x: {"getMore": Int64(1), "collection": "c", "maxTimeMS": x}),
    ("getMore.maxAwaitTimeMS", lambda x: {"getMore": Int64(1), "collection": "c", "maxAwaitTimeMS": x}),
    ("getMore.id", lambda x: {"getMore": x, "collection": "c"}),
    ("killCursors", lambda x: {"killCursors": "c", "cursors": [x]}),
    ("count.limit", lambda x: {"count": "c", "limit": x}),
    ("count.skip", lambda x: {"count": "c", "skip": x}),
    ("count.skip+limit", lambda x: {"count": "c", "skip": x, "limit": x}),
    ("count.maxTimeMS", lambda x: {"count": "c", "maxTimeMS": x}),
    ("distinct.maxTimeMS", lambda x: {"distinct": "c", "key": "n", "maxTimeMS": x}),
    ("aggregate.batchSize", lambda x: {"aggregate": "c", "pipeline": [], "cursor": {"batchSize": x}}),
    ("aggregate.maxTimeMS", lambda x: {"aggregate": "c", "pipeline": [], "cursor": {}, "maxTimeMS": x}),
    ("listCollections.batchSize", lambda x: {"listCollections": 1, "cursor": {"batchSize": x}}),
    ("listIndexes.batchSize", lambda x: {"listIndexes": "c", "cursor": {"batchSize": x}}),
    ("findAndModify.maxTimeMS", lambda x: {"findAndModify": "c", "query": {"_id": 1}, "update": {"$set": {"m": 1}}, "maxTimeMS": x}),
    ("collStats.scale", lambda x: {"collStats": "c", "scale": x}),
    ("dbStats.scale", lambda x: {"dbStats": 1, "scale": x}),
    ("$collStats.scale", lambda x: _stage({"$collStats": {"storageStats": {"scale": x}}})),
    ("writeConcern.wtimeout", lambda x: {"insert": "scratch", "documents": [{"v": 1}], "writeConcern": {"w": 1, "wtimeout": x}}),
    ("writeConcern.w", lambda x: {"insert": "scratch", "documents": [{"v": 1}], "writeConcern": {"w": x}}),
    # stages
    ("$limit", lambda x: _stage({"$limit": x})),
    ("$skip", lambda x: _stage({"$skip": x})),
    ("$sample", lambda x: _stage({"$sample": {"size": x}})),
    ("$bucketAuto", lambda x: _stage({"$bucketAuto": {"groupBy": "$n", "buckets": x}})),
    ("$bucketAuto.groupBy", lambda x: _stage({"$bucketAuto": {"groupBy": {"$literal": x}, "buckets": 3}})),
    ("$bucket", lambda x: _stage({"$bucket": {"groupBy": "$n", "boundaries": [x, 1e309], "default": "d"}})),
    ("$densify", lambda x: _stage({"$densify": {"field": "n", "range": {"step": x, "bounds": "full"}}})),
    ("$densify.bounds", lambda x: _stage({"$densify": {"field": "n", "range": {"step": 1, "bounds": [0, x]}}})),
    ("$graphLookup.maxDepth", lambda x: _stage({"$graphLookup": {"from": "c", "startWith": "$n", "connectFromField": "n", "connectToField": "n", "as": "g", "maxDepth": x}})),
    ("$sort", lambda x: _stage({"$sort": {"n": x}})),
    ("$sortByCount", lambda x: _stage({"$sortByCount": {"$literal": x}})),
    ("$setWindowFields.documents", lambda x: _window({"$sum": "$n", "window": {"documents": [x, x]}})),
    ("$setWindowFields.range", lambda x: _window({"$sum": "$n", "window": {"range": [x, x]}})),
    ("$setWindowFields.rangeUnit", lambda x: _stage({"$setWindowFields": {"sortBy": {"d": 1}, "output": {"out": {"$sum": 1, "window": {"range": [x, 1], "unit": "day"}}}}})),
    ("$shift", lambda x: _window({"$shift": {"output": "$n", "by": x, "default": 0}})),
    ("$expMovingAvg.N", lambda x: _window({"$expMovingAvg": {"input": "$n", "N": x}})),
    ("$expMovingAvg.alpha", lambda x: _window({"$expMovingAvg": {"input": "$n", "alpha": x}})),
    ("$derivative", lambda x: _stage({"$setWindowFields": {"sortBy": {"d": 1}, "output": {"out": {"$derivative": {"input": {"$literal": x}, "unit": "second"}, "window": {"documents": [-1, 0]}}}}})),
    ("$fill", lambda x: _stage({"$fill": {"sortBy": {"n": 1}, "output": {"m": {"value": x}}}})),
    # accumulators
    ("$sum", lambda x: _group({"$sum": {"$literal": x}})),
    ("$sum.big", lambda x: _group({"$sum": "$big"})),
    ("$avg", lambda x: _group({"$avg": {"$literal": x}})),
    ("$stdDevPop", lambda x: _group({"$stdDevPop": {"$literal": x}})),
    ("$firstN", lambda x: _group({"$firstN": {"input": "$n", "n": x}})),
    ("$topN", lambda x: _group({"$topN": {"output": "$n", "sortBy": {"n": 1}, "n": x}})),
    ("$maxN", lambda x: _group({"$maxN": {"input": "$n", "n": x}})),
    ("$percentile", lambda x: _group({"$percentile": {"input": "$n", "p": [x], "method": "approximate"}})),
    ("$push.literal", lambda x: _group({"$push": {"$literal": x}})),
    # expressions
    ("$range", lambda x: _expr({"$range": [0, x]})),
    ("$range.step", lambda x: _expr({"$range": [0, 10, x]})),
    ("$range.start", lambda x: _expr({"$range": [x, 10, 1]})),
    ("$range.both", lambda x: _expr({"$range": [x, x, x]})),
    ("$substrCP", lambda x: _expr({"$substrCP": ["abcdef", x, x]})),
    ("$substrCP.len", lambda x: _expr({"$substrCP": ["abcdef", 1, x]})),
    ("$substrBytes", lambda x: _expr({"$substrBytes": ["abcdef", x, x]})),
    ("$substrBytes.len", lambda x: _expr({"$substrBytes": ["abcdef", 1, x]})),
    ("$substr", lambda x: _expr({"$substr": ["abcdef", x, x]})),
    ("$indexOfCP", lambda x: _expr({"$indexOfCP": ["abcdef", "c", x, x]})),
    ("$indexOfBytes", lambda x: _expr({"$indexOfBytes": ["abcdef", "c", x, x]})),
    ("$indexOfArray", lambda x: _expr({"$indexOfArray": [[1, 2, 3], 2, x, x]})),
    ("$arrayElemAt", lambda x: _expr({"$arrayElemAt": [[1, 2, 3], x]})),
    ("$slice", lambda x: _expr({"$slice": [[1, 2, 3], x]})),
    ("$slice3", lambda x: _expr({"$slice": [[1, 2, 3], x, x]})),
    ("$slice3b", lambda x: _expr({"$slice": [[1, 2, 3], 1, x]})),
    ("$firstN.expr", lambda x: _expr({"$firstN": {"input": [1, 2, 3], "n": x}})),
    ("$lastN.expr", lambda x: _expr({"$lastN": {"input": [1, 2, 3], "n": x}})),
    ("$round", lambda x: _expr({"$round": [1234.5678, x]})),
    ("$round.value", lambda x: _expr({"$round": [x, 2]})),
    ("$round.int", lambda x: _expr({"$round": [Int64(INT64_MAX), x]})),
    ("$trunc", lambda x: _expr({"$trunc": [1234.5678, x]})),
    ("$trunc.int", lambda x: _expr({"$trunc": [Int64(INT64_MIN), x]})),
    ("$pow", lambda x: _expr({"$pow": [x, x]})),
    ("$pow.base2", lambda x: _expr({"$pow": [2, x]})),
    ("$pow.long", lambda x: _expr({"$pow": [Int64(INT64_MAX), x]})),
    ("$pow.negbase", lambda x: _expr({"$pow": [-1, x]})),
    ("$pow.zero", lambda x: _expr({"$pow": [0, x]})),
    ("$multiply", lambda x: _expr({"$multiply": [x, x]})),
    ("$multiply.long", lambda x: _expr({"$multiply": [Int64(INT64_MAX), x]})),
    ("$add", lambda x: _expr({"$add": [x, Int64(INT64_MAX)]})),
    ("$add.date", lambda x: _expr({"$add": ["$d", x]})),
    ("$subtract", lambda x: _expr({"$subtract": [Int64(INT64_MIN), x]})),
    ("$subtract.date", lambda x: _expr({"$subtract": ["$d", x]})),
    ("$divide", lambda x: _expr({"$divide": [x, x]})),
    ("$divide.min", lambda x: _expr({"$divide": [Int64(INT64_MIN), x]})),
    ("$mod", lambda x: _expr({"$mod": [x, x]})),
    ("$mod.min", lambda x: _expr({"$mod": [Int64(INT64_MIN), x]})),
    ("$abs", lambda x: _expr({"$abs": x})),
    ("$abs.min", lambda x: _expr({"$abs": Int64(INT64_MIN)})),
    ("$sum.expr", lambda x: _expr({"$sum": [x, Int64(INT64_MAX), x]})),
    ("$avg.expr", lambda x: _expr({"$avg": [x, Int64(INT64_MAX), x]})),
    ("$ceil", lambda x: _expr({"$ceil": x})),
    ("$floor", lambda x: _expr({"$floor": x})),
    ("$exp", lambda x: _expr({"$exp": x})),
    ("$ln", lambda x: _expr({"$ln": x})),
    ("$log", lambda x: _expr({"$log": [x, x]})),
    ("$log10", lambda x: _expr({"$log10": x})),
    ("$sqrt", lambda x: _expr({"$sqrt": x})),
    ("$toInt", lambda x: _expr({"$toInt": x})),
    ("$toLong", lambda x: _expr({"$toLong": x})),
    ("$toDecimal", lambda x: _expr({"$toDecimal": x})),
    ("$toDouble", lambda x: _expr({"$toDouble": x})),
    ("$toDate", lambda x: _expr({"$toDate": x})),
    ("$toString", lambda x: _expr({"$toString": x})),
    ("$toBool", lambda x: _expr({"$toBool": x})),
    ("$convert.int", lambda x: _expr({"$convert": {"input": x, "to": "int", "onError": "e"}})),
    ("$convert.long", lambda x: _expr({"$convert": {"input": x, "to": "long"}})),
    ("$convert.to", lambda x: _expr({"$convert": {"input": 1, "to": x}})),
    ("$dateAdd", lambda x: _expr({"$dateAdd": {"startDate": "$d", "unit": "day", "amount": x}})),
    ("$dateAdd.ms", lambda x: _expr({"$dateAdd": {"startDate": "$d", "unit": "millisecond", "amount": x}})),
    ("$dateAdd.year", lambda x: _expr({"$dateAdd": {"startDate": "$d", "unit": "year", "amount": x}})),
    ("$dateAdd.month", lambda x: _expr({"$dateAdd": {"startDate": "$d", "unit": "month", "amount": x}})),
    ("$dateSubtract", lambda x: _expr({"$dateSubtract": {"startDate": "$d", "unit": "week", "amount": x}})),
    ("$dateDiff", lambda x: _expr({"$dateDiff": {"startDate": {"$toDate": x}, "endDate": "$d", "unit": "day"}})),
    ("$dateTrunc", lambda x: _expr({"$dateTrunc": {"date": "$d", "unit": "day", "binSize": x}})),
    ("$dateTrunc.week", lambda x: _expr({"$dateTrunc": {"date": {"$toDate": x}, "unit": "week", "binSize": 1}})),
    ("$dateFromParts", lambda x: _expr({"$dateFromParts": {"year": x, "month": x, "day": x, "hour": x, "minute": x, "second": x, "millisecond": x}})),
    ("$dateFromParts.iso", lambda x: _expr({"$dateFromParts": {"isoWeekYear": x, "isoWeek": x, "isoDayOfWeek": x}})),
    ("$dateFromParts.ms", lambda x: _expr({"$dateFromParts": {"year": 2020, "millisecond": x}})),
    ("$dateToString", lambda x: _expr({"$dateToString": {"date": {"$toDate": x}, "format": "%Y-%m-%dT%H:%M:%S.%LZ %G %V %u %j"}})),
    ("$dateToParts", lambda x: _expr({"$dateToParts": {"date": {"$toDate": x}, "iso8601": True}})),
    ("$year", lambda x: _expr({"$year": {"$toDate": x}})),
    ("$week", lambda x: _expr({"$isoWeek": {"$toDate": x}})),
    ("$dateFromString", lambda x: _expr({"$dateFromString": {"dateString": "2020-01-01", "timezone": x}})),
    ("$dateFromString.big", lambda x: _expr({"$dateFromString": {"dateString": "99999999-99-99T99:99:99"}})),
    ("$dateAdd.tz", lambda x: _expr({"$dateAdd": {"startDate": "$d", "unit": "hour", "amount": 1, "timezone": "+99:99"}})),
    ("$strLenCP", lambda x: _expr({"$strLenCP": x})),
    ("$split", lambda x: _expr({"$split": [x, x]})),
    ("$replaceAll", lambda x: _expr({"$replaceAll": {"input": "aaaa", "find": "", "replacement": x}})),
    ("$concat", lambda x: _expr({"$concat": ["a", x]})),
    ("$zip", lambda x: _expr({"$zip": {"inputs": [[1], x], "useLongestLength": True}})),
    ("$reduce", lambda x: _expr({"$reduce": {"input": [1, 2], "initialValue": x, "in": {"$add": ["$$value", "$$this"]}}})),
    ("$sortArray", lambda x: _expr({"$sortArray": {"input": [3, 1], "sortBy": x}})),
    ("$let", lambda x: _expr({"$let": {"vars": {"v": x}, "in": {"$multiply": ["$$v", "$$v"]}}})),
    ("$switch", lambda x: _expr({"$switch": {"branches": [{"case": x, "then": 1}], "default": 0}})),
    ("$cond", lambda x: _expr({"$cond": [x, x, x]})),
    ("$cmp", lambda x: _expr({"$cmp": [x, 1.0]})),
    ("$setField", lambda x: _expr({"$setField": {"field": x, "input": {}, "value": 1}})),
    ("$getField", lambda x: _expr({"$getField": {"field": x, "input": {}}})),
    ("$rand", lambda x: _expr({"$multiply": [{"$rand": {}}, x]})),
    ("$literal", lambda x: _expr({"$literal": x})),
    ("$objectToArray", lambda x: _expr({"$objectToArray": x})),
    ("$arrayToObject", lambda x: _expr({"$arrayToObject": [[["k", x]]]})),
    ("$isNumber", lambda x: _expr({"$isNumber": x})),
    ("$type", lambda x: _expr({"$type": x})),
    # updates
    ("$inc", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"big": x}}}]}),
    ("$inc.n", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": x}}}]}),
    ("$mul", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$mul": {"big": x}}}]}),
    ("$mul.neg", lambda x: {"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$mul": {"big": x}}}]}),
    ("$push.$slice", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$push": {"arr": {"$each": [1], "$slice": x}}}}]}),
    ("$push.$position", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$push": {"arr": {"$each": [1], "$position": x}}}}]}),
    ("$push.$sort", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$push": {"arr": {"$each": [1], "$sort": x}}}}]}),
    ("$bit", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$bit": {"n": {"and": x}}}}]}),
    ("$set.index", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {f"arr.{x}": 1}}}]}),
    ("$min", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$min": {"m": x}}}]}),
    ("$currentDate", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$currentDate": {"m": x}}}]}),
    ("update.limit", lambda x: {"delete": "c", "deletes": [{"q": {"_id": -99}, "limit": x}]}),
    ("update.pipeline", lambda x: {"update": "c", "updates": [{"q": {"_id": 1}, "u": [{"$set": {"m": {"$multiply": ["$big", x]}}}]}]}),
    # DDL
    ("createIndex.expireAfterSeconds", lambda x: {"createIndexes": "ttl", "indexes": [{"key": {"d": 1}, "name": "d_ttl", "expireAfterSeconds": x}]}),
    ("createIndex.direction", lambda x: {"createIndexes": "dir", "indexes": [{"key": {"d": x}, "name": "d_dir"}]}),
    ("createIndex.version", lambda x: {"createIndexes": "dir", "indexes": [{"key": {"v": 1}, "name": "v_v", "v": x}]}),
    ("collMod.expireAfterSeconds", lambda x: {"collMod": "ttl", "index": {"name": "d_ttl", "expireAfterSeconds": x}}),
    ("create.capped.size", lambda x: {"create": "capped_s", "capped": True, "size": x}),
    ("create.capped.max", lambda x: {"create": "capped_m", "capped": True, "size": 4096, "max": x}),
    ("convertToCapped", lambda x: {"convertToCapped": "scratch", "size": x}),
    ("cloneCollectionAsCapped", lambda x: {"cloneCollectionAsCapped": "c", "toCollection": "cl", "size": x}),
    # sessions, transactions, diagnostics
    ("txnNumber", lambda x: {"find": "c", "lsid": {"id": "dummy"}, "txnNumber": x}),
    ("killOp", lambda x: {"killOp": 1, "op": x}),
    ("getLog", lambda x: {"getLog": x}),
    ("explain.verbosity", lambda x: {"explain": {"find": "c", "limit": x}}),
    ("startSession", lambda x: {"startSession": 1, "timeout": x}),
    ("endSessions", lambda x: {"endSessions": [x]}),
    ("validate", lambda x: {"validate": "c", "full": x}),
]

# Commands whose target is the admin database.
ADMIN_PLACES = {"killOp", "getLog"}

SEED = [
    {"_id": 1, "n": 5, "big": Int64(INT64_MAX), "arr": [1, 2, 3], "s": "abc", "d": None},
    {"_id": 2, "n": -7, "big": Int64(INT64_MIN), "arr": [], "s": "", "d": None},
    {"_id": 3, "n": 0, "big": Int64(INT64_MAX), "arr": [[1], {"a": 1}], "s": "ß", "d": None},
]
