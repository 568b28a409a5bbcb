# Restart durability on a private server: journaled (j: true) inserts from a writer thread,
# SIGKILL mid-load, restart on the same dbpath, every acknowledged _id is there. Also a
# graceful SIGTERM restart keeps data, indexes and collections, and exits with code 0.

import threading
import time

from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.write_concern import WriteConcern

from support import count_matching


def test_sigkill_mid_load_loses_no_acknowledged_write(private_server, figures):
    acknowledged: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def writer(first: int) -> None:
        with MongoClient(private_server.uri, serverSelectionTimeoutMS=2000, retryWrites=False) as mongo:
            coll = mongo["durable"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            next_id = first
            while not stop.is_set():
                try:
                    coll.insert_one({"_id": next_id, "payload": "p" * 200})
                except PyMongoError as error:
                    errors.append(error)
                    return
                acknowledged.append(next_id)
                next_id += 1

    threads = [threading.Thread(target=writer, args=(k * 1_000_000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    private_server.kill()  # SIGKILL while the writers are mid-insert
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) >= 200, f"only {len(acknowledged)} writes before the kill"
    assert errors, "writers should have seen the server die"

    private_server.start()
    with private_server.client() as mongo:
        stored = {d["_id"] for d in mongo["durable"]["items"].find({}, {"_id": 1})}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:10]}"
    figures(f"durability: {len(acknowledged)} journaled writes acknowledged before SIGKILL, "
            f"{len(stored)} stored after restart, 0 lost")


def test_sigterm_restart_keeps_everything(private_server):
    with private_server.client() as mongo:
        db = mongo["keep"]
        db["a"].insert_many([{"_id": i, "k": i % 7} for i in range(500)])
        db["a"].create_index("k", name="by_k")
        db.create_collection("empty")
        mongo["keep2"]["b"].insert_one({"_id": "x"})
    assert private_server.stop() == 0
    private_server.start()
    with private_server.client() as mongo:
        db = mongo["keep"]
        assert count_matching(db["a"], {}) == 500
        assert sorted(db.list_collection_names()) == ["a", "empty"]
        assert "by_k" in db["a"].index_information()
        assert count_matching(db["a"], {"k": 3}) == len([i for i in range(500) if i % 7 == 3])
        assert mongo["keep2"]["b"].find_one() == {"_id": "x"}
        assert {"keep", "keep2"} <= set(mongo.list_database_names())


def test_sigterm_during_writes_exits_cleanly(private_server):
    stop = threading.Event()
    done: list[int] = []

    def writer():
        with MongoClient(private_server.uri, serverSelectionTimeoutMS=2000, retryWrites=False) as mongo:
            coll = mongo["grace"]["w"]
            i = 0
            while not stop.is_set():
                try:
                    coll.insert_one({"_id": i})
                except PyMongoError:
                    return
                done.append(i)
                i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1.0)
    code = private_server.stop()
    stop.set()
    thread.join(30)
    assert code == 0, f"exit code {code} after SIGTERM under load; log:\n{private_server.log_tail()}"
    private_server.start()
    with private_server.client() as mongo:
        stored = {d["_id"] for d in mongo["grace"]["w"].find({}, {"_id": 1})}
    assert set(done) <= stored
