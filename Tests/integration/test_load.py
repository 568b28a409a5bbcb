# Load check on a private server: 200 concurrent connections (one MongoClient with one pooled
# socket per thread) doing mixed reads and writes for 30 seconds with no errors, and the
# server's resident memory (VmRSS) sampled before, at peak and after the clients close.
#
# Memory bound: after the clients leave, the server may keep what its storage engine is
# configured to keep (RocksDB's block cache, 64 MiB in StorageOptions, plus one write buffer,
# RocksDB's default 64 MiB, holding the data just written) and nothing per connection, cursor
# or request. So: RSS after ≤ RSS before + 128 MiB. A per-connection leak of ~650 KiB, or any
# cursor/buffer retention that scales with the 30 s of traffic, breaks the bound.

import os
import random
import threading
import time

from pymongo import MongoClient
from pymongo.errors import PyMongoError

CONNECTIONS = int(os.environ.get("TESSERA_LOAD_CONNECTIONS", "200"))
SECONDS = float(os.environ.get("TESSERA_LOAD_SECONDS", "30"))
RETAINED_LIMIT_KIB = 128 * 1024


def test_200_connections_mixed_load_and_memory_returns(private_server, figures):
    server = private_server
    with server.client() as setup:
        setup["load"]["items"].create_index("owner")
    time.sleep(1)
    rss_before = server.rss_kib()

    errors: list[str] = []
    operations = [0] * CONNECTIONS
    peak = [rss_before]
    ready = threading.Barrier(CONNECTIONS + 1)
    stop = threading.Event()

    def worker(index: int) -> None:
        rng = random.Random(index)
        try:
            mongo = MongoClient(server.uri, maxPoolSize=1, serverMonitoringMode="poll",
                                serverSelectionTimeoutMS=30_000, socketTimeoutMS=60_000)
        except PyMongoError as error:
            errors.append(f"{index}: connect: {error!r}")
            ready.abort()
            return
        try:
            coll = mongo["load"]["items"]
            coll.find_one({"_id": -1})  # open the pooled connection before the clock starts
            ready.wait(120)
            next_id = 0
            deleted: set[int] = set()
            while not stop.is_set():
                roll = rng.random()
                if roll < 0.35:
                    coll.insert_one({"_id": f"{index}-{next_id}", "owner": index, "n": next_id,
                                     "body": "x" * rng.randrange(10, 400)})
                    next_id += 1
                elif roll < 0.55 and next_id:
                    pick = rng.randrange(next_id)
                    doc = coll.find_one({"_id": f"{index}-{pick}"})
                    if (doc is None and pick not in deleted) or (doc is not None and doc["owner"] != index):
                        errors.append(f"{index}: own document {index}-{pick} read back as {doc!r}")
                        return
                elif roll < 0.7 and next_id:
                    coll.update_one({"_id": f"{index}-{rng.randrange(next_id)}"}, {"$inc": {"hits": 1}})
                elif roll < 0.8:
                    list(coll.find({"owner": index}, batch_size=5).limit(20))
                elif roll < 0.87:
                    mongo["load"].command({"count": "items", "query": {"owner": index}})
                elif roll < 0.93 and next_id:
                    pick = rng.randrange(next_id)
                    if coll.delete_one({"_id": f"{index}-{pick}", "hits": {"$gte": 3}}).deleted_count:
                        deleted.add(pick)
                else:
                    list(coll.aggregate([{"$match": {"owner": index}}, {"$sort": {"n": -1}}, {"$limit": 3}]))
                operations[index] += 1
        except threading.BrokenBarrierError:
            pass
        except Exception as error:  # noqa: BLE001 - any failure is a test failure
            errors.append(f"{index}: {error!r}")
        finally:
            mongo.close()

    def sampler() -> None:
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], server.rss_kib())
            except (OSError, RuntimeError):
                return
            time.sleep(0.25)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    ready.wait(120)
    with server.client(serverMonitoringMode="poll") as observer:
        connected = observer.admin.command("serverStatus")["connections"]["current"]
    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(60)
    watcher.join(5)
    peak[0] = max(peak[0], server.rss_kib())

    # Let the server notice the closed sockets and free their state; take the lowest of a
    # few samples over ~10 s, since allocator trimming is not instant.
    deadline = time.monotonic() + 10
    rss_after = server.rss_kib()
    while time.monotonic() < deadline:
        time.sleep(1)
        rss_after = min(rss_after, server.rss_kib())
    with server.client(serverMonitoringMode="poll") as observer:
        remaining = observer.admin.command("serverStatus")["connections"]["current"]

    total = sum(operations)
    load_line = (f"load: {CONNECTIONS} connections ({connected} open at start), {total} operations in "
                 f"{SECONDS:.0f}s ({total / SECONDS:.0f}/s), {len(errors)} errors")
    rss_line = (f"server RSS: before {rss_before / 1024:.1f} MiB, peak {peak[0] / 1024:.1f} MiB, "
                f"after {rss_after / 1024:.1f} MiB (retained {(rss_after - rss_before) / 1024:.1f} MiB, "
                f"bound {RETAINED_LIMIT_KIB / 1024:.0f} MiB)")
    print(load_line)
    print(rss_line)
    figures(load_line)
    figures(rss_line)
    assert not errors, f"{len(errors)} client errors, first: {errors[:5]}"
    assert connected >= CONNECTIONS
    assert all(count > 0 for count in operations), "some connections never completed an operation"
    assert remaining <= 2, f"{remaining} connections still open after the clients closed"
    assert rss_after - rss_before <= RETAINED_LIMIT_KIB, (
        f"server kept {(rss_after - rss_before) / 1024:.1f} MiB after the clients closed")
