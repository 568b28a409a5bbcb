# Capped collections and tailable cursors through pymongo: create options, insertion
# (natural) order, eviction of the oldest by size and by count, tailable awaitData cursors
# that wait for new documents, and the W2 queue (100,000 events through a tailing consumer).

import threading
import time

import pytest
from pymongo import CursorType
from pymongo.errors import OperationFailure


def try_next(cursor):
    """The next document of a tailable cursor, or None when it has none yet."""
    try:
        return cursor.next()
    except StopIteration:
        return None


def test_create_capped_reports_its_limits(db):
    db.create_collection("cap", capped=True, size=1000, max=10)
    stats = db.command("collStats", "cap")
    assert stats["capped"] is True
    assert stats["maxSize"] == 1024  # rounded up to a multiple of 256, as MongoDB does
    assert stats["max"] == 10
    assert db.cap.options()["capped"] is True


def test_coll_stats_stage_reports_capped_limits_as_the_command_does(db):
    db.create_collection("cap", capped=True, size=1000, max=10)
    db.create_collection("plain")
    db.cap.insert_many([{"_id": i, "pad": "x" * 20} for i in range(4)])
    for name in ["cap", "plain"]:
        command = db.command("collStats", name, scale=2)
        [stage] = db[name].aggregate([{"$collStats": {"storageStats": {"scale": 2}}}])
        storage = stage["storageStats"]
        for field in ["capped", "size", "count", "nindexes", "totalIndexSize", "scaleFactor"]:
            assert storage[field] == command[field], (name, field)
        assert ("maxSize" in storage, "max" in storage) == ("maxSize" in command, "max" in command)
    [stage] = db.cap.aggregate([{"$collStats": {"storageStats": {}}}])
    assert stage["storageStats"]["capped"] is True
    assert stage["storageStats"]["maxSize"] == 1024 and stage["storageStats"]["max"] == 10
    [stage] = db.plain.aggregate([{"$collStats": {"storageStats": {}}}])
    assert stage["storageStats"]["capped"] is False and "maxSize" not in stage["storageStats"]


def test_capped_without_size_is_refused(db):
    with pytest.raises(OperationFailure) as failure:
        db.create_collection("cap", capped=True)
    assert failure.value.code == 72


def test_natural_order_is_insertion_order(db):
    db.create_collection("cap", capped=True, size=100_000)
    for value in [5, 1, 4, 2, 3]:
        db.cap.insert_one({"_id": value})
    assert [d["_id"] for d in db.cap.find()] == [5, 1, 4, 2, 3]


def test_oldest_documents_go_when_max_is_reached(db):
    db.create_collection("cap", capped=True, size=100_000, max=3)
    for i in range(10):
        db.cap.insert_one({"_id": i})
    assert [d["_id"] for d in db.cap.find()] == [7, 8, 9]
    assert db.cap.count_documents({}) == 3


def test_oldest_documents_go_when_size_is_reached(db):
    db.create_collection("cap", capped=True, size=4096)
    payload = "x" * 200
    for i in range(100):
        db.cap.insert_one({"_id": i, "p": payload})
    ids = [d["_id"] for d in db.cap.find()]
    assert ids == list(range(100 - len(ids), 100))
    assert db.command("collStats", "cap")["size"] <= 4096
    assert len(ids) >= 4096 // 250 - 1


def test_eviction_removes_index_entries(db):
    db.create_collection("cap", capped=True, size=100_000, max=2)
    db.cap.create_index("k", unique=True)
    for i in range(5):
        db.cap.insert_one({"_id": i, "k": i % 3})  # k repeats: the old holder must be gone
    assert [d["k"] for d in db.cap.find({"k": {"$gte": 0}}).hint("k_1")] == [0, 1]


def test_tailable_cursor_needs_a_capped_collection(db):
    db.c.insert_one({})
    with pytest.raises(OperationFailure):
        db.c.find(cursor_type=CursorType.TAILABLE).next()


def test_tailable_cursor_returns_new_documents(db):
    db.create_collection("cap", capped=True, size=100_000)
    db.cap.insert_one({"_id": 1})
    cursor = db.cap.find(cursor_type=CursorType.TAILABLE)
    assert cursor.next()["_id"] == 1
    assert try_next(cursor) is None and cursor.alive
    db.cap.insert_many([{"_id": 2}, {"_id": 3}])
    assert [try_next(cursor)["_id"], try_next(cursor)["_id"]] == [2, 3]
    cursor.close()


def test_tailable_cursor_filters(db):
    db.create_collection("cap", capped=True, size=100_000)
    cursor = db.cap.find({"kind": "a"}, {"_id": 0}, cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(100)
    assert try_next(cursor) is None
    db.cap.insert_many([{"kind": "b", "n": 1}, {"kind": "a", "n": 2}])
    assert try_next(cursor) == {"kind": "a", "n": 2}
    cursor.close()


def test_await_data_waits_for_an_insert(db):
    db.create_collection("cap", capped=True, size=100_000)
    cursor = db.cap.find(cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(5000)
    assert try_next(cursor) is None  # first batch: nothing yet, returned at once
    got = []

    def consume():
        got.append((cursor.next(), time.monotonic()))

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.3)
    inserted_at = time.monotonic()
    db.cap.insert_one({"_id": "wake"})
    consumer.join(10)
    document, received_at = got[0]
    assert document["_id"] == "wake"
    assert received_at - inserted_at < 1.0  # woken by the commit, not by the 5 s timeout
    cursor.close()


def test_await_data_returns_empty_after_max_await(db):
    db.create_collection("cap", capped=True, size=100_000)
    cursor = db.cap.find(cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(300)
    assert try_next(cursor) is None
    started = time.monotonic()
    assert try_next(cursor) is None
    assert 0.25 <= time.monotonic() - started < 2.0
    cursor.close()


def test_cursor_that_falls_behind_loses_its_position(db):
    db.create_collection("cap", capped=True, size=100_000, max=5)
    db.cap.insert_many([{"_id": i} for i in range(5)])
    reply = db.command("find", "cap", tailable=True, batchSize=2)
    assert [d["_id"] for d in reply["cursor"]["firstBatch"]] == [0, 1]
    for i in range(5, 20):
        db.cap.insert_one({"_id": i})
    with pytest.raises(OperationFailure) as failure:
        db.command("getMore", reply["cursor"]["id"], collection="cap")
    assert failure.value.code == 136
    # pymongo treats CappedPositionLost on a tailable cursor as the cursor's end.
    cursor = db.cap.find(cursor_type=CursorType.TAILABLE, batch_size=1)
    assert cursor.next()["_id"] == 15
    for i in range(20, 30):
        db.cap.insert_one({"_id": i})
    assert try_next(cursor) is None and not cursor.alive


def test_w2_queue_consumer_receives_every_event_in_order(server, db, figures):
    """W2: a producer inserts 100,000 events into a capped collection while a consumer with
    a tailable awaitData cursor receives all of them in order; the collection never exceeds
    its size."""
    total = 100_000
    size = 1 << 20
    db.create_collection("queue", capped=True, size=size)
    received = []
    failures = []
    sizes = []
    producer_done = threading.Event()

    def consume():
        with server.client() as client:
            queue = client[db.name].queue
            cursor = queue.find(cursor_type=CursorType.TAILABLE_AWAIT, batch_size=5000).max_await_time_ms(500)
            deadline = time.monotonic() + 120
            while len(received) < total and time.monotonic() < deadline:
                try:
                    for document in cursor:
                        received.append(document["n"])
                except Exception as error:  # noqa: BLE001 - reported below
                    failures.append(repr(error))
                    return

    def watch_size():
        with server.client() as client:
            while not producer_done.is_set():
                sizes.append(client[db.name].command("collStats", "queue")["size"])
                time.sleep(0.2)

    consumer = threading.Thread(target=consume)
    sampler = threading.Thread(target=watch_size)
    consumer.start()
    sampler.start()
    started = time.monotonic()
    with server.client() as client:
        queue = client[db.name].queue
        batch = 100
        for first in range(0, total, batch):
            queue.insert_many([{"n": n, "payload": "e" * 32} for n in range(first, first + batch)], ordered=True)
    produced = time.monotonic() - started
    producer_done.set()
    consumer.join(120)
    sampler.join(10)
    elapsed = time.monotonic() - started
    assert not failures, failures
    assert received == list(range(total))
    assert max(sizes, default=0) <= size
    assert db.command("collStats", "queue")["size"] <= size
    figures(f"W2 capped queue: {total} events produced in {produced:.1f} s, consumed in order in {elapsed:.1f} s; "
            f"largest collection size seen {max(sizes, default=0)} bytes (cap {size})")
