"""Streaming cursors through the wire: find and aggregate produce batches from the engine's
live cursor instead of building the whole result, so iterating ~300 MB of documents with
batch_size=100 keeps the server's resident memory far below the data size (and 2 GB within
100 MiB of idle: `make stream-2gb`, minutes long); and getMore on a cursor whose collection
changes between batches neither crashes nor repeats documents (it reads the snapshot it
opened on)."""

import os

import pytest

DOCUMENT_BYTES = 100_000
DOCUMENTS = 3_000  # ~300 MB of documents
# What iterating may add to the resident set over the idle server (the old whole-result
# cursor held all ~300 MB at once).
RSS_GROWTH_BOUND_KIB = 150 * 1024


def _fill(coll, count=DOCUMENTS, size=DOCUMENT_BYTES):
    payload = os.urandom(size // 2).hex()  # incompressible-ish text, `size` bytes
    batch = []
    for index in range(count):
        batch.append({"_id": index, "n": index, "payload": payload})
        if len(batch) == 50:
            coll.insert_many(batch, ordered=False)
            batch = []
    if batch:
        coll.insert_many(batch, ordered=False)


def test_find_over_300mb_streams_within_a_memory_bound(private_server, figures):
    _stream_within(private_server, figures, DOCUMENTS, RSS_GROWTH_BOUND_KIB)


@pytest.mark.long
def test_find_over_2gb_streams_within_100mib_of_idle(private_server, figures):
    # Issue 14's figure: a find({}) over 2 GB with batch_size=100 keeps RSS within 100 MB.
    _stream_within(private_server, figures, 20_000, 100 * 1024)


def _stream_within(private_server, figures, documents: int, bound_kib: int):
    """Fills `documents` of DOCUMENT_BYTES, then checks that iterating them with find and
    aggregate (batches of 100) grows the server's RSS by less than `bound_kib`."""
    with private_server.client() as client:
        coll = client["stream"]["big"]
        _fill(coll, count=documents)
        idle = private_server.rss_kib()
        peak = idle
        seen = 0
        expected_n = 0
        cursor = coll.find({}, batch_size=100)
        for document in cursor:
            assert document["n"] == expected_n
            expected_n += 1
            seen += 1
            if seen % 100 == 0:
                peak = max(peak, private_server.rss_kib())
        assert seen == documents
        growth = peak - idle
        figures(f"streaming find over {documents * DOCUMENT_BYTES // 2**20} MiB: "
                       f"idle RSS {idle // 1024} MiB, peak {peak // 1024} MiB (+{growth // 1024} MiB)")
        assert growth < bound_kib, f"RSS grew by {growth // 1024} MiB while streaming"
        # An aggregation whose stages stream is bounded the same way.
        peak = private_server.rss_kib()
        start = peak
        count = 0
        for document in coll.aggregate([{"$match": {"n": {"$gte": 0}}}, {"$project": {"payload": 1}}], batchSize=100):
            count += 1
            if count % 100 == 0:
                peak = max(peak, private_server.rss_kib())
        assert count == documents
        assert peak - start < bound_kib, f"RSS grew by {(peak - start) // 1024} MiB while streaming aggregate"
        assert private_server.running


def test_get_more_after_concurrent_writes_reads_its_snapshot(coll, client):
    coll.insert_many([{"_id": index, "v": index % 7} for index in range(500)])
    coll.create_index("v")
    for query, sort in (({}, None), ({"v": {"$gte": 0}}, [("v", 1)]), ({}, [("v", -1), ("_id", 1)])):
        before = [document["_id"] for document in coll.find(query, sort=sort)]
        cursor = coll.find(query, sort=sort, batch_size=10)
        returned = [next(cursor)["_id"] for _ in range(10)]
        # Between getMores: new documents on both sides, deletes and updates of unread ones.
        coll.insert_many([{"_id": 1_000 + index, "v": 3} for index in range(100)])
        coll.insert_many([{"_id": -1 - index, "v": 3} for index in range(10)])
        coll.delete_many({"_id": {"$gte": 250, "$lt": 500}})
        coll.update_many({"_id": {"$lt": 250}}, {"$set": {"v": 99}})
        returned += [document["_id"] for document in cursor]
        assert len(returned) == len(set(returned)), "a document came twice"
        assert returned == before
        # Back to the starting contents for the next query.
        coll.delete_many({})
        coll.insert_many([{"_id": index, "v": index % 7} for index in range(500)])
    status = client.admin.command("ping")
    assert status["ok"] == 1


def test_killed_and_exhausted_cursors_are_gone(coll, client):
    coll.insert_many([{"_id": index} for index in range(300)])
    database = coll.database
    reply = database.command({"find": coll.name, "batchSize": 5})
    cursor_id = reply["cursor"]["id"]
    assert cursor_id != 0 and len(reply["cursor"]["firstBatch"]) == 5
    killed = database.command({"killCursors": coll.name, "cursors": [cursor_id]})
    assert killed["cursorsKilled"] == [cursor_id]
    # A limit reached in the first batch leaves no cursor; batchSize 0 opens one.
    assert database.command({"find": coll.name, "limit": 5, "batchSize": 5})["cursor"]["id"] == 0
    empty = database.command({"find": coll.name, "batchSize": 0})["cursor"]
    assert empty["firstBatch"] == [] and empty["id"] != 0
    rest = database.command({"getMore": empty["id"], "collection": coll.name})["cursor"]
    assert [document["_id"] for document in rest["nextBatch"]] == list(range(300))
    assert rest["id"] == 0
