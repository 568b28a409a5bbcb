# Failover of the PostgreSQL under a Tessera server (issue 21): a primary with a streaming hot
# standby (pg_basebackup -R, synchronous replication), a `tessera serve` given both in one
# multi-host URI with target_session_attrs=read-write, a writer counting the inserts the
# server acknowledged (w:majority, j:true). The primary is stopped abruptly, the standby
# promoted with pg_ctl promote; the server must find the new primary by itself and every
# acknowledged write, before and after the switch, must be there exactly once.

from __future__ import annotations

import threading
import time

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import PyMongoError

from postgres_server import PostgresCluster, PostgresStandby
from tessera_server import TesseraServer


@pytest.fixture
def primary_and_standby():
    primary = PostgresCluster()
    standby = PostgresStandby(primary)
    try:
        primary.start()
        primary.create_database("failover")
        standby.start()
        primary.require_synchronous_standby()
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()


class Writer:
    """Inserts numbered documents one at a time and remembers which were acknowledged."""

    def __init__(self, client: MongoClient):
        self.collection = client.failover.get_collection("c", write_concern=WriteConcern(w="majority", j=True))
        self.acknowledged: list[int] = []
        self.failures = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            try:
                self.collection.insert_one({"_id": n, "payload": "x" * 100})
                self.acknowledged.append(n)
            except PyMongoError:
                # Not acknowledged: the server could not reach a writable database. Whether it
                # landed is unknown, so it is not counted (and never retried under this _id).
                self.failures += 1
                time.sleep(0.05)
            n += 1

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert self.thread.is_alive(), "the writer stopped"
            assert time.monotonic() < deadline, f"{len(self.acknowledged)} of {count} writes acknowledged within {timeout} s"
            time.sleep(0.05)


def test_acknowledged_writes_survive_promotion_of_the_standby(primary_and_standby, tmp_path):
    primary, standby = primary_and_standby
    uri = (f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/failover"
           "?target_session_attrs=read-write")
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--storage", uri])
    server.start()
    client = MongoClient(server.uri, serverSelectionTimeoutMS=10_000, retryWrites=False)
    writer = Writer(client)
    try:
        writer.thread.start()
        writer.wait_for(200, timeout=120)
        primary.crash()
        before = len(writer.acknowledged)
        standby.promote()
        writer.wait_for(before + 200, timeout=120)
        writer.stopping.set()
        writer.thread.join(timeout=60)
        assert not writer.thread.is_alive()
        after = len(writer.acknowledged) - before
        print(f"acknowledged before the switch: {before}, after: {after}, failed during it: {writer.failures}")

        # Every acknowledged insert is in the promoted standby, exactly once; what the server
        # says it holds is what PostgreSQL holds.
        stored = [document["_id"] for document in client.failover.c.find({}, {"_id": 1}).sort("_id", 1)]
        assert len(stored) == len(set(stored))
        missing = sorted(set(writer.acknowledged) - set(stored))
        assert missing == [], f"{len(missing)} acknowledged writes lost: {missing[:20]}"
        # The server now writes to the promoted standby, which is no longer in recovery.
        assert standby.query(f"postgresql://postgres@127.0.0.1:{standby.port}/failover",
                             "SELECT pg_is_in_recovery()") == "f"
    finally:
        writer.stopping.set()
        writer.thread.join(timeout=60)
        client.close()
        server.kill()
