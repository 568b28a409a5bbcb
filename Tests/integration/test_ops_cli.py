"""`tessera stat`, `tessera top` and `tessera compact` (and its dryRun) through the real CLI
against a real server, and the `fsync` lock, whose waiting writers hold no thread (issue 18)."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import bson
import pytest
from pymongo.errors import OperationFailure

from tessera_server import tessera_binary


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(tessera_binary()), *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"tessera {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def uri(server) -> str:
    return f"mongodb://127.0.0.1:{server.port}"


class Load:
    """Inserts and finds on `coll` from a thread until stopped."""

    def __init__(self, coll):
        self.coll = coll
        self.stop = threading.Event()
        self.inserted = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.coll.insert_one({"n": self.inserted})
            self.inserted += 1
            self.coll.find_one({"n": self.inserted - 1})

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def test_stat_prints_rates_per_interval(server, coll):
    with Load(coll) as load:
        result = cli("stat", "--uri", uri(server), "--interval", "1", "--rows", "3", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert load.inserted > 0
    assert max(row["insert"] for row in rows) > 0
    assert max(row["query"] for row in rows) > 0
    for row in rows:
        assert set(row) >= {"insert", "query", "update", "delete", "getmore", "command", "dirty", "used",
                            "vsize", "res", "conn", "time"}
        assert row["conn"] >= 1 and row["res"] > 0

    plain = cli("stat", "--uri", uri(server), "--interval", "0.2", "--rows", "2").stdout.splitlines()
    assert plain[0].split() == ["insert", "query", "update", "delete", "getmore", "command", "dirty", "used",
                                "vsize", "res", "conn", "time"]
    assert len(plain) == 3 and all(len(line.split()) == 12 for line in plain[1:])


def test_top_shows_busy_collections(server, coll):
    with Load(coll):
        result = cli("top", "--uri", uri(server), "--interval", "1", "--rows", "2", "--json")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == 2
    busy = [report["totals"][coll.full_name] for report in reports if coll.full_name in report["totals"]]
    assert busy, reports
    assert max(row["write"]["count"] for row in busy) > 0
    assert max(row["read"]["count"] for row in busy) > 0
    for row in busy:
        assert row["total"]["count"] == row["read"]["count"] + row["write"]["count"]

    with Load(coll):
        table = cli("top", "--uri", uri(server), "--interval", "0.5", "--rows", "1").stdout.splitlines()
    assert table[0].split()[:4] == ["ns", "total", "read", "write"]
    assert any(line.split()[0] == coll.full_name and line.split()[1].endswith("ms") for line in table[1:])


def fill(coll, count: int = 12_000):
    """Inserts `count` documents of ~1.4 kB that do not compress, then flushes everything to
    disk (fsync); returns them and their BSON bytes."""
    documents = [{"i": i, "pad": os.urandom(700).hex()} for i in range(count)]
    for start in range(0, len(documents), 1000):
        coll.insert_many(documents[start:start + 1000])
    coll.database.client.admin.command("fsync")
    return documents, sum(len(bson.encode(document)) for document in documents)


def test_compact_returns_the_space_of_deleted_documents(private_server, figures):
    with private_server.client() as client:
        coll = client.space.c
        documents, data_bytes = fill(coll)
        deleted = coll.delete_many({"i": {"$not": {"$mod": [10, 0]}}}).deleted_count
        assert deleted == 10_800
        # dryRun estimates without compacting: most of what was deleted, never more than is on disk.
        on_disk = sst_bytes(private_server.dbpath)  # every table file of the store
        estimate = client.space.command("compact", "c", dryRun=True)
        assert set(estimate) >= {"estimatedBytesFreed", "ok"} and "bytesFreed" not in estimate
        assert data_bytes // 2 <= estimate["estimatedBytesFreed"] <= on_disk, (estimate, data_bytes, on_disk)
        figures(f"compact dryRun after deleting 90 %: {estimate['estimatedBytesFreed']:,} bytes estimated")
        with pytest.raises(OperationFailure) as failure:
            client.space.command("compact", "missing", dryRun=True)
        assert failure.value.code == 26
        result = cli("compact", "--uri", uri(private_server), "--db", "space", "--collection", "c", "--json")
        reply = json.loads(result.stdout)
        assert reply["ns"] == "space.c"
        # At least half of what the collection held on disk comes back.
        assert reply["bytesFreed"] >= data_bytes // 2, (reply, data_bytes)
        figures(f"compact after deleting 90 %: {reply['bytesFreed']:,} bytes freed of {data_bytes:,} inserted")
        assert coll.count_documents({}) == 1_200
        assert coll.find_one({"i": 10})["pad"] == documents[10]["pad"]

        # Every collection of the database, with a total.
        client.space.d.insert_one({"x": 1})
        summary = cli("compact", "--uri", uri(private_server), "--db", "space").stdout
        assert "space.c:" in summary and "space.d:" in summary and "total:" in summary

        with pytest.raises(OperationFailure) as failure:
            client.space.command("compact", "missing")
        assert failure.value.code == 26


def test_fsync_lock_holds_writes_and_lets_reads_go_on(server, coll):
    coll.insert_one({"k": 0})
    admin = coll.database.client.admin
    assert admin.command("fsync")["numFiles"] == 1
    assert admin.command("fsync", lock=True)["lockCount"] == 1
    writer = threading.Thread(target=lambda: coll.insert_one({"k": 1}))
    try:
        writer.start()
        writer.join(timeout=1.5)
        assert writer.is_alive(), "the write went through an fsync lock"
        assert coll.find_one({"k": 0}) is not None  # reads go on
        assert admin.command("fsync", lock=True)["lockCount"] == 2
        assert admin.command("fsyncUnlock")["lockCount"] == 1
        writer.join(timeout=1.0)
        assert writer.is_alive(), "the write went through with one lock left"
    finally:
        while True:
            try:
                admin.command("fsyncUnlock")
            except OperationFailure as error:
                assert error.code == 20
                break
    writer.join(timeout=30)
    assert not writer.is_alive()
    assert coll.find_one({"k": 1}) is not None
    with pytest.raises(OperationFailure) as failure:
        admin.command("fsyncUnlock")
    assert failure.value.code == 20
    with pytest.raises(OperationFailure) as failure:
        coll.database.command("fsync")
    assert failure.value.code == 13


def in_progress(admin, **fields):
    """The running operations whose command has every field of `fields`."""
    return [op for op in admin.command("currentOp")["inprog"]
            if all(op.get("command", {}).get(key) == value for key, value in fields.items())]


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_fsync_lock_parks_many_writers_without_holding_threads(private_server):
    """More writers than the server has command threads wait on the lock, and reads still
    answer: the writers wait on their connections, not on threads. killOp and maxTimeMS end
    one wait; $out is held back too; shutdown ends the rest."""
    writers = 40  # the server runs 8 command threads on this machine's cores (max(8, 4 × cores))
    with private_server.client(maxPoolSize=writers + 10, socketTimeoutMS=60_000, retryWrites=False) as client:
        coll = client.parked.c
        coll.insert_many([{"k": -i} for i in range(1, 4)])
        admin = client.admin
        admin.command("fsync", lock=True)
        errors: list[Exception] = []

        def write(i):
            try:
                coll.insert_one({"k": i}, comment=f"writer {i}")
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        out = threading.Thread(target=lambda: list(coll.aggregate([{"$match": {}}, {"$out": "copy"}])))
        try:
            for thread in threads:
                thread.start()
            out.start()
            wait_for(lambda: len(in_progress(admin, insert="c")) == writers, what="every writer to wait")
            # A read that needs a command thread (a scan, not a point read) still answers.
            assert coll.count_documents({"k": {"$lt": 0}}) == 3
            assert sorted(d["k"] for d in coll.find({}, {"_id": 0})) == [-3, -2, -1]
            assert "copy" not in client.parked.list_collection_names()
            assert out.is_alive()

            # killOp ends one wait with Interrupted; maxTimeMS ends another with MaxTimeMSExpired.
            victim = wait_for(lambda: in_progress(admin, insert="c", comment="writer 0"), what="writer 0")[0]
            admin.command("killOp", op=victim["opid"])
            wait_for(lambda: errors, what="the killed writer's error")
            assert [getattr(error, "code", None) for error in errors] == [11601]
            with pytest.raises(OperationFailure) as failure:
                client.parked.command("insert", "c", documents=[{"k": "late"}], maxTimeMS=300)
            assert failure.value.code == 50
        finally:
            admin.command("fsyncUnlock")
        for thread in threads:
            thread.join(timeout=60)
        out.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads) and not out.is_alive()
        assert len(errors) == 1
        assert coll.count_documents({"k": {"$gte": 0}}) == writers - 1
        # $out ran after the unlock, alongside the writers: it copied some of them.
        assert 3 <= client.parked.copy.count_documents({}) <= 3 + writers - 1

        # Shutdown ends a parked write (the server stops cleanly, not after a timeout).
        admin.command("fsync", lock=True)
        late = threading.Thread(target=write, args=(writers,))
        late.start()
        wait_for(lambda: in_progress(admin, insert="c"), what="the last writer to wait")
        assert private_server.stop(timeout=30) == 0
        late.join(timeout=30)
    assert not late.is_alive() and len(errors) == 2


def sst_bytes(dbpath: Path) -> int:
    return sum(path.stat().st_size for path in Path(dbpath).rglob("*.sst"))


def test_dropping_a_collection_returns_its_disk(private_server, figures):
    with private_server.client() as client:
        coll = client.space.big
        _, data_bytes = fill(coll)
        before = sst_bytes(private_server.dbpath)
        coll.drop()
        # The column families go with the drop; RocksDB deletes their files once nothing reads them.
        deadline = time.monotonic() + 30
        while sst_bytes(private_server.dbpath) > before - data_bytes // 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = sst_bytes(private_server.dbpath)
        assert after <= before - data_bytes // 2, (before, data_bytes)
        figures(f"drop: SST files {before:,} -> {after:,} bytes ({data_bytes:,} bytes of documents dropped)")
