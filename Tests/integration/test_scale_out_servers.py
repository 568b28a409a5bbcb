# Many Tessera servers on one PostgreSQL database (issue 21): three `tessera serve
# --storage postgresql://...` processes share a database started for this module. Writes
# through each are read through the others (shapes one server created decode on another),
# a collection created at once from all three ends up one collection, an index created on
# one is used and enforced by the others, a unique key raced from all three has exactly one
# winner, a capped collection written through all three keeps one order and its limit,
# hello answers as a router (pymongo sees a sharded topology and keeps working when
# one server is SIGKILLed) and a retryable insert interrupted by a kill is applied once.

from __future__ import annotations

import subprocess
import threading
import time
import uuid

import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from postgres_server import PostgresCluster
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


def hold_commit_lock(cluster: PostgresCluster, uri: str) -> subprocess.Popen:
    """A psql session holding the database-wide commit lock until its stdin is closed."""
    name = uri.rsplit("/", 1)[1]
    session = subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", name,
                                "-A", "-t", "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert session.stdin is not None and session.stdout is not None
    session.stdin.write(b"BEGIN;\nSELECT 'locked', value FROM tessera_counters WHERE name = 'commit' FOR UPDATE;\n")
    session.stdin.flush()
    line = session.stdout.readline().decode()
    assert line.startswith("locked|"), line
    return session


def release_commit_lock(session: subprocess.Popen) -> None:
    assert session.stdin is not None
    session.stdin.write(b"ROLLBACK;\n")
    session.stdin.close()
    session.wait(timeout=30)


def shows_operation(server: TesseraServer, marker: str) -> bool:
    """Whether the server's currentOp shows a command tagged `marker`."""
    with MongoClient(server.uri, serverSelectionTimeoutMS=5_000) as probe:
        operations = probe.admin.command("currentOp", {"active": True})["inprog"]
    return any(marker in repr(operation.get("command", {})) for operation in operations)


def server_running(servers: list[TesseraServer], marker: str) -> TesseraServer | None:
    """The server whose currentOp shows the insert tagged `marker`, if any."""
    for server in servers:
        if server.process is None or server.process.poll() is not None:
            continue
        if shows_operation(server, marker):
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
    command = {"update": "c", "updates": [{"q": {"_id": "counter"}, "u": {"$inc": {"n": 1}}}],
               "lsid": {"id": Binary(uuid.uuid4().bytes, 4)}, "txnNumber": Int64(3), "comment": marker,
               "$db": "whilerunning"}
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
            while not shows_operation(server, marker):
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
