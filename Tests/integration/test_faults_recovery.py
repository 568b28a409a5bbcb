# Faults that heal: a full disk refuses writes with OutOfDiskSpace (14031) while reads go on,
# and once space is back writes resume in the same server process (RocksDB's own background
# error recovery), with every acknowledged write present after a SIGKILL and restart. The
# LD_PRELOAD shim and its helpers are test_faults.py's.

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager

import pytest
from pymongo.errors import BulkWriteError, PyMongoError
from pymongo.write_concern import WriteConcern

from support import count_matching
from tessera_server import TesseraServer
from test_faults import OUT_OF_DISK_SPACE, assert_acknowledged_present, error_code, faultshim, shimmed_server, small_tmpfs  # noqa: F401 (fixtures)

RESUME_TIMEOUT_SECONDS = 120


@contextmanager
def journaled_items(server):
    """The started server's `faults.items` with j:true writes; the server stops afterwards."""
    server.start()
    try:
        with server.client(retryWrites=False) as mongo:
            yield mongo, mongo["faults"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
    finally:
        if server.running:
            server.stop(timeout=30)


def insert_until_accepted(coll, make_document, timeout: float = RESUME_TIMEOUT_SECONDS) -> tuple[object, int]:
    """Inserts fresh documents until one is accepted; every refusal must be 14031. Returns the
    accepted document's _id and how many attempts were refused."""
    deadline = time.monotonic() + timeout
    refused = 0
    while True:
        document = make_document(refused)
        try:
            coll.insert_one(document)
            return document["_id"], refused
        except PyMongoError as error:
            assert error_code(error) == OUT_OF_DISK_SPACE, error
            refused += 1
            if time.monotonic() > deadline:
                pytest.fail(f"writes did not resume within {timeout}s after space was freed ({refused} refused)")
            time.sleep(0.25)


def test_writes_resume_without_a_restart_once_the_disk_has_space_again(tmp_path, faultshim, figures):
    server, control = shimmed_server(tmp_path, faultshim)
    with journaled_items(server) as (mongo, coll):
        coll.create_index("tag")
        acknowledged: set[object] = set()
        for key in range(300):
            coll.insert_one({"_id": key, "tag": key % 7, "payload": "p" * 200})
            acknowledged.add(key)

        control.write_text("write,pwrite,pwritev ENOSPC 0")
        codes = []
        for key in range(300, 310):
            try:
                coll.insert_one({"_id": key, "tag": 0})
                acknowledged.add(key)
            except PyMongoError as error:
                codes.append(error_code(error))
        assert codes and set(codes) == {OUT_OF_DISK_SPACE}, codes
        unjournaled = coll.with_options(write_concern=WriteConcern(w=1))
        with pytest.raises(PyMongoError) as refused:
            unjournaled.update_one({"_id": 1}, {"$set": {"tag": 99}})
        assert error_code(refused.value) == OUT_OF_DISK_SPACE
        # Reads go on while the disk is full.
        assert server.running
        assert count_matching(coll, {"_id": {"$lt": 300}}) == 300
        assert coll.find_one({"_id": 1})["tag"] == 1

        # Space is back: RocksDB notices it in the background and writes are accepted
        # again by this very process.
        control.unlink()
        probe, refused_while_recovering = insert_until_accepted(
            coll, lambda attempt: {"_id": f"probe-{attempt}", "tag": 1})
        acknowledged.add(probe)
        for key in range(1000, 1300):
            coll.insert_one({"_id": key, "tag": key % 7, "payload": "q" * 200})
            acknowledged.add(key)
        unjournaled.update_one({"_id": 1}, {"$set": {"tag": 99}})
        assert coll.find_one({"_id": 1})["tag"] == 99
        coll.update_one({"_id": 2}, {"$set": {"tag": 98}})
        assert mongo.admin.command("serverStatus")["tessera"]["journal"]  # still answers
        log = server.log_text()
        server.kill()
    assert "restart the server to recover" not in log
    server.env = {}
    server.start()
    try:
        with server.client() as mongo:
            coll = mongo["faults"]["items"]
            assert_acknowledged_present(coll, acknowledged)
            assert coll.find_one({"_id": 2})["tag"] == 98
            # The index agrees with the documents.
            for tag in range(7):
                by_index = count_matching(coll, {"tag": tag})
                by_scan = len([d for d in coll.find({}, {"tag": 1}).hint({"$natural": 1}) if d.get("tag") == tag])
                assert by_index == by_scan, (tag, by_index, by_scan)
        figures(f"faults/full disk healed: {len(codes)} writes refused with 14031, "
                f"{refused_while_recovering} more while RocksDB recovered, then writes resumed without a restart; "
                f"{len(acknowledged)} acknowledged, all present after SIGKILL")
    finally:
        if server.running:
            server.stop(timeout=30)


def test_an_fsync_failure_still_refuses_writes_after_the_disk_heals(tmp_path, faultshim):
    """The healing path is only for a full disk: after a failed fsync writes stay refused."""
    server, control = shimmed_server(tmp_path, faultshim)
    with journaled_items(server) as (_, coll):
        coll.insert_many([{"_id": key} for key in range(50)])
        control.write_text("fsync,fdatasync ENOSPC 0")
        with pytest.raises(PyMongoError) as failed:
            coll.insert_one({"_id": "during"})
        assert error_code(failed.value) == OUT_OF_DISK_SPACE
        control.unlink()
        # Long enough for RocksDB's recovery to have run had it been allowed to matter.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with pytest.raises(PyMongoError) as refused:
                coll.insert_one({"_id": f"after-{time.monotonic()}"})
            assert "restart the server to recover" in str(refused.value)
            time.sleep(1)
        assert count_matching(coll, {"_id": {"$lt": 50}}) == 50


def hold_free_space(directory, target: int, names) -> None:
    """Writes pad files under `directory` until its file system has at most about `target`
    bytes free (never below it), taking each pad's name number from `names`."""
    for _ in range(16):
        excess = shutil.disk_usage(directory).free - target
        if excess < 4 << 20:
            return
        (directory / f"pad-{next(names)}").write_bytes(b"\0" * excess)


def test_writes_resume_once_the_configured_disk_reserve_is_free(small_tmpfs, tmp_path, figures):
    """With --disk-reserve-mb 8, freeing 16 MiB is enough for writes to resume, where RocksDB's
    own reserve (the 64 MiB memtable size) would keep them refused."""
    filler = small_tmpfs / "filler"
    filler.write_bytes(b"\0" * (16 << 20))
    server = TesseraServer(small_tmpfs / "db", tmp_path / "server.log", extra_args=["--disk-reserve-mb", "8"])
    with journaled_items(server) as (mongo, coll):
        parsed = mongo.admin.command("getCmdLineOpts")["parsed"]
        assert parsed["storage"]["diskReserveMB"] == 8
        payload = "r" * 4000
        acknowledged: set[object] = set()
        code = None
        for batch in range(2000):
            documents = [{"_id": batch * 100 + k, "payload": payload} for k in range(100)]
            try:
                coll.insert_many(documents)
            except PyMongoError as error:
                code = error_code(error)
                inserted = error.details.get("nInserted", 0) if isinstance(error, BulkWriteError) else 0
                acknowledged.update(document["_id"] for document in documents[:inserted])
                break
            acknowledged.update(document["_id"] for document in documents)
        assert code == OUT_OF_DISK_SPACE, f"the tmpfs never filled, or the error was {code}"
        # Only a figure: RocksDB's recovery may already be freeing space (see below).
        free_when_full = shutil.disk_usage(small_tmpfs).free
        filler.unlink()
        # RocksDB may free space of its own after the error (its recovery flushes the memtables
        # and deletes the WAL), so the free space is held near 24 MiB — above the configured
        # reserve, below RocksDB's own — while the probe runs, and checked when it is accepted.
        pads = iter(range(1_000_000))
        free_before_attempt: list[int] = []

        def probe_document(attempt: int) -> dict:
            hold_free_space(small_tmpfs, 24 << 20, pads)
            free_before_attempt.append(shutil.disk_usage(small_tmpfs).free)
            return {"_id": f"probe-{attempt}"}

        probe, refused = insert_until_accepted(coll, probe_document)
        free_at_resume = free_before_attempt[-1]
        assert 8 << 20 < free_at_resume < 64 << 20, free_at_resume
        acknowledged.add(probe)
        for key in range(20):
            coll.insert_one({"_id": f"resumed-{key}", "payload": payload})
            acknowledged.add(f"resumed-{key}")
        server.kill()
    server.start()
    try:
        with server.client() as mongo:
            assert_acknowledged_present(mongo["faults"]["items"], acknowledged)
        figures(f"faults/disk reserve 8 MiB: full after {len(acknowledged) - 21} acknowledged inserts, "
                f"{free_when_full >> 10} KiB free just after; 16 MiB freed, writes resumed after {refused} refusals "
                f"with {free_at_resume >> 20} MiB free; "
                f"{len(acknowledged)} acknowledged, all present after SIGKILL")
    finally:
        if server.running:
            server.stop(timeout=30)
