# Extreme numbers in every option and operator argument that takes one (hostile.py's table):
# each request gets an answer (ok: 1, or ok: 0 with MongoDB's code and code name), the server
# never dies, and the documents committed before are intact afterwards. Then the specific
# results MongoDB gives at the edges (int64 overflow widening, error codes).

from __future__ import annotations

import datetime
import time

import pytest
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.codec_options import CodecOptions, DatetimeConversion
from pymongo.errors import OperationFailure

from hostile import ADMIN_PLACES, EXTREMES, INT64_MAX, INT64_MIN, PLACES, SEED, describe
from tessera_server import TesseraServer

# Results may hold dates beyond Python's datetime range.
AUTO_DATES = CodecOptions(datetime_conversion=DatetimeConversion.DATETIME_AUTO)
DATE = datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc)


def seed_documents():
    docs = []
    for doc in SEED:
        doc = dict(doc)
        doc["d"] = DATE
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    server = TesseraServer(root / "db", root / "server.log")
    server.start()
    yield server
    if server.running:
        code = server.stop()
        assert code == 0, f"exit {code}; log tail:\n{server.log_tail()}"


def reseed(client):
    db = client["hostile"]
    db["c"].drop()
    db["c"].insert_many(seed_documents())
    db["guard"].drop()
    db["guard"].insert_many([{"_id": i, "v": f"guard-{i}"} for i in range(50)])


def check_reply(reply: dict, where: str) -> None:
    if reply.get("ok") == 1:
        return
    assert isinstance(reply.get("code"), int) and reply["code"] > 0, f"{where}: error without a code: {reply}"
    assert isinstance(reply.get("codeName"), str) and reply["codeName"], f"{where}: error without a code name: {reply}"
    assert isinstance(reply.get("errmsg"), str), f"{where}: error without a message: {reply}"


def server_died(server, wait: float = 90.0) -> bool:
    """True when the server process has exited (waiting a little: a dying process closes its
    sockets before it is reaped)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not server.running:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("place", [name for name, _ in PLACES])
def test_every_extreme_gets_an_answer_and_the_server_stays_up(hostile_server, place):
    builder = dict(PLACES)[place]
    crashed = []
    if not hostile_server.running:  # an earlier place killed it: that test has failed already
        hostile_server.start()
    with hostile_server.client(serverSelectionTimeoutMS=5000, socketTimeoutMS=15000, retryWrites=False, retryReads=False) as client:
        reseed(client)
        database = client["admin" if place in ADMIN_PLACES else "hostile"]
        for value in EXTREMES:
            where = f"{place} with {describe(value)}"
            try:
                reply = database.command(builder(value), check=False, codec_options=AUTO_DATES)
            except OperationFailure as failure:
                reply = failure.details or {}
            except Exception as error:  # connection lost: the server may have died
                if not server_died(hostile_server):
                    crashed.append(where)
                    hostile_server.start()
                    continue
                raise AssertionError(f"{where}: {error!r}") from error
            check_reply(reply, where)
        assert hostile_server.running, f"{place}: the server died"
    assert not crashed, f"requests that killed the server: {crashed}\n{hostile_server.log_tail(30)}"
    with hostile_server.client(serverSelectionTimeoutMS=5000) as client:
        guard = list(client["hostile"]["guard"].find({}, sort=[("_id", 1)]))
        assert guard == [{"_id": i, "v": f"guard-{i}"} for i in range(50)]


# --- MongoDB's results at the edges -------------------------------------------------------------

@pytest.fixture
def seeded(hostile_server):
    if not hostile_server.running:
        hostile_server.start()
    with hostile_server.client(serverSelectionTimeoutMS=5000) as client:
        reseed(client)
        yield client["hostile"]


def expr(db, expression):
    return list(db["c"].aggregate([{"$match": {"_id": 1}}, {"$project": {"_id": 0, "out": expression}}]))[0].get("out")


def error_code(call) -> int:
    with pytest.raises(OperationFailure) as info:
        call()
    return info.value.code


def test_find_skip_near_int64_max_returns_nothing(seeded):
    assert list(seeded["c"].find({}, skip=2**62)) == []
    reply = seeded.command({"find": "c", "skip": Int64(INT64_MAX), "limit": Int64(INT64_MAX)})
    assert reply["cursor"]["firstBatch"] == []


def test_negative_skip_is_refused_with_51024(seeded):
    assert error_code(lambda: seeded.command({"find": "c", "skip": -1})) == 51024


def test_count_with_int64_min_limit_counts_like_its_magnitude(seeded):
    # count takes the absolute value of a negative limit; Int64.min has none, so it is refused
    # or treated as no limit, never a trap.
    reply = seeded.command({"count": "c", "limit": Int64(INT64_MIN)}, check=False)
    check_reply(reply, "count limit Int64.min")
    assert seeded.command({"count": "c", "limit": -2})["n"] == 2


def test_max_time_ms_out_of_range_is_bad_value(seeded):
    for value in (Decimal128("1E+40"), float("inf"), float("nan"), -1, Int64(INT64_MAX), 1e300):
        code = error_code(lambda: seeded.command({"find": "c", "maxTimeMS": value}))
        assert code == 2, f"maxTimeMS {value!r} gave {code}"
    assert seeded.command({"find": "c", "maxTimeMS": 2**31 - 1})["ok"] == 1


def test_int64_sum_overflow_widens_to_double(seeded):
    out = list(seeded["c"].aggregate([{"$match": {"_id": {"$in": [1, 3]}}}, {"$group": {"_id": None, "s": {"$sum": "$big"}}}]))
    assert out[0]["s"] == float(2 * INT64_MAX)
    assert isinstance(out[0]["s"], float)
    assert expr(seeded, {"$add": [Int64(INT64_MAX), 1]}) == float(INT64_MAX) + 1
    assert expr(seeded, {"$multiply": [Int64(INT64_MAX), 2]}) == float(INT64_MAX) * 2
    assert expr(seeded, {"$subtract": [Int64(INT64_MIN), 1]}) == float(INT64_MIN) - 1


def test_abs_of_int64_min_is_refused_with_28680(seeded):
    assert error_code(lambda: expr(seeded, {"$abs": Int64(INT64_MIN)})) == 28680


def test_mod_of_int64_min_by_minus_one_is_zero(seeded):
    assert expr(seeded, {"$mod": [Int64(INT64_MIN), -1]}) == 0
    assert list(seeded["c"].find({"big": {"$mod": [-1, 0]}}, {"_id": 1})) == [{"_id": 1}, {"_id": 2}, {"_id": 3}]


def test_inc_overflow_of_a_long_is_refused(seeded):
    code = error_code(lambda: seeded["c"].update_one({"_id": 1}, {"$inc": {"big": 1}}))
    assert code == 2
    assert seeded["c"].find_one({"_id": 1})["big"] == INT64_MAX


def test_range_that_would_exhaust_memory_is_refused(seeded):
    # An end beyond 32 bits is refused by type (34446); one within them by memory (548).
    assert error_code(lambda: expr(seeded, {"$range": [0, Int64(INT64_MAX)]})) == 34446
    assert error_code(lambda: expr(seeded, {"$range": [0, 2**31 - 1]})) == 548
    assert len(expr(seeded, {"$range": [0, 1_000_000]})) == 1_000_000
    assert error_code(lambda: expr(seeded, {"$range": [0, 10, 0]})) == 34449


def test_round_places_out_of_range_is_refused(seeded):
    # Beyond 32 bits the place is refused by type (51082), within them by range (51083).
    assert error_code(lambda: expr(seeded, {"$round": [1.5, Int64(INT64_MAX)]})) == 51082
    assert error_code(lambda: expr(seeded, {"$round": [1.5, 101]})) == 51083
    assert error_code(lambda: expr(seeded, {"$trunc": [1.5, -21]})) == 51083


def test_array_elem_at_extreme_index(seeded):
    # An index beyond 32 bits is refused (28691); one within them past the end is missing.
    assert error_code(lambda: expr(seeded, {"$arrayElemAt": [[1, 2, 3], Int64(INT64_MIN)]})) == 28691
    assert expr(seeded, {"$arrayElemAt": [[1, 2, 3], 2**31 - 1]}) is None
    assert expr(seeded, {"$arrayElemAt": [[1, 2, 3], -(2**31)]}) is None
    assert expr(seeded, {"$arrayElemAt": [[1, 2, 3], -1]}) == 3


def test_substr_with_huge_lengths_clamps(seeded):
    assert expr(seeded, {"$substrCP": ["abcdef", 1, Int64(INT32_MAX := 2**31 - 1)]}) == "bcdef"
    assert expr(seeded, {"$substrBytes": ["abcdef", 2, -1]}) == "cdef"


def test_date_add_overflow_is_refused(seeded):
    code = error_code(lambda: expr(seeded, {"$dateAdd": {"startDate": "$d", "unit": "year", "amount": Int64(INT64_MAX)}}))
    assert code in (5166406, 2), code


def test_sample_and_limit_extremes(seeded):
    assert len(list(seeded["c"].aggregate([{"$sample": {"size": Int64(INT64_MAX)}}]))) == 3
    assert error_code(lambda: list(seeded["c"].aggregate([{"$limit": 0}]))) == 15958
    assert error_code(lambda: list(seeded["c"].aggregate([{"$sample": {"size": -1}}]))) == 28747


def test_capped_size_extremes(seeded):
    assert error_code(lambda: seeded.command({"create": "cx", "capped": True, "size": Int64(INT64_MAX)})) in (2, 72)
    assert error_code(lambda: seeded.command({"create": "cy", "capped": True, "size": -1})) in (2, 72)


def test_ttl_expire_after_seconds_extremes(seeded):
    for value in (-1, Int64(INT64_MAX), float("nan"), float("inf")):
        code = error_code(lambda: seeded["ttl2"].create_index("d", expireAfterSeconds=value))
        assert code in (2, 67), f"{value!r}: {code}"


# --- Index key lengths --------------------------------------------------------------------------

# String lengths around every boundary a length prefix or a small buffer could have, up to
# values whose two copies (fields s and u) fill most of a 16 MiB document.
KEY_LENGTHS = [0, 1, 127, 128, 255, 256, 1023, 1024, 1025, 65535, 65536, 65537, 1 << 20, 7 * (1 << 20)]
KEY_INDEXES = {"s_1": [("s", 1)], "s_-1_t_1": [("s", -1), ("t", 1)], "s_hashed": [("s", "hashed")]}


def test_index_keys_of_every_length_are_stored_and_found(seeded, hostile_server):
    # mongod (4.2+) has no index key length limit: every key is indexed and found through
    # each index, and the documents read back whole.
    keys = seeded["keys"]
    keys.drop()
    for name, pattern in KEY_INDEXES.items():
        keys.create_index(pattern, name=name)
    keys.create_index([("u", 1)], name="u_1", unique=True)
    for length in KEY_LENGTHS:
        keys.insert_one({"_id": length, "s": "k" * length, "t": length, "u": "u" * length})
    # An _id is an index key too.
    long_id = "i" * (1 << 20)
    keys.insert_one({"_id": long_id, "t": -1})
    for length in KEY_LENGTHS:
        lookups = [(name, {"s": "k" * length}) for name in KEY_INDEXES] + [("u_1", {"u": "u" * length})]
        for name, query in lookups:
            found = list(keys.find(query, {"_id": 1, "t": 1}).hint(name))
            assert found == [{"_id": length, "t": length}], f"{name} length {length}: {found!r}"
    # The unique index tells a long key from the same key one character shorter or longer.
    with pytest.raises(OperationFailure) as duplicate:
        keys.insert_one({"_id": "dup", "u": "u" * (1 << 20)})
    assert duplicate.value.code == 11000
    keys.insert_one({"_id": "near", "u": "u" * ((1 << 20) + 1)})
    assert keys.find_one({"_id": long_id}) == {"_id": long_id, "t": -1}
    ordered = [d["t"] for d in keys.find({"s": {"$exists": True}}, {"t": 1}).sort("s", 1).hint("s_1")]
    assert ordered == sorted(KEY_LENGTHS)
    assert hostile_server.running
    assert keys.count_documents({}) == len(KEY_LENGTHS) + 2
    guard = list(seeded["guard"].find({}, sort=[("_id", 1)]))
    assert guard == [{"_id": i, "v": f"guard-{i}"} for i in range(50)]


def test_compound_index_fields_are_limited_like_mongod(seeded, hostile_server):
    # 32 fields (mongod's most, one direction bit each) work; the 33rd is refused with 13103.
    wide = seeded["wide"]
    wide.drop()
    pattern = [(f"f{i}", 1 if i % 2 == 0 else -1) for i in range(33)]
    wide.create_index(pattern[:32], name="wide32")
    document = {"_id": 1, **{f"f{i}": i for i in range(33)}}
    wide.insert_one(document)
    assert wide.find_one({"f0": 0, "f31": 31}, hint="wide32") == document
    with pytest.raises(OperationFailure) as refused:
        wide.create_index(pattern, name="wide33")
    assert refused.value.code == 13103
    assert refused.value.details.get("codeName") == "Location13103"
    assert [index["name"] for index in wide.list_indexes()] == ["_id_", "wide32"]
    assert hostile_server.running
    assert wide.find_one({"_id": 1}) == document
