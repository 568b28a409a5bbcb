# Issue 21's change-stream measure on a shared PostgreSQL: starts a throwaway PostgreSQL 15
# cluster and three `tessera serve --storage postgresql://...` ($TESSERA_BIN or this checkout's
# debug build), then prints (1) insert throughput with `--writers` connections through one
# server and spread over all three (commits are serialised by the database commit lock, so
# the second shows what that order costs), and (2) how long an insert acknowledged by one
# server takes to reach a change stream on another (p50/p99/max; the follower's poll interval
# bounds it). Run by hand; not part of `make test`.

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index_build import quantile  # noqa: E402
from postgres_server import PostgresCluster  # noqa: E402
from tessera_server import TesseraServer  # noqa: E402


def throughput(clients: list[MongoClient], writers: int, seconds: float, label: str) -> str:
    """Inserts/s of `writers` threads, thread i writing through clients[i % len(clients)]."""
    counts = [0] * writers
    stop = time.monotonic() + seconds

    def write(index: int) -> None:
        collection = clients[index % len(clients)].bench.get_collection(f"t{len(clients)}")
        while time.monotonic() < stop:
            collection.insert_one({"w": index, "n": counts[index]})
            counts[index] += 1

    threads = [threading.Thread(target=write, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(counts)
    return f"{label}: {writers} writers, {total} inserts in {seconds:.0f} s = {total / seconds:.0f}/s"


def delivery(writer: MongoClient, watcher: MongoClient, count: int) -> str:
    """Time from an insert's acknowledgement on one server to its event on another's stream."""
    latencies: list[float] = []
    with watcher.bench.feed.watch(max_await_time_ms=1000) as stream:
        for n in range(count):
            writer.bench.feed.insert_one({"n": n})
            acknowledged = time.monotonic()
            while stream.try_next() is None:
                pass
            latencies.append(time.monotonic() - acknowledged)
            time.sleep(0.01)
    return (f"insert on B -> event on A's stream: {count} events, p50 {quantile(latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {quantile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--events", type=int, default=200)
    arguments = parser.parse_args()
    cluster = PostgresCluster()
    servers: list[TesseraServer] = []
    scratch = Path(tempfile.mkdtemp(prefix="tessera-bench-changes."))
    try:
        cluster.start()
        uri = cluster.create_database("bench")
        for index in range(3):
            server = TesseraServer(scratch / f"db{index}", scratch / f"server{index}.log", extra_args=["--storage", uri])
            server.start()
            servers.append(server)
        clients = [MongoClient(server.uri) for server in servers]
        print(throughput(clients[:1], arguments.writers, arguments.seconds, "one server"))
        print(throughput(clients, arguments.writers, arguments.seconds, "three servers"))
        if arguments.events > 0:
            print(delivery(clients[1], clients[0], arguments.events))
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.kill()
        cluster.stop()


if __name__ == "__main__":
    main()
