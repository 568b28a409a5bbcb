# Compression: three pymongo clients (snappy, zlib, zstd) each doing real work, and for each
# compressor a raw OP_COMPRESSED exchange over a socket: hello negotiates the compressor,
# the compressed request is answered, and the answer itself comes back compressed.

import pytest
from pymongo import MongoClient

import rawwire

from support import count_matching

COMPRESSORS = ["snappy", "zlib", "zstd"]


@pytest.mark.parametrize("compressor", COMPRESSORS)
def test_driver_with_compressor_does_real_work(server, db, compressor):
    with MongoClient(server.uri, compressors=compressor) as compressed:
        coll = compressed[db.name]["c"]
        docs = [{"_id": i, "text": "lorem ipsum " * 40, "i": i} for i in range(2000)]
        assert len(coll.insert_many(docs).inserted_ids) == 2000
        back = list(coll.find({}, sort=[("_id", 1)], batch_size=100))
        assert back == docs
        coll.update_many({"i": {"$lt": 100}}, {"$set": {"text": "short"}})
        assert count_matching(coll, {"text": "short"}) == 100
        assert list(coll.aggregate([{"$match": {"i": {"$gte": 1990}}}, {"$count": "n"}])) == [{"n": 10}]
        assert compressed.admin.command("hello")["ok"] == 1


@pytest.mark.parametrize("compressor", COMPRESSORS)
def test_hello_negotiates_offered_compressor(server, compressor):
    with rawwire.RawConnection(server.port) as conn:
        reply = conn.command({"hello": 1, "compression": [compressor], "$db": "admin"})
        assert reply["compression"] == [compressor]


def test_hello_picks_from_offered_list_only(server):
    with rawwire.RawConnection(server.port) as conn:
        reply = conn.command({"hello": 1, "compression": ["lz4-unknown", "zlib"], "$db": "admin"})
        assert reply["compression"] == ["zlib"]
    with rawwire.RawConnection(server.port) as conn:
        reply = conn.command({"hello": 1, "$db": "admin"})
        assert not reply.get("compression")


@pytest.mark.parametrize("compressor", COMPRESSORS)
def test_raw_op_compressed_round_trip(server, client, db, compressor):
    db["raw"].insert_many([{"_id": i, "s": "abc" * 100} for i in range(20)])
    with rawwire.RawConnection(server.port) as conn:
        hello = conn.command({"hello": 1, "compression": [compressor], "$db": "admin"})
        assert hello["compression"] == [compressor]
        message = rawwire.op_msg({"find": "raw", "filter": {"_id": {"$lt": 5}}, "sort": {"_id": 1},
                                  "$db": db.name})
        conn.send(rawwire.op_compressed(message, compressor))
        reply = conn.receive()
        assert reply is not None, "server closed the connection on a compressed request"
        assert reply.opcode == rawwire.OP_COMPRESSED, "reply to a compressed request is compressed"
        assert reply.compressor_id == rawwire.COMPRESSOR_IDS[compressor]
        assert reply.inner_opcode == rawwire.OP_MSG
        assert reply.document["ok"] == 1
        assert [d["_id"] for d in reply.document["cursor"]["firstBatch"]] == [0, 1, 2, 3, 4]
        # A compressed write works too, and is visible through the driver.
        insert = rawwire.op_msg({"insert": "raw", "$db": db.name},
                                sequences=[("documents", [{"_id": 100, "via": compressor}])])
        conn.send(rawwire.op_compressed(insert, compressor))
        reply = conn.receive()
        assert reply.document["ok"] == 1 and reply.document["n"] == 1
    assert db["raw"].find_one({"_id": 100}) == {"_id": 100, "via": compressor}


def test_raw_noop_compressor_is_accepted(server):
    with rawwire.RawConnection(server.port) as conn:
        conn.send(rawwire.op_compressed(rawwire.op_msg({"ping": 1, "$db": "admin"}), "noop"))
        reply = conn.receive()
        assert reply is not None and reply.document["ok"] == 1
