# Many Tessera servers on one PostgreSQL database (issue 21): three `tessera serve
# --storage postgresql://...` processes share a database started for this module. Writes
# through each are read through the others (shapes one server created decode on another),
# a collection created at once from all three ends up one collection, an index created on
# one is used and enforced by the others (and, built while the others insert, holds their
# documents too), compact leaves the shapes (no sweep on a shared database), a unique key
# raced from all three has exactly one winner, a capped collection written through all
# three keeps one order and its limit,
# hello answers as a router (pymongo sees a sharded topology and keeps working when
# one server is SIGKILLed), a retryable insert interrupted by a kill is applied once, and a
# change stream on one server sees the others' writes in one commit order and, after its
# server is SIGKILLed, resumes on another from its token with nothing lost or repeated.

from __future__ import annotations

import datetime
import threading
import time
import uuid

import bson
import pytest
from bson.binary import Binary
from bson.codec_options import CodecOptions
from bson.int64 import Int64
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from postgres_server import PostgresCluster, hold_commit_lock, release_commit_lock
from rawwire import RawConnection
from tessera_server import TesseraServer

SERVERS = 3


class SharedDatabase:
    """The PostgreSQL cluster, the database the servers share and the servers on it."""

    def __init__(self, cluster: PostgresCluster, uri: str, servers: list[TesseraServer]):
        self.cluster = cluster
        self.uri = uri
        self.servers = servers

    def clients(self) -> list[MongoClient]:
        return [MongoClient(server.uri, serverSelectionTimeoutMS=10_000) for server in self.servers]

    def restart_stopped(self) -> None:
        """Starts again (same port, same database) every server a test killed."""
        for server in self.servers:
            if server.process is None or server.process.poll() is not None:
                server.start()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale-out")
    cluster = PostgresCluster()
    servers: list[TesseraServer] = []
    try:
        cluster.start()
        uri = cluster.create_database("shared")
        for index in range(SERVERS):
            # --storage takes the place of --dbpath; test commands for the fail point below.
            server = TesseraServer(root / f"db{index}", root / f"server{index}.log",
                                   extra_args=["--storage", uri, "--enable-test-commands"])
            server.start()
            servers.append(server)
        yield SharedDatabase(cluster, uri, servers)
    finally:
        for server in servers:
            server.kill()
        cluster.stop()


@pytest.fixture
def clients(shared):
    connected = shared.clients()
    yield connected
    for client in connected:
        client.close()


def run_on_every_server(body, timeout: float) -> None:
    """Runs `body(index)` for each server index on a thread of its own and waits for all."""
    threads = [threading.Thread(target=body, args=(index,)) for index in range(SERVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), f"a thread did not finish within {timeout} s"


def test_writes_through_each_server_are_read_through_the_others(clients):
    # Each server writes documents of shapes only it has interned (its own field names), so
    # the others must load those shapes from the database to decode them.
    for index, client in enumerate(clients):
        client.shared.docs.insert_many([{"_id": f"{index}-{n}", "from": index, f"field{index}": {"n": n, f"inner{index}": [n]}}
                                        for n in range(20)])
    expected = sorted((f"{index}-{n}", index, n) for index in range(SERVERS) for n in range(20))
    for client in clients:
        seen = sorted((doc["_id"], doc["from"], doc[f"field{doc['from']}"]["n"]) for doc in client.shared.docs.find())
        assert seen == expected
        for index in range(SERVERS):
            assert client.shared.docs.find_one({"_id": f"{index}-7"})[f"field{index}"] == {"n": 7, f"inner{index}": [7]}
    # Updates through one server are seen by the others.
    clients[1].shared.docs.update_one({"_id": "0-3"}, {"$set": {"touched": "by 1"}})
    assert clients[2].shared.docs.find_one({"_id": "0-3"})["touched"] == "by 1"
    clients[2].shared.docs.delete_one({"_id": "1-4"})
    assert clients[0].shared.docs.find_one({"_id": "1-4"}) is None
    assert clients[0].shared.docs.count_documents({}) == SERVERS * 20 - 1


def test_collection_created_at_once_from_every_server_is_one_collection(clients):
    barrier = threading.Barrier(SERVERS)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(10):
                clients[index].racecreate.c.insert_one({"server": index, "n": n})
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    run_on_every_server(write, timeout=120)
    assert not errors, errors
    for client in clients:
        assert client.racecreate.list_collection_names() == ["c"]
        assert client.racecreate.c.count_documents({}) == SERVERS * 10
        per_server = {index: client.racecreate.c.count_documents({"server": index}) for index in range(SERVERS)}
        assert per_server == {index: 10 for index in range(SERVERS)}


def test_index_created_on_one_server_is_used_and_enforced_by_the_others(clients):
    first, second, third = clients
    first.indexes.c.insert_many([{"k": n, "v": n * 2} for n in range(50)])
    first.indexes.c.create_index("k", unique=True, name="k_unique")
    for client in (second, third):
        names = sorted(index["name"] for index in client.indexes.c.list_indexes())
        assert names == ["_id_", "k_unique"]
        plan = client.indexes.c.find({"k": 17}).explain()["queryPlanner"]["winningPlan"]
        assert "k_unique" in repr(plan), plan
        assert [doc["v"] for doc in client.indexes.c.find({"k": 17})] == [34]
    with pytest.raises(DuplicateKeyError):
        second.indexes.c.insert_one({"k": 5})
    with pytest.raises(DuplicateKeyError):
        third.indexes.c.update_one({"k": 6}, {"$set": {"k": 7}})
    # Dropped on the third, gone on the first: a duplicate is then accepted there.
    third.indexes.c.drop_index("k_unique")
    first.indexes.c.insert_one({"k": 5})
    assert second.indexes.c.count_documents({"k": 5}) == 2


def test_index_built_on_one_server_while_the_others_insert_indexes_every_document(clients):
    # On a shared database the build holds the database commit lock throughout: a hybrid
    # build would miss what the other servers (which know nothing of the building index)
    # insert meanwhile.
    first, second, third = clients
    first.building.c.insert_many([{"k": n} for n in range(5_000)])
    stop = threading.Event()
    written = [0, 0, 0]
    errors: list[Exception] = []

    def write(index: int) -> None:
        client = clients[index]
        try:
            while not stop.is_set():
                client.building.c.insert_one({"k": 1_000_000 * index + written[index]})
                written[index] += 1
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    writers = [threading.Thread(target=write, args=(index,)) for index in (1, 2)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 30
    while min(written[1], written[2]) < 5 and time.monotonic() < deadline and not errors:
        time.sleep(0.01)
    first.building.c.create_index("k", name="k_1")
    stop.set()
    for writer in writers:
        writer.join(timeout=60)
        assert not writer.is_alive()
    assert not errors, errors
    total = first.building.c.count_documents({})
    assert total == 5_000 + written[1] + written[2]
    for client in (first, second, third):
        assert client.building.c.count_documents({"k": {"$gte": 0}}, hint="k_1") == total


# The catalog's shape definitions (key tag "S") and a trim of the change log to its newest
# entry (what its retention does to old entries), straight in the shared database.
CATALOG_SPACE = "(SELECT id FROM tessera_keyspaces WHERE name = 'tessera.catalog')"
CHANGE_LOG_SPACE = "(SELECT id FROM tessera_keyspaces WHERE name = 'tessera.changelog')"
COUNT_SHAPES = f"SELECT count(*) FROM tessera_kv WHERE space = {CATALOG_SPACE} AND substring(key from 1 for 1) = '\\x53'::bytea"
TRIM_CHANGE_LOG = (f"DELETE FROM tessera_kv WHERE space = {CHANGE_LOG_SPACE} "
                   f"AND key < (SELECT key FROM tessera_kv WHERE space = {CHANGE_LOG_SPACE} ORDER BY key DESC LIMIT 1)")


def test_compact_on_the_shared_database_leaves_shapes_other_servers_use(shared, clients):
    # The shape sweep is off on a shared database: shapes no stored record names may still
    # be in another server's registry (as persisted), which writes them without definitions.
    first, second, third = clients
    fields = [f"sweep_{uuid.uuid4().hex[:8]}_{n}" for n in range(20)]
    first.sweep.c.insert_many([{field: n} for n, field in enumerate(fields)])
    assert len(list(second.sweep.c.find())) == len(fields)  # the second loads the shapes
    first.sweep.c.delete_many({})
    shared.cluster.query(shared.uri, TRIM_CHANGE_LOG)
    before = int(shared.cluster.query(shared.uri, COUNT_SHAPES))
    assert before > len(fields)
    first.sweep.command("compact", "c")
    assert int(shared.cluster.query(shared.uri, COUNT_SHAPES)) == before
    second.sweep.c.insert_many([{field: n} for n, field in enumerate(fields)])
    # The third never met these shapes: it loads their definitions from the database.
    assert sorted(list(document)[1] for document in third.sweep.c.find()) == sorted(fields)


def test_unique_key_raced_from_every_server_has_exactly_one_winner(clients):
    clients[0].race.c.create_index("k", unique=True)
    rounds = 30
    wins = [[False] * SERVERS for _ in range(rounds)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(SERVERS)

    def race(index: int) -> None:
        collection = clients[index].race.c
        try:
            for round_number in range(rounds):
                barrier.wait(timeout=60)
                try:
                    collection.insert_one({"k": round_number, "server": index})
                    wins[round_number][index] = True
                except DuplicateKeyError:
                    pass
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            barrier.abort()

    run_on_every_server(race, timeout=300)
    assert not errors, errors
    assert [sum(round_wins) for round_wins in wins] == [1] * rounds
    for client in clients:
        stored = {doc["k"]: doc["server"] for doc in client.race.c.find()}
        assert stored == {round_number: round_wins.index(True) for round_number, round_wins in enumerate(wins)}


def test_capped_collection_written_through_every_server_keeps_one_order_and_limit(clients):
    # Each document's ordinal is allocated under the commit lock from what is stored, not from
    # the writing server's memory: interleaved inserts keep one insertion order and the limit.
    clients[0].capped.create_collection("c", capped=True, size=1_000_000, max=10)
    inserted = []
    for n in range(40):
        index = n % SERVERS
        clients[index].capped.c.insert_one({"n": n, "server": index})
        inserted.append(n)
    for client in clients:
        assert client.capped.c.count_documents({}) == 10
        assert [doc["n"] for doc in client.capped.c.find()] == inserted[-10:]


def test_hello_answers_as_a_router(clients):
    for client in clients:
        reply = client.admin.command("hello")
        assert reply["msg"] == "isdbgrid"
        assert reply["isWritablePrimary"] is True
        assert "setName" not in reply and "hosts" not in reply


def seed_list_client(servers: list[TesseraServer], **options) -> MongoClient:
    seeds = ",".join(f"127.0.0.1:{server.port}" for server in servers)
    return MongoClient(f"mongodb://{seeds}/", serverSelectionTimeoutMS=15_000, retryWrites=True, **options)


def server_running(servers: list[TesseraServer], marker: str) -> TesseraServer | None:
    """The server whose currentOp shows the insert tagged `marker`, if any."""
    for server in servers:
        if server.process is None or server.process.poll() is not None:
            continue
        if server.shows_operation(marker):
            return server
    return None


def test_seed_list_client_sees_routers_and_survives_a_sigkill_with_a_retried_insert_applied_once(shared):
    client = seed_list_client(shared.servers, localThresholdMS=10_000)
    try:
        client.admin.command("ping")
        deadline = time.monotonic() + 30
        while len(client.topology_description.server_descriptions()) < SERVERS or any(
                description.server_type_name != "Mongos" for description in client.topology_description.server_descriptions().values()):
            assert time.monotonic() < deadline, client.topology_description
            time.sleep(0.1)
        assert client.topology_description.topology_type_name == "Sharded"
        for n in range(30):
            client.failover.c.insert_one({"_id": f"before-{n}"})

        # The insert reaches a server that must wait for the commit lock (held here); that
        # server is SIGKILLed mid-command; the driver retries it on another server.
        marker = f"retry-{uuid.uuid4()}"
        lock = hold_commit_lock(shared.cluster, shared.uri)
        outcome: dict[str, object] = {}

        def insert() -> None:
            try:
                outcome["result"] = client.failover.c.insert_one({"_id": marker})
            except BaseException as error:  # noqa: BLE001 - checked by the main thread
                outcome["error"] = error

        writer = threading.Thread(target=insert)
        writer.start()
        try:
            deadline = time.monotonic() + 30
            victim = None
            while victim is None:
                assert time.monotonic() < deadline, "the insert never showed in any server's currentOp"
                victim = server_running(shared.servers, marker)
                time.sleep(0.05)
            victim.kill()
        finally:
            release_commit_lock(lock)
        writer.join(timeout=60)
        assert "error" not in outcome, outcome
        assert outcome["result"].inserted_id == marker
        survivors = [server for server in shared.servers if server is not victim]
        for server in survivors:
            with MongoClient(server.uri) as direct:
                assert direct.failover.c.count_documents({"_id": marker}) == 1
        # The client goes on working on the survivors.
        for n in range(30):
            client.failover.c.insert_one({"_id": f"after-{n}"})
        assert client.failover.c.count_documents({}) == 61
    finally:
        client.close()
        shared.restart_stopped()


def test_retryable_insert_committed_by_a_killed_server_is_not_applied_again_by_another(shared):
    first, second = shared.servers[0], shared.servers[1]
    command = {"insert": "c", "documents": [{"_id": "once", "n": 1}], "lsid": {"id": Binary(uuid.uuid4().bytes, 4)},
               "txnNumber": Int64(7), "$db": "exactlyonce"}
    with MongoClient(first.uri) as direct:
        # The write commits on the first server, which then drops the connection unanswered.
        direct.admin.command({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": {"times": 1},
                              "data": {"closeConnection": True}})
    with RawConnection(first.port) as raw:
        with pytest.raises(ConnectionError):
            raw.command(command)
    first.kill()
    try:
        with RawConnection(second.port) as raw:
            retried = raw.command(command)
            assert retried["ok"] == 1 and retried["n"] == 1, retried
            found = raw.command({"find": "c", "filter": {}, "$db": "exactlyonce"})["cursor"]["firstBatch"]
        assert found == [{"_id": "once", "n": 1}]
    finally:
        shared.restart_stopped()


def test_retryable_update_retried_on_another_server_while_the_first_still_runs_is_applied_once(shared):
    # A driver that gives up on a slow server retries on another while the first attempt
    # still runs. Both runs wait for the commit lock (held here); the second to get it finds
    # the first's marker, writes nothing and answers with the first's reply.
    first, second = shared.servers[0], shared.servers[1]
    with MongoClient(first.uri) as direct:
        direct.whilerunning.c.insert_one({"_id": "counter", "n": 0})
    # The second server loads the new catalog now: a reload waits for the commit lock, and
    # currentOp below must answer while the lock is held.
    with MongoClient(second.uri) as direct:
        assert direct.whilerunning.c.find_one({"_id": "counter"}) == {"_id": "counter", "n": 0}
    marker = f"twice-{uuid.uuid4()}"
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    command = {"update": "c", "updates": [{"q": {"_id": "counter"}, "u": {"$inc": {"n": 1}}}],
               "lsid": lsid, "txnNumber": Int64(3), "comment": marker, "$db": "whilerunning"}
    replies: dict[int, dict] = {}
    errors: list[BaseException] = []

    def send(server: TesseraServer) -> None:
        try:
            with RawConnection(server.port, timeout=120) as raw:
                replies[server.port] = raw.command(command)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    lock = hold_commit_lock(shared.cluster, shared.uri)
    threads = [threading.Thread(target=send, args=(server,)) for server in (first, second)]
    try:
        for thread, server in zip(threads, (first, second)):
            thread.start()
            deadline = time.monotonic() + 30
            while not server.shows_operation(marker):
                assert time.monotonic() < deadline, f"the update never showed in {server.port}'s currentOp"
                time.sleep(0.05)
    finally:
        release_commit_lock(lock)
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert not errors, errors
    for reply in replies.values():
        assert reply["ok"] == 1 and reply["n"] == 1 and reply["nModified"] == 1, replies
        assert "writeErrors" not in reply, replies
    with MongoClient(second.uri) as direct:
        assert direct.whilerunning.c.find_one({"_id": "counter"})["n"] == 1
    # The session's record carries its write time (`u`, what expiry reads) besides the
    # statement and reply the runs' tokens decided; ending the session on a third server
    # deletes it for every server.
    record = session_record(shared, lsid)
    assert record is not None and record["t"] == 3 and record["r"]["nModified"] == 1, record
    assert isinstance(record["u"], datetime.datetime), record
    with RawConnection(shared.servers[2].port) as raw:
        assert raw.command({"endSessions": [lsid], "$db": "admin"})["ok"] == 1
    assert session_record(shared, lsid) is None
    # A live session's record (written with both fields) still answers a retry on another
    # server: the statement is applied once.
    live = {"id": Binary(uuid.uuid4().bytes, 4)}
    again = {**command, "lsid": live, "txnNumber": Int64(4)}
    del again["comment"]
    with RawConnection(first.port) as raw:
        assert raw.command(again)["nModified"] == 1
    with RawConnection(second.port) as raw:
        assert raw.command(again)["nModified"] == 1
        assert raw.command({"find": "c", "filter": {"_id": "counter"}, "$db": "whilerunning"})["cursor"]["firstBatch"][0]["n"] == 2


def session_record(shared: SharedDatabase, lsid: dict) -> dict | None:
    """The retryable-write record stored for session `lsid`, decoded, or None."""
    value = shared.cluster.query(
        shared.uri, "SELECT encode(value, 'hex') FROM tessera_kv WHERE space = "
                    "(SELECT id FROM tessera_keyspaces WHERE name = 'sessions') "
                    f"AND key = '\\x{bytes(lsid['id']).hex()}'::bytea")
    return bson.decode(bytes.fromhex(value), codec_options=CodecOptions(tz_aware=False)) if value else None


def read_events(stream, count: int, timeout: float) -> list[dict]:
    """The next `count` events of `stream` (fails the test if they do not come in time)."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(events) < count:
        assert time.monotonic() < deadline, f"{len(events)} of {count} events within {timeout} s"
        event = stream.try_next()
        if event is not None:
            events.append(event)
    return events


def event_key(event: dict) -> tuple:
    """What identifies one change: its resume token, kind, document and cluster time."""
    return (event["_id"]["_data"], event["operationType"], event["documentKey"]["_id"], event["clusterTime"])


def test_change_stream_on_one_server_sees_every_write_from_the_others_in_commit_order_and_resumes_on_a_third(shared, clients):
    # A only watches; B and C write concurrently. A's stream must see their writes (A never
    # commits anything itself, so nothing but following the shared log brings them), in one
    # global commit order: the same order a stream on C reads, with rising cluster times.
    # A is SIGKILLed halfway; C resumes A's stream from A's last token: together the two
    # read every write exactly once.
    watcher, writers = clients[0], clients[1:]
    clients[1].shared.feed.insert_one({"_id": "created"})
    # Each getMore may wait a minute: it returns sooner only when A learns of a new entry, so
    # reading the events within the bound below needs A to follow the log, not time out.
    stream_a = watcher.shared.feed.watch(max_await_time_ms=60_000)
    start = stream_a.resume_token
    # A reference stream on C from A's starting token: a token is valid on any server.
    reference = clients[2].shared.feed.watch(resume_after=start, max_await_time_ms=200)
    per_writer = 80
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            collection = writers[index].shared.feed
            for n in range(per_writer):
                collection.insert_one({"_id": f"w{index}-{n}", "w": index, "n": n})
                if n % 4 == 3:
                    collection.update_one({"_id": f"w{index}-{n - 1}"}, {"$set": {"touched": n}})
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(index,)) for index in range(len(writers))]
    for thread in threads:
        thread.start()
    total = len(writers) * (per_writer + per_writer // 4)
    half = total // 2
    before_kill = read_events(stream_a, half, timeout=50)
    token = stream_a.resume_token
    shared.servers[0].kill()
    try:
        for thread in threads:
            thread.join(timeout=120)
            assert not thread.is_alive(), "a writer did not finish within 120 s"
        assert not errors, errors
        # The writers go on meanwhile; C resumes after the last event A delivered.
        with clients[2].shared.feed.watch(resume_after=token, max_await_time_ms=200) as resumed:
            after_kill = read_events(resumed, total - half, timeout=120)
            # Nothing beyond the writes: no duplicate delivered after the last one.
            assert resumed.try_next() is None
        expected = read_events(reference, total, timeout=120)
        assert reference.try_next() is None
        reference.close()

        # No event lost or duplicated across the kill and the switch of server, and both
        # servers delivered the same changes in the same order.
        assert [event_key(event) for event in before_kill + after_kill] == [event_key(event) for event in expected]
        # That order is one commit order: cluster times rise strictly, and each writer's own
        # writes appear in the order it made them (every write exactly once).
        times = [event["clusterTime"] for event in expected]
        assert all(earlier < later for earlier, later in zip(times, times[1:]))
        for index in range(len(writers)):
            own = [(event["operationType"], event["documentKey"]["_id"]) for event in expected
                   if event["documentKey"]["_id"].startswith(f"w{index}-")]
            made = []
            for n in range(per_writer):
                made.append(("insert", f"w{index}-{n}"))
                if n % 4 == 3:
                    made.append(("update", f"w{index}-{n - 1}"))
            assert own == made
    finally:
        shared.restart_stopped()
