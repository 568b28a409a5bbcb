# Hybrid index builds through pymongo (issue 15): while createIndexes builds over 200k
# documents, another connection's inserts (into another collection and into the one being
# indexed) keep being answered — counted, never timed — and the finished index agrees with
# validate and with a collection scan; a duplicate written during a unique build fails the
# build with 11000 and leaves no index; killOp stops a build with 11601, SIGTERM with 11600,
# and SIGKILL mid-build leaves no half index after the restart. The figures line reports the
# other connection's insert rate and latency during the build.

from __future__ import annotations

import threading
import time

import pytest
from pymongo import MongoClient
from pymongo.errors import AutoReconnect, OperationFailure

DOCUMENTS = 200_000
SMALLER = 50_000  # enough for the build to still run when the race or the kill comes
HANG_GUARD = 300  # seconds: only so a hung build fails the test instead of hanging it


def seed(collection, count: int = DOCUMENTS) -> None:
    batch = []
    for n in range(count):
        batch.append({"_id": n, "a": n, "g": n % 1000, "pad": "x" * 32})
        if len(batch) == 10_000:
            collection.insert_many(batch, ordered=False)
            batch = []
    if batch:
        collection.insert_many(batch, ordered=False)


class Build:
    """createIndexes run on its own connection and thread; `error` is what it raised."""

    def __init__(self, uri: str, database: str, collection: str, keys, **options):
        self.error: Exception | None = None
        self.done = threading.Event()
        self.comment = f"build-{id(self)}"

        def run():
            with MongoClient(uri, socketTimeoutMS=HANG_GUARD * 1000) as mongo:
                try:
                    mongo[database][collection].create_index(keys, comment=self.comment, **options)
                except (OperationFailure, AutoReconnect) as error:
                    self.error = error
                finally:
                    self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def opid(self, admin) -> object:
        """The build's opid once currentOp shows it (None when it finished first)."""
        deadline = time.monotonic() + HANG_GUARD
        while time.monotonic() < deadline and not self.done.is_set():
            for op in admin.command("currentOp")["inprog"]:
                if op.get("command", {}).get("comment") == self.comment:
                    return op["opid"]
            time.sleep(0.005)
        return None

    def join(self) -> None:
        self.thread.join(HANG_GUARD)
        assert not self.thread.is_alive(), "the index build did not finish"


def index_names(collection) -> list[str]:
    return sorted(index["name"] for index in collection.list_indexes())


def validate_ok(collection) -> None:
    result = collection.database.command("validate", collection.name)
    assert result["valid"], result


def test_writes_keep_answering_during_a_build_and_the_index_ends_consistent(server, db, figures):
    docs, other = db["docs"], db["other"]
    seed(docs)
    other.insert_one({"_id": "warm"})
    latencies: list[float] = []
    answered = [0]  # inserts answered while currentOp still showed the build afterwards
    stop, seen = threading.Event(), threading.Event()
    build = Build(server.uri, db.name, "docs", [("a", 1)])

    def write_other():
        """Inserts into another collection; counts those answered while the build still ran
        (an insert that waited for the whole build is answered only after it)."""
        with server.client() as mongo:
            target, n = mongo[db.name]["other"], 0
            while not stop.is_set():
                n += 1
                running = seen.is_set() and not build.done.is_set()
                started = time.monotonic()
                target.insert_one({"_id": n})
                elapsed = time.monotonic() - started
                if running and not build.done.is_set():
                    latencies.append(elapsed)
                    if mongo.admin.command("currentOp", {"command.comment": build.comment})["inprog"]:
                        answered[0] += 1

    def write_same():
        """Writes into the collection being indexed: ahead of the builder, behind it, and
        moving an indexed value."""
        with server.client() as mongo:
            target, n = mongo[db.name]["docs"], 0
            while not stop.is_set():
                n += 1
                target.insert_one({"_id": DOCUMENTS + n, "a": -n})
                target.update_one({"_id": (n * 7919) % DOCUMENTS}, {"$set": {"a": DOCUMENTS + n}})
                target.delete_one({"_id": (n * 104_729) % DOCUMENTS})

    writers = [threading.Thread(target=body, daemon=True) for body in (write_other, write_same)]
    for writer in writers:
        writer.start()
    started = time.monotonic()
    build.start()
    assert build.opid(db.client.admin) is not None, "the build finished before currentOp showed it"
    seen.set()
    build.join()
    build_seconds = time.monotonic() - started
    stop.set()
    for writer in writers:
        writer.join(HANG_GUARD)
    ordered = sorted(latencies) or [float("nan")]
    figures(f"index build over {DOCUMENTS} docs: {build_seconds:.1f} s; another connection's inserts into "
            f"another collection meanwhile: {len(latencies)} ({len(latencies) / build_seconds:.0f}/s; "
            f"{answered[0]} answered with the build still running), "
            f"p50 {ordered[len(ordered) // 2] * 1000:.1f} ms, "
            f"p99 {ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms")
    assert build.error is None, build.error
    assert answered[0] > 0, "no insert was answered while the index was being built"
    assert index_names(docs) == ["_id_", "a_1"]
    validate_ok(docs)
    # The index and a collection scan agree on every value.
    by_index = [d["_id"] for d in docs.find({"a": {"$gte": -(10**9)}}, {"_id": 1}).hint("a_1").sort("a", 1)]
    by_scan = [d["_id"] for d in sorted(docs.find({"a": {"$exists": True}}, {"a": 1}), key=lambda d: (d["a"], d["_id"]))]
    assert by_index == by_scan
    assert docs.count_documents({}) == len(by_scan)


def test_a_duplicate_written_during_a_unique_build_fails_it_cleanly(server, db):
    docs = db["docs"]
    seed(docs, SMALLER)
    build = Build(server.uri, db.name, "docs", [("a", 1)], unique=True)
    build.start()
    assert build.opid(db.client.admin) is not None, "the build finished before currentOp showed it"
    # Not refused: the write succeeds and the build fails (MongoDB's hybrid build).
    docs.insert_one({"_id": "dup", "a": SMALLER - 1})
    build.join()
    assert isinstance(build.error, OperationFailure), "the build succeeded over a duplicate"
    assert build.error.code == 11000, build.error.details
    assert "a_1" in str(build.error)
    assert index_names(docs) == ["_id_"]
    validate_ok(docs)
    docs.insert_one({"_id": "after", "a": SMALLER - 1})  # no unique index left behind
    docs.delete_many({"_id": {"$in": ["dup", "after"]}})
    docs.create_index([("a", 1)], unique=True)
    assert index_names(docs) == ["_id_", "a_1"]
    validate_ok(docs)


def test_kill_op_stops_a_build_leaving_no_index(server, db):
    docs = db["docs"]
    seed(docs, SMALLER)
    build = Build(server.uri, db.name, "docs", [("g", 1), ("a", -1)])
    build.start()
    opid = build.opid(db.client.admin)
    assert opid is not None, "the build finished before currentOp showed it"
    db.client.admin.command("killOp", op=opid)
    build.join()
    assert isinstance(build.error, OperationFailure), "the killed build finished"
    assert build.error.code == 11601, build.error.details
    assert index_names(docs) == ["_id_"]
    validate_ok(docs)
    assert docs.count_documents({}) == SMALLER


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_a_build_stopped_by_shutdown_or_a_crash_leaves_no_index_after_restart(private_server, stop):
    with private_server.client() as mongo:
        docs = mongo["build"]["docs"]
        seed(docs, SMALLER)
        build = Build(private_server.uri, "build", "docs", [("a", 1)])
        build.start()
        assert build.opid(mongo.admin) is not None, "the build finished before currentOp showed it"
    if stop == "sigterm":
        assert private_server.stop() == 0
    else:
        private_server.kill()
    build.join()
    assert build.error is not None, "the build finished"
    if stop == "sigterm" and isinstance(build.error, OperationFailure):
        assert build.error.code == 11600, build.error.details
    private_server.start()
    with private_server.client() as mongo:
        docs = mongo["build"]["docs"]
        assert index_names(docs) == ["_id_"]
        validate_ok(docs)
        assert docs.count_documents({}) == SMALLER
        docs.create_index([("a", 1)])
        validate_ok(docs)
