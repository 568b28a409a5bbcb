# The point-find lane (issue 22): a `find` by `_id` with only limit/batchSize/singleBatch is
# answered on the event loop with the stored record written straight into the reply's BSON.
# Each test compares it with the ordinary path (the same find with a `comment`, which the
# lane leaves to the dispatcher): byte-for-byte equal documents, cursor fields, misses,
# collations, views; the counters and session bookkeeping it keeps; checksummed and
# compressed replies over a raw socket.

import json
import struct

import bson
import pytest
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient

import rawwire

RAW = CodecOptions(document_class=RawBSONDocument)

EVERY_TYPE = {
    "double": 2.5, "string": "ünïcode ✓", "doc": {"a": {"b": [1, {"c": None}]}}, "array": [1, "two", [3.0]],
    "binary": Binary(b"\x00\x01\x02", 0x80), "uuid": Binary(b"0123456789abcdef", 4), "oid": ObjectId(),
    "bool": True, "date": bson.datetime.datetime(2026, 12, 7, 12, 0, 0), "null": None,
    "regex": Regex("^a.c$", "im"), "code": Code("function () {}"), "int32": -7, "ts": Timestamp(5, 9),
    "int64": Int64(1 << 40), "decimal": Decimal128("1.25"), "min": MinKey(), "max": MaxKey(),
    "empty_doc": {}, "empty_array": [],
}


def lane(db, filter_, **options):
    """The reply to a find the lane answers (raw documents)."""
    return db.command({"find": "c", "filter": filter_, **options}, codec_options=RAW)


def ordinary(db, filter_, **options):
    """The same find through the dispatcher's ordinary path (`comment` is not a lane field)."""
    return db.command({"find": "c", "filter": filter_, "comment": "ordinary path", **options}, codec_options=RAW)


def batch_bytes(reply):
    return [document.raw for document in reply["cursor"]["firstBatch"]]


@pytest.mark.parametrize("options", [{}, {"limit": 1, "singleBatch": True}, {"limit": 1}, {"batchSize": 1},
                                     {"limit": Int64(5), "batchSize": Int64(2), "singleBatch": False}])
def test_lane_reply_equals_the_ordinary_path(db, options):
    oid = ObjectId()
    documents = [
        {"_id": "user1", **EVERY_TYPE},
        {"_id": oid, "nested": {"deep": [[[{"x": 1}]]]}, "s": "y" * 3000},
        {"_id": 7, "n": 7},
        {"_id": Int64(1 << 50), "big": True},
        {"_id": 5.0, "stored": "as a double"},
    ]
    db.c.insert_many(documents)
    for filter_ in ({"_id": "user1"}, {"_id": oid}, {"_id": 7}, {"_id": Int64(7)}, {"_id": Int64(1 << 50)},
                    {"_id": 5}, {"_id": "absent"}, {"_id": 8}):
        fast, slow = lane(db, filter_, **options), ordinary(db, filter_, **options)
        assert batch_bytes(fast) == batch_bytes(slow), filter_
        assert (fast["cursor"]["id"], fast["cursor"]["ns"]) == (slow["cursor"]["id"], slow["cursor"]["ns"]) == \
            (0, f"{db.name}.c")
        assert list(fast.keys()) == list(slow.keys()) == ["cursor", "ok", "operationTime", "$clusterTime"]
        assert fast["ok"] == 1.0 and isinstance(fast["ok"], float)
    assert db.c.find_one({"_id": "user1"}) == {"_id": "user1", **EVERY_TYPE}
    assert db.c.find_one({"_id": 5})["stored"] == "as a double"


def test_missing_collection_view_and_collation_keep_the_ordinary_answers(db):
    assert batch_bytes(lane(db, {"_id": 1})) == []  # no collection "c" yet
    db.create_collection("folded", collation={"locale": "en", "strength": 2})
    db.folded.insert_one({"_id": "Abc", "v": 1})
    found = db.command({"find": "folded", "filter": {"_id": "abc"}, "limit": 1, "singleBatch": True})
    again = db.command({"find": "folded", "filter": {"_id": "abc"}, "limit": 1, "singleBatch": True, "comment": "x"})
    assert found["cursor"]["firstBatch"] == again["cursor"]["firstBatch"] == [{"_id": "Abc", "v": 1}]
    db.base.insert_many([{"_id": 1, "k": "a"}, {"_id": 2, "k": "b"}])
    db.command("create", "c", viewOn="base", pipeline=[{"$match": {"k": "b"}}])
    assert lane(db, {"_id": 2})["cursor"]["firstBatch"][0]["k"] == "b"
    assert lane(db, {"_id": 1})["cursor"]["firstBatch"] == []


def test_malformed_point_finds_get_the_ordinary_errors(server, db):
    db.c.insert_one({"_id": 1})
    for command, code in [
        ({"find": "c", "filter": {"_id": 1}, "limit": -1}, 51024),
        ({"find": "c", "filter": {"_id": 1}, "batchSize": -1}, 51024),
    ]:
        with pytest.raises(Exception) as raised:
            db.command(command)
        assert getattr(raised.value, "code", None) == code, (command, raised.value)
    with rawwire.RawConnection(server.port) as conn:  # pymongo would put its own lsid
        reply = conn.command({"find": "c", "filter": {"_id": 1}, "lsid": {"id": Binary(b"short", 4)}, "$db": db.name})
        assert (reply["ok"], reply["code"]) == (0, 2)
    reply = db.command({"find": "c", "filter": {"_id": 1}, "batchSize": 0})
    assert reply["cursor"]["firstBatch"] == [] and reply["cursor"]["id"] != 0
    assert db.command({"getMore": reply["cursor"]["id"], "collection": "c"})["cursor"]["nextBatch"] == [{"_id": 1}]


def test_lane_keeps_the_counters_and_the_session(client, db):
    db.c.insert_many([{"_id": i} for i in range(3)])

    def figures():
        status = client.admin.command("serverStatus")
        top = client.admin.command("top")["totals"].get(f"{db.name}.c", {})
        return (status["opcounters"]["query"], status["metrics"]["document"]["returned"],
                status["metrics"]["queryExecutor"]["scanned"], status["opLatencies"]["reads"]["ops"],
                top.get("queries", {}).get("count", 0))

    before = figures()
    for i in range(5):  # three hits, two misses
        lane(db, {"_id": i}, limit=1, singleBatch=True)
    after = figures()
    # serverStatus and top themselves run between the two readings; each is not a query.
    assert after[0] - before[0] == 5
    assert after[1] - before[1] == 3 and after[2] - before[2] == 3
    assert after[3] - before[3] >= 5
    assert after[4] - before[4] == 5

    with client.start_session() as session:
        assert db.c.find_one({"_id": 1}, session=session) == {"_id": 1}
        live = [entry["_id"]["id"] for entry in client.admin.aggregate([{"$listLocalSessions": {}}])]
        assert session.session_id["id"] in live


def test_lane_find_is_logged_when_slow_as_the_ordinary_path_logs_it(client, db):
    db.c.insert_one({"_id": "slowly", "v": 1})
    client.admin.command("profile", -1, slowms=0)
    try:
        assert lane(db, {"_id": "slowly"}, limit=1, singleBatch=True)["cursor"]["firstBatch"][0]["v"] == 1
        ordinary(db, {"_id": "slowly"}, limit=1, singleBatch=True)
    finally:
        client.admin.command("profile", -1, slowms=100)
    lines = [json.loads(line) for line in client.admin.command("getLog", "global")["log"]
             if '"Slow query"' in line and f"{db.name}.c" in line]
    finds = [line["attr"] for line in lines if line["attr"].get("command", {}).get("filter") == {"_id": "slowly"}]
    fast = [attr for attr in finds if "comment" not in attr["command"]]
    slow = [attr for attr in finds if "comment" in attr["command"]]
    assert fast and slow, lines
    fields = ("ns", "type", "planSummary", "nreturned", "keysExamined", "docsExamined")
    assert {key: fast[-1].get(key) for key in fields} == {key: slow[-1].get(key) for key in fields}
    assert fast[-1]["nreturned"] == 1


def test_checksummed_reply_of_the_lane_verifies(server, db):
    db.c.insert_one({"_id": "k", "v": "x" * 200})
    with rawwire.RawConnection(server.port) as conn:
        conn.send(rawwire.op_msg({"find": "c", "filter": {"_id": "k"}, "limit": 1, "singleBatch": True,
                                  "$db": db.name}, checksum=True))
        head = conn._read_exactly(16)
        length = struct.unpack("<i", head[:4])[0]
        rest = conn._read_exactly(length - 16)
        raw = head + rest
        flags = struct.unpack("<I", raw[16:20])[0]
        assert flags & rawwire.CHECKSUM_PRESENT
        assert struct.unpack("<I", raw[-4:])[0] == rawwire.crc32c(raw[:-4])
        reply = rawwire.parse_reply(raw)
        assert reply.document["cursor"]["firstBatch"] == [{"_id": "k", "v": "x" * 200}]


@pytest.mark.parametrize("compressor", ["snappy", "zlib", "zstd"])
def test_compressed_lane_replies(server, db, compressor):
    db.c.insert_many([{"_id": i, "text": "lorem ipsum " * 40} for i in range(20)])
    with MongoClient(server.uri, compressors=compressor) as compressed:
        coll = compressed[db.name]["c"]
        for i in (0, 7, 19, 20):
            assert coll.find_one({"_id": i}) == ({"_id": i, "text": "lorem ipsum " * 40} if i < 20 else None)
    with rawwire.RawConnection(server.port) as conn:
        assert conn.command({"hello": 1, "compression": [compressor], "$db": "admin"})["compression"] == [compressor]
        message = rawwire.op_msg({"find": "c", "filter": {"_id": 3}, "limit": 1, "singleBatch": True, "$db": db.name})
        conn.send(rawwire.op_compressed(message, compressor))
        reply = conn.receive()
        assert reply.opcode == rawwire.OP_COMPRESSED and reply.compressor_id == rawwire.COMPRESSOR_IDS[compressor]
        assert reply.document["cursor"]["firstBatch"] == [{"_id": 3, "text": "lorem ipsum " * 40}]
