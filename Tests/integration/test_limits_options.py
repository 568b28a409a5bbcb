# Extreme and wrong-typed values in the DDL options hostile.py's table does not cover yet
# (issue 14): collMod's cappedSize/cappedMax/validator/validation settings and index flags,
# create's size/max/capped/validator/collation/clustered options, createIndexes' name, flags,
# text/2d/2dsphere options and collation. Every request gets an answer (ok: 1, or ok: 0 with a
# code and code name), the server stays up, the documents committed before are intact, and
# the store still opens after a restart with whatever options were accepted.

from __future__ import annotations

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from pymongo.errors import OperationFailure

from hostile import EXTREMES, INT64_MAX, INT64_MIN, describe
# A private server of this module's own (test_hostile_numbers' module-scoped fixture).
from test_hostile_numbers import hostile_server as options_server  # noqa: F401  (pytest fixture)

# Beyond hostile.py's numbers: strings and containers at their extremes.
SHAPES = ["", "x" * 100_000, [0] * 10_000, {"a" * 1000: 1}, {"$bad": 1}, {"nested": {"deep": [{"x": [None]}]}}]
VALUES = EXTREMES + SHAPES

GUARD = [{"_id": i, "v": f"guard-{i}", "d": i} for i in range(40)]


def _collmod(field):
    return lambda x: {"collMod": "capped", field: x}


PLACES = [
    ("collMod.cappedSize", _collmod("cappedSize")),
    ("collMod.cappedMax", _collmod("cappedMax")),
    ("collMod.validator", lambda x: {"collMod": "plain", "validator": x}),
    ("collMod.validator.$jsonSchema", lambda x: {"collMod": "plain", "validator": {"$jsonSchema": {"maxProperties": x}}}),
    ("collMod.validationLevel", lambda x: {"collMod": "plain", "validationLevel": x}),
    ("collMod.validationAction", lambda x: {"collMod": "plain", "validationAction": x}),
    ("collMod.index.hidden", lambda x: {"collMod": "plain", "index": {"name": "d_1", "hidden": x}}),
    ("collMod.index.keyPattern", lambda x: {"collMod": "plain", "index": {"keyPattern": x, "hidden": True}}),
    ("collMod.index.expireAfterSeconds.byKey", lambda x: {"collMod": "plain", "index": {"keyPattern": {"d": 1}, "expireAfterSeconds": x}}),
    ("collMod.index.prepareUnique", lambda x: {"collMod": "plain", "index": {"name": "d_1", "prepareUnique": x}}),
    ("collMod.expireAfterSeconds", lambda x: {"collMod": "plain", "expireAfterSeconds": x}),
    ("create.size", lambda x: {"create": "sized", "size": x}),
    ("create.max", lambda x: {"create": "maxed", "max": x}),
    ("create.capped", lambda x: {"create": "cap_flag", "capped": x, "size": 4096}),
    ("create.capped.size.max", lambda x: {"create": "cap_both", "capped": True, "size": x, "max": x}),
    ("create.validator", lambda x: {"create": "validated", "validator": x}),
    ("create.validationLevel", lambda x: {"create": "validated_l", "validationLevel": x}),
    ("create.collation.strength", lambda x: {"create": "collated", "collation": {"locale": "en", "strength": x}}),
    ("create.collation.locale", lambda x: {"create": "collated_l", "collation": {"locale": x}}),
    ("create.expireAfterSeconds", lambda x: {"create": "clustered", "clusteredIndex": {"key": {"_id": 1}, "unique": True}, "expireAfterSeconds": x}),
    ("create.clusteredIndex", lambda x: {"create": "clustered2", "clusteredIndex": x}),
    ("create.timeseries.granularity", lambda x: {"create": "ts", "timeseries": {"timeField": "t", "granularity": x}}),
    ("create.pipeline", lambda x: {"create": "view", "viewOn": "plain", "pipeline": [{"$limit": x}]}),
    ("create.name", lambda x: {"create": x}),
    ("createIndexes.name", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"n": 1}, "name": x}]}),
    ("createIndexes.key", lambda x: {"createIndexes": "plain", "indexes": [{"key": x, "name": "k_x"}]}),
    ("createIndexes.sparse", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"s": 1}, "name": "s_sparse", "sparse": x}]}),
    ("createIndexes.unique", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"u": 1}, "name": "u_unique", "unique": x}]}),
    ("createIndexes.hidden", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"h": 1}, "name": "h_hidden", "hidden": x}]}),
    ("createIndexes.partialFilterExpression", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"p": 1}, "name": "p_partial", "partialFilterExpression": x}]}),
    ("createIndexes.weights", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"t": "text"}, "name": "t_text", "weights": {"t": x}}]}),
    ("createIndexes.textIndexVersion", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"t2": "text"}, "name": "t2_text", "textIndexVersion": x}]}),
    ("createIndexes.2d.bits", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"loc": "2d"}, "name": "loc_2d", "bits": x}]}),
    ("createIndexes.2d.min", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"loc2": "2d"}, "name": "loc2_2d", "min": x, "max": 10}]}),
    ("createIndexes.2d.max", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"loc3": "2d"}, "name": "loc3_2d", "min": -10, "max": x}]}),
    ("createIndexes.2dsphereIndexVersion", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"geo": "2dsphere"}, "name": "geo_sphere", "2dsphereIndexVersion": x}]}),
    ("createIndexes.collation.strength", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"c": 1}, "name": "c_coll", "collation": {"locale": "en", "strength": x}}]}),
    ("createIndexes.wildcardProjection", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"$**": 1}, "name": "wild", "wildcardProjection": x}]}),
    ("createIndexes.commitQuorum", lambda x: {"createIndexes": "plain", "indexes": [{"key": {"q": 1}, "name": "q_1"}], "commitQuorum": x}),
    ("dropIndexes.index", lambda x: {"dropIndexes": "scratch", "index": x}),
    ("renameCollection.dropTarget", lambda x: {"renameCollection": "limits_opts.nonexistent", "to": "limits_opts.other", "dropTarget": x}),
]

ADMIN_PLACES = {"renameCollection.dropTarget"}


def _reset(db):
    for name in db.list_collection_names():
        if name != "guard":
            db.drop_collection(name)
    if "guard" not in db.list_collection_names():
        db["guard"].insert_many(GUARD)
    db.create_collection("capped", capped=True, size=65536, max=100)
    db["capped"].insert_many([{"_id": i} for i in range(10)])
    db["plain"].insert_many([{"_id": i, "d": i, "n": i} for i in range(10)])
    db["plain"].create_index("d", name="d_1")
    db["scratch"].insert_one({"_id": 1})


def _check(reply: dict, where: str) -> None:
    if reply.get("ok") == 1:
        return
    assert isinstance(reply.get("code"), int) and reply["code"] > 0, f"{where}: error without a code: {reply}"
    assert isinstance(reply.get("codeName"), str) and reply["codeName"], f"{where}: no code name: {reply}"


@pytest.mark.parametrize("place", [name for name, _ in PLACES])
def test_every_option_extreme_gets_an_answer(options_server, place):
    builder = dict(PLACES)[place]
    with options_server.client(serverSelectionTimeoutMS=5000, socketTimeoutMS=30000) as client:
        db = client["limits_opts"]
        _reset(db)
        target = client["admin"] if place in ADMIN_PLACES else db
        for value in VALUES:
            where = f"{place} with {describe(value)}"
            try:
                reply = target.command(builder(value), check=False)
            except OperationFailure as failure:
                reply = failure.details or {}
            except Exception as error:
                raise AssertionError(f"{where}: no answer ({error!r}); server running: "
                                     f"{options_server.running}\n{options_server.log_tail(30)}") from error
            _check(reply, where)
        assert client.admin.command("ping")["ok"] == 1
        assert list(db["guard"].find({}, sort=[("_id", 1)])) == GUARD
        # Whatever options were accepted, every collection still answers reads and writes.
        for name in db.list_collection_names():
            info = db.command({"listCollections": 1, "filter": {"name": name}})["cursor"]["firstBatch"][0]
            if info.get("type") == "view":
                continue
            list(db[name].find().limit(5))
    # And the store reopens with them.
    options_server.restart()
    with options_server.client(serverSelectionTimeoutMS=5000) as client:
        assert list(client["limits_opts"]["guard"].find({}, sort=[("_id", 1)])) == GUARD


# --- MongoDB's answers at the edges ----------------------------------------------------------

def _code(call) -> int:
    with pytest.raises(OperationFailure) as info:
        call()
    return info.value.code


@pytest.fixture
def fresh(options_server):
    if not options_server.running:
        options_server.start()
    with options_server.client(serverSelectionTimeoutMS=5000) as client:
        db = client["limits_opts"]
        _reset(db)
        yield db


def test_collmod_capped_size_extremes(fresh):
    for value in (0, -1, Int64(INT64_MIN), float("-inf"), Decimal128("-0")):
        assert _code(lambda: fresh.command({"collMod": "capped", "cappedSize": value})) == 72, describe(value)
    # NaN is no integer at all: refused as a type error or a bad value, never stored.
    assert _code(lambda: fresh.command({"collMod": "capped", "cappedSize": float("nan")})) in (2, 14, 72)
    for value in (Int64(INT64_MAX), float("inf"), 1e308, Decimal128("1E+40")):
        assert _code(lambda: fresh.command({"collMod": "capped", "cappedSize": value})) == 72, describe(value)
    for value in ("7", None, [], {}):
        assert _code(lambda: fresh.command({"collMod": "capped", "cappedSize": value})) == 14, describe(value)
    # Nothing above changed the collection: still capped at its old bounds, all documents there.
    stats = fresh.command({"collStats": "capped"})
    assert stats["maxSize"] == 65536 and stats["max"] == 100
    assert fresh["capped"].count_documents({}) == 10


def test_collmod_capped_max_extremes_keep_documents(fresh):
    for value in (Int64(INT64_MAX), Int64(INT64_MIN), float("nan"), float("inf"), -1, 0):
        fresh.command({"collMod": "capped", "cappedMax": value}, check=False)
        assert fresh["capped"].count_documents({}) == 10, describe(value)
    fresh.command({"collMod": "capped", "cappedMax": 5})
    fresh["capped"].insert_one({"_id": 99})
    assert fresh["capped"].count_documents({}) == 5


def test_create_capped_size_beyond_one_pib_is_refused(fresh):
    for value in (Int64(INT64_MAX), 1e308, float("inf"), Decimal128("9.999999999999999999999999999999999E+6144")):
        assert _code(lambda: fresh.command({"create": "cx", "capped": True, "size": value})) == 72, describe(value)
    assert "cx" not in fresh.list_collection_names()


def test_index_names_of_any_length_round_trip_or_are_refused(fresh):
    long_name = "n" * 100_000
    reply = fresh.command({"createIndexes": "plain", "indexes": [{"key": {"n": 1}, "name": long_name}]}, check=False)
    if reply["ok"] == 1:
        assert long_name in [index["name"] for index in fresh["plain"].list_indexes()]
        fresh["plain"].insert_one({"_id": 100, "n": 100})
        assert fresh["plain"].find_one({"n": 100}, hint=long_name)["_id"] == 100
    else:
        assert reply["code"] > 0 and reply["codeName"]
    assert _code(lambda: fresh.command({"createIndexes": "plain", "indexes": [{"key": {"e": 1}, "name": ""}]})) in (2, 67)


def test_ttl_index_expire_after_seconds_bounds(fresh):
    # MongoDB 8.0 takes 0 ... 2^31 - 1 seconds; anything else (or NaN) is refused.
    for value in (-1, Int64(INT64_MAX), Int64(2**31), float("nan"), float("inf"), Decimal128("1E+40")):
        code = _code(lambda: fresh.command({"createIndexes": "plain", "indexes": [
            {"key": {"e": 1}, "name": "e_ttl", "expireAfterSeconds": value}]}))
        assert code in (2, 67), describe(value)
        code = _code(lambda: fresh.command({"collMod": "plain", "index": {"name": "d_1", "expireAfterSeconds": value}}))
        assert code in (2, 72), describe(value)
    fresh.command({"createIndexes": "plain", "indexes": [{"key": {"e": 1}, "name": "e_ttl", "expireAfterSeconds": 2**31 - 1}]})
