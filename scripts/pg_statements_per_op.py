#!/usr/bin/env python3
"""SQL statements per operation of a Tessera server on PostgreSQL (issue 21's profile).

Starts a throwaway PostgreSQL 15 cluster with pg_stat_statements, one `tessera serve
--storage postgresql://...` on it ($TESSERA_BIN, else the debug build), loads 20,000
documents with pymongo, then runs each operation (find_one by _id, update_one $set of a
string by _id, insert_one, and upsert: update_one $inc with upsert of an _id not stored yet)
for --seconds with --threads client threads, and prints per
operation: the rate, the SQL statements PostgreSQL executed per operation and their
execution time per operation, statement by statement. Removes the cluster at the end.
Diagnostic only: not part of `make test`, no assertion.

Usage: .venv/bin/python scripts/pg_statements_per_op.py [--seconds 15] [--threads 4] [--ops read,update,insert,upsert]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "integration"))

from pymongo import MongoClient  # noqa: E402

from postgres_server import PostgresCluster  # noqa: E402
from tessera_server import TesseraServer  # noqa: E402

DOCUMENTS = 20_000


def run(collection, operation: str, seconds: float, threads: int) -> int:
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def work(slot: int) -> None:
        generator = random.Random(slot)
        while time.monotonic() < stop:
            key = f"user{generator.randrange(DOCUMENTS)}"
            if operation == "read":
                collection.find_one({"_id": key})
            elif operation == "update":
                # A new value each time, so every update writes.
                collection.update_one({"_id": key}, {"$set": {"field1": f"{generator.random():.12f}" * 8}})
            elif operation == "upsert":
                # A counter document that does not exist yet: the upsert inserts it.
                collection.update_one({"_id": f"counter-{slot}-{counts[slot]}"}, {"$inc": {"n": 1}}, upsert=True)
            else:
                collection.insert_one({"slot": slot})
            counts[slot] += 1

    workers = [threading.Thread(target=work, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--ops", default="read,update,insert")
    options = parser.parse_args()
    cluster = PostgresCluster()
    scratch = Path(tempfile.mkdtemp(prefix="tessera-pgstat."))
    server = None
    try:
        cluster.start()
        admin = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
        cluster.query(admin, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        cluster.crash()
        cluster.start_again()
        uri = cluster.create_database("tessera")
        cluster.query(uri, "CREATE EXTENSION pg_stat_statements")
        server = TesseraServer(scratch / "unused", scratch / "server.log", extra_args=["--storage", uri])
        server.start()
        client = MongoClient(server.uri, retryWrites=False, serverSelectionTimeoutMS=10_000)
        collection = client.bench.usertable
        batch = [{"_id": f"user{i}", **{f"field{j}": "x" * 100 for j in range(10)}} for i in range(DOCUMENTS)]
        for start in range(0, DOCUMENTS, 1000):
            collection.insert_many(batch[start:start + 1000])
        for operation in options.ops.split(","):
            cluster.query(uri, "SELECT pg_stat_statements_reset()")
            done = run(collection, operation, options.seconds, options.threads)
            print(f"\n{operation}: {done} operations in {options.seconds:g} s with {options.threads} threads "
                  f"= {done / options.seconds:,.0f}/s")
            if done == 0:
                continue
            rows = cluster.query(uri, "SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') "
                                      "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' "
                                      "ORDER BY calls DESC")
            total_calls = total_time = 0.0
            lines = []
            for row in rows.splitlines():
                calls, milliseconds, text = row.split("|", 2)
                total_calls += int(calls)
                total_time += float(milliseconds)
                lines.append(f"  {int(calls) / done:6.2f}  {float(milliseconds) / done:7.3f} ms  {text[:90]}")
            print(f"  {total_calls / done:6.2f}  {total_time / done:7.3f} ms  statements and execution time per operation")
            print("\n".join(lines))
        client.close()
    finally:
        if server is not None:
            server.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
