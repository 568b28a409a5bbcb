# A Tessera server whose PostgreSQL stops (issue 21): `tessera serve --storage
# postgresql://...` on a cluster this test starts, which is then stopped abruptly
# (`pg_ctl stop -m immediate`) and started again on the same port and data directory.
# While the database is down every request answers, within the client's socket timeout (a
# hang fails the test instead of blocking it), with HostUnreachable (6); a retryable write's
# reply carries RetryableWriteError, a plain one's does not; the server stays up. Once the
# database is back the same retryable write applies exactly once and every write acknowledged
# before the stop is there. With pymongo's default retryWrites, a write the restart cuts off
# mid-statement is retried by the driver and applied exactly once.

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from postgres_server import cluster_with_database, hold_commit_lock, release_commit_lock
from rawwire import RawConnection
from support import InsertAttempts
from tessera_server import TesseraServer

# No request may take longer than this to answer: anything longer counts as a hang.
ANSWER_BOUND_SECONDS = 60


@pytest.fixture
def database():
    """A cluster with one empty database; the cluster and the database's URI."""
    with cluster_with_database("outage") as started:
        yield started


@pytest.fixture
def serve(tmp_path):
    """Starts `tessera serve --storage URI`; every server started is killed at the end."""
    servers: list[TesseraServer] = []

    def start(uri: str) -> TesseraServer:
        server = TesseraServer(tmp_path / f"db{len(servers)}", tmp_path / f"server{len(servers)}.log",
                               extra_args=["--storage", uri])
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.kill()


def client_of(server: TesseraServer, **options) -> MongoClient:
    return MongoClient(server.uri, serverSelectionTimeoutMS=10_000, socketTimeoutMS=ANSWER_BOUND_SECONDS * 1000,
                       **options)


def test_requests_while_postgres_is_down_answer_host_unreachable_and_succeed_once_it_is_back(database, serve):
    cluster, uri = database
    # connect_timeout: while the database is down a request keeps trying to connect for 2 s
    # (not the default 10 s) before it answers HostUnreachable.
    server = serve(f"{uri}?connect_timeout=2")
    client = client_of(server, retryWrites=False)
    try:
        collection = client.outage.c
        acknowledged = []
        for n in range(50):
            collection.insert_one({"_id": n})
            acknowledged.append(n)

        cluster.crash()

        lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
        retryable = {"insert": "c", "documents": [{"_id": "during"}], "lsid": lsid, "txnNumber": Int64(1),
                     "$db": "outage"}
        with RawConnection(server.port, timeout=ANSWER_BOUND_SECONDS) as raw:
            reply = raw.command(retryable)
            assert reply["ok"] == 0 and reply["code"] == 6 and reply["codeName"] == "HostUnreachable", reply
            assert "RetryableWriteError" in reply.get("errorLabels", []), reply
            plain = raw.command({"insert": "c", "documents": [{"_id": "plain"}], "$db": "outage"})
            assert plain["ok"] == 0 and plain["code"] == 6 and plain["codeName"] == "HostUnreachable", plain
            assert "RetryableWriteError" not in plain.get("errorLabels", []), plain
            found = raw.command({"find": "c", "filter": {}, "$db": "outage"})
            assert found["ok"] == 0 and found["code"] == 6 and found["codeName"] == "HostUnreachable", found
            update = raw.command({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 1}}}],
                                  "lsid": lsid, "txnNumber": Int64(2), "$db": "outage"})
            assert update["ok"] == 0 and update["code"] == 6, update
            assert "RetryableWriteError" in update.get("errorLabels", []), update
        with pytest.raises(OperationFailure) as failure:
            collection.find_one({"_id": 1})
        assert failure.value.code == 6
        # The server is up and answers what needs no database.
        assert server.running
        assert client.admin.command("ping")["ok"] == 1

        cluster.start_again()

        with RawConnection(server.port, timeout=ANSWER_BOUND_SECONDS) as raw:
            # The retryable insert sent again (what a driver's retry is): applied now, once.
            reply = raw.command(retryable)
            assert reply["ok"] == 1 and reply["n"] == 1 and "writeErrors" not in reply, reply
            again = raw.command(retryable)
            assert again["ok"] == 1 and again["n"] == 1 and "writeErrors" not in again, again
        collection.insert_one({"_id": "after"})
        stored = [document["_id"] for document in collection.find({}, {"_id": 1})]
        assert len(stored) == len(set(stored))
        assert sorted(n for n in stored if isinstance(n, int)) == acknowledged
        assert sorted(n for n in stored if isinstance(n, str)) == ["after", "during"]
    finally:
        client.close()


def test_a_write_cut_off_by_a_postgres_restart_is_retried_by_the_driver_and_applied_once(database, serve):
    cluster, uri = database
    # The default connect_timeout (10 s): the driver's retry, sent at once, waits that long
    # for the database to come back.
    server = serve(uri)
    attempts = InsertAttempts()
    # pymongo's default retryWrites=True.
    client = client_of(server, event_listeners=[attempts])
    try:
        collection = client.outage.c
        collection.insert_many([{"_id": n} for n in range(20)])
        attempts.sent = 0
        marker = f"cut-{uuid.uuid4()}"
        # The insert waits for the database-wide commit lock (held here) when the database
        # stops: its statement is cut off mid-wait.
        lock = hold_commit_lock(cluster, uri)
        with ThreadPoolExecutor(max_workers=1) as background:
            pending = background.submit(collection.insert_one, {"_id": marker})
            try:
                deadline = time.monotonic() + 30
                while not server.shows_operation(marker):
                    assert time.monotonic() < deadline, "the insert never showed in currentOp"
                    time.sleep(0.05)
                cluster.crash()
                cluster.start_again()
            finally:
                release_commit_lock(lock)
            # Raises what the insert raised, if anything; a hang fails here.
            result = pending.result(timeout=ANSWER_BOUND_SECONDS * 2)
        assert result.inserted_id == marker
        # The first attempt failed with HostUnreachable; the driver's retry applied it.
        assert attempts.sent == 2, (attempts.sent, attempts.failed_codes)
        assert attempts.failed_codes == [6]
        assert collection.count_documents({"_id": marker}) == 1
        assert collection.count_documents({}) == 21
    finally:
        client.close()
