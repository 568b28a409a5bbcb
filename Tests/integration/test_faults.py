# Faults lose nothing: a real `tessera serve` under an LD_PRELOAD shim (faultshim/faultshim.c,
# compiled here with gcc) that fails fsync or WAL writes, and on a small real tmpfs filled to
# the brim. Checks clean error codes, reads that go on, refused writes, and after a restart
# without the fault, every acknowledged write.

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError, WriteError
from pymongo.write_concern import WriteConcern

from support import count_matching
from tessera_server import TesseraServer

SHIM_SOURCE = Path(__file__).resolve().parent / "faultshim" / "faultshim.c"
INTERNAL_ERROR = 1
OUT_OF_DISK_SPACE = 14031
DUPLICATE_KEY = 11000


@pytest.fixture(scope="session")
def faultshim(tmp_path_factory) -> Path:
    """The fault-injection library, built from faultshim.c for this run."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed: cannot build the LD_PRELOAD fault shim")
    library = tmp_path_factory.mktemp("faultshim") / "faultshim.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o", str(library),
                    str(SHIM_SOURCE), "-ldl"], check=True)
    return library


def shimmed_server(tmp_path: Path, shim: Path) -> tuple[TesseraServer, Path]:
    """A server whose data directory is under the shim, disarmed until the control file exists."""
    dbpath = tmp_path / "db"
    dbpath.mkdir()
    control = tmp_path / "fault-control"
    server = TesseraServer(dbpath, tmp_path / "server.log", env={
        "LD_PRELOAD": str(shim), "FAULT_DIR": str(dbpath), "FAULT_CONTROL": str(control),
    })
    return server, control


def error_code(error: PyMongoError) -> int | None:
    """The code of a failed single write or command."""
    if isinstance(error, BulkWriteError):
        errors = error.details.get("writeErrors") or []
        return errors[0]["code"] if errors else None
    return getattr(error, "code", None)


def assert_acknowledged_present(coll, acknowledged) -> None:
    """Every acknowledged `_id` is in `coll` (read after a restart)."""
    present = {doc["_id"] for doc in coll.find({}, {"_id": 1})}
    missing = [key for key in acknowledged if key not in present]
    assert not missing, f"{len(missing)} acknowledged writes lost: {sorted(map(str, missing))[:10]}"


def restart_without_faults(server: TesseraServer) -> None:
    """Stops the faulty server (any exit code: its disk is broken) and starts a clean one."""
    if server.running:
        server.stop(timeout=30)
    server.env = {}
    server.start()


def test_fsync_eio_refuses_writes_keeps_reads_and_keeps_every_acknowledged_write(tmp_path, faultshim, figures):
    server, control = shimmed_server(tmp_path, faultshim)
    server.start()
    try:
        with server.client(retryWrites=False) as mongo:
            coll = mongo["faults"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            acknowledged = []
            for key in range(200):
                coll.insert_one({"_id": key, "payload": "x" * 100})
                acknowledged.append(key)
            control.write_text("fsync,fdatasync EIO 0")
            with pytest.raises((WriteError, OperationFailure)) as failed:
                coll.insert_one({"_id": 10_000, "payload": "lost?"})
            code = error_code(failed.value)
            assert code == INTERNAL_ERROR, failed.value
            assert "Input/output error" in str(failed.value), failed.value
            assert (tmp_path / "fault-control.hits").exists()
            # Refused from now on, j:true or not, even with the fault gone: a second fsync
            # that succeeds proves nothing about the pages the first one lost.
            control.unlink()
            for write_concern in (WriteConcern(w=1, j=True), WriteConcern(w=1)):
                with pytest.raises((WriteError, OperationFailure)) as refused:
                    coll.with_options(write_concern=write_concern).insert_one({"_id": 10_001})
                assert error_code(refused.value) == INTERNAL_ERROR
                assert "writes are refused" in str(refused.value)
            with pytest.raises(PyMongoError) as many:
                coll.insert_many([{"_id": 20_000 + k} for k in range(10)])
            assert error_code(many.value) != DUPLICATE_KEY
            # Reads go on.
            assert server.running
            assert mongo.admin.command("ping")["ok"] == 1
            assert coll.find_one({"_id": 5})["payload"] == "x" * 100
            assert count_matching(coll, {"_id": {"$lt": 200}}) == 200
        assert "journal (WAL) write or sync failed" in server.log_text()
        restart_without_faults(server)
        with server.client() as mongo:
            coll = mongo["faults"]["items"]
            assert_acknowledged_present(coll, acknowledged)
            coll.insert_one({"_id": "after-restart"}, )
        figures(f"faults/fsync EIO: {len(acknowledged)} acknowledged before the fault, all present after restart")
    finally:
        if server.running:
            server.stop(timeout=30)


def test_enospc_on_wal_write_answers_out_of_disk_space_and_reads_go_on(tmp_path, faultshim):
    server, control = shimmed_server(tmp_path, faultshim)
    server.start()
    try:
        with server.client(retryWrites=False) as mongo:
            coll = mongo["faults"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            coll.insert_many([{"_id": key, "payload": "y" * 100} for key in range(100)])
            control.write_text("write,pwrite,pwritev ENOSPC 0")
            with pytest.raises((WriteError, OperationFailure, BulkWriteError)) as failed:
                coll.insert_many([{"_id": 1000 + key, "payload": "z" * 100} for key in range(50)])
            assert error_code(failed.value) == OUT_OF_DISK_SPACE, failed.value
            if isinstance(failed.value, BulkWriteError):
                codes = {error["code"] for error in failed.value.details["writeErrors"]}
                assert DUPLICATE_KEY not in codes
            assert server.running
            assert count_matching(coll, {"_id": {"$lt": 100}}) == 100
            assert coll.find_one({"_id": 42})["payload"] == "y" * 100
        restart_without_faults(server)
        with server.client() as mongo:
            assert count_matching(mongo["faults"]["items"], {"_id": {"$lt": 100}}) == 100
    finally:
        if server.running:
            server.stop(timeout=30)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 160 MiB tmpfs mounted for this test (root only), unmounted afterwards."""
    mountpoint = tmp_path / "tmpfs"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount -t tmpfs refused: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_full_disk_refuses_writes_without_duplicate_key_and_keeps_acknowledged_ones(small_tmpfs, tmp_path, figures):
    filler = small_tmpfs / "filler"
    # Room to free once the disk is full. RocksDB resumes writes only once the free space
    # reaches its reserved buffer, the largest write buffer (64 MiB by default).
    filler.write_bytes(b"\0" * (72 << 20))
    server = TesseraServer(small_tmpfs / "db", tmp_path / "server.log")
    server.start()
    try:
        acknowledged = 0
        failure: PyMongoError | None = None
        with server.client(retryWrites=False) as mongo:
            coll = mongo["full"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            payload = "f" * 4000
            for batch in range(1000):
                documents = [{"_id": batch * 100 + k, "payload": payload} for k in range(100)]
                try:
                    coll.insert_many(documents)
                except PyMongoError as error:
                    failure = error
                    if isinstance(error, BulkWriteError):
                        acknowledged += error.details.get("nInserted", 0)
                    break
                acknowledged += len(documents)
            assert failure is not None, "the tmpfs never filled"
            code = error_code(failure)
            assert code in (OUT_OF_DISK_SPACE, INTERNAL_ERROR), failure
            if isinstance(failure, BulkWriteError):
                codes = {error["code"] for error in failure.details["writeErrors"]}
                assert DUPLICATE_KEY not in codes, failure.details
            # Reads go on.
            assert server.running
            assert coll.find_one({"_id": 0})["payload"] == payload
            # Free space: RocksDB's SstFileManager notices it in the background, flushes the
            # memtables and switches to a new WAL, and writes are accepted again, no restart.
            filler.unlink()
            deadline = time.monotonic() + 120
            refused = 0
            while True:
                try:
                    coll.insert_one({"_id": f"after-free-{refused}"})
                    break
                except PyMongoError as error:
                    assert error_code(error) == OUT_OF_DISK_SPACE, error
                    refused += 1
                    assert time.monotonic() < deadline, f"writes did not resume after space was freed ({refused} refused)"
                    time.sleep(0.25)
            for key in range(50):
                coll.insert_one({"_id": f"resumed-{key}", "payload": payload})
        figures(f"faults/full tmpfs: {acknowledged} acknowledged, first error code {code}, "
                f"writes resumed without restart after {refused} more refusals")
        server.stop(timeout=60)
        server.start()
        with server.client() as mongo:
            coll = mongo["full"]["items"]
            present = count_matching(coll, {"_id": {"$lt": acknowledged}})
            assert present == acknowledged, f"{acknowledged - present} acknowledged writes lost"
            assert count_matching(coll, {"_id": {"$regex": "^resumed-"}}) == 50
            coll.insert_one({"_id": "after-restart"})
    finally:
        if server.running:
            server.stop(timeout=60)


def test_sigterm_does_not_wait_for_a_runaway_aggregate(tmp_path, figures):
    import threading
    import time

    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--shutdown-timeout-ms", "2000"])
    server.start()
    outcome: dict[str, object] = {}
    try:
        with server.client(retryWrites=False) as mongo:
            coll = mongo["runaway"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            coll.insert_many([{"_id": key, "v": key} for key in range(1000)])
        # Three nested $lookups over 1000 documents that match nothing: 10^9 inner documents
        # examined, memory flat, far longer than any test.
        never = {"$match": {"$expr": {"$eq": ["$v", -1]}}}
        pipeline = [{"$lookup": {"from": "items", "as": "a", "pipeline": [
            {"$lookup": {"from": "items", "as": "b", "pipeline": [never]}}, never]}}]

        def runaway() -> None:
            try:
                with MongoClient(server.uri, serverSelectionTimeoutMS=2000, socketTimeoutMS=120_000,
                                 retryReads=False) as mongo:
                    list(mongo["runaway"]["items"].aggregate(pipeline))
                outcome["result"] = "finished"
            except OperationFailure as error:
                outcome["result"] = error.code
            except PyMongoError as error:
                outcome["result"] = type(error).__name__

        thread = threading.Thread(target=runaway, daemon=True)
        thread.start()
        time.sleep(2)
        assert "result" not in outcome, f"the aggregate ended early: {outcome}"
        started = time.monotonic()
        code = server.stop(timeout=30)
        elapsed = time.monotonic() - started
        thread.join(10)
        assert code == 0, f"exit code {code}; log tail:\n{server.log_tail()}"
        assert elapsed < 10, f"shutdown took {elapsed:.1f}s"
        assert outcome.get("result") != "finished"
        figures(f"faults/runaway aggregate: SIGTERM to exit {elapsed:.1f}s (timeout 2 s), client saw {outcome.get('result')}")
        server.start()
        with server.client() as mongo:
            assert count_matching(mongo["runaway"]["items"]) == 1000
    finally:
        if server.running:
            server.stop(timeout=30)


def test_unjournaled_writes_are_synced_in_the_background(tmp_path, figures):
    import time

    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    try:
        with server.client(retryWrites=False) as mongo:
            journal = mongo.admin.command("serverStatus")["tessera"]["journal"]
            assert journal["commitIntervalMs"] == 100
            before = journal["backgroundSyncs"]
            coll = mongo["loose"].get_collection("items", write_concern=WriteConcern(w=1, j=False))
            for key in range(50):
                coll.insert_one({"_id": key})
            # Idle: nothing to sync, so the counter only moves while writes arrive.
            time.sleep(1.0)
            after = mongo.admin.command("serverStatus")["tessera"]["journal"]["backgroundSyncs"]
            assert after > before, "no background journal sync after w:1 writes"
            assert mongo.admin.command("setParameter", 1, journalCommitInterval=50)["ok"] == 1
            assert mongo.admin.command("getParameter", 1, journalCommitInterval=1)["journalCommitInterval"] == 50
            with pytest.raises(OperationFailure):
                mongo.admin.command("setParameter", 1, journalCommitInterval=0)
            for key in range(50, 100):
                coll.insert_one({"_id": key})
        # SIGKILL keeps the page cache, so this checks recovery, not the fsync (the counter does).
        time.sleep(1.0)
        server.kill()
        server.start()
        with server.client() as mongo:
            assert count_matching(mongo["loose"]["items"]) == 100
        figures(f"faults/w:1 background sync: {after - before} background syncs for 50 w:1 writes in about 1 s")
    finally:
        if server.running:
            server.stop(timeout=30)


@pytest.mark.parametrize("failing", ["write,pwrite,pwritev", "fsync,fdatasync"])
def test_journaled_writers_racing_a_wal_failure_are_never_acknowledged_unwritten(tmp_path, faultshim, figures, failing):
    """Eight j:true writers while the WAL's writes (or fsyncs) start failing with EIO: syncs
    are under way when an append fails. The server stays up, refuses writes from then on,
    and every write it acknowledged is present after a restart without the fault (a WAL
    write the shim refused never reached the file, so an acknowledgement it covered would
    show as a lost write)."""
    import threading

    server, control = shimmed_server(tmp_path, faultshim)
    server.start()
    acknowledged: list[str] = []
    codes: list[int | None] = []
    lock = threading.Lock()
    armed = threading.Event()

    def writer(number: int) -> None:
        with server.client(retryWrites=False) as mongo:
            coll = mongo["race"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            deadline = time.monotonic() + 60
            sequence = 0
            while time.monotonic() < deadline:
                key = f"{number}-{sequence}"
                sequence += 1
                try:
                    coll.insert_one({"_id": key, "payload": "w" * 200})
                except PyMongoError as error:
                    with lock:
                        codes.append(error_code(error))
                    if armed.is_set():
                        return
                    raise
                with lock:
                    acknowledged.append(key)

    try:
        threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        while True:
            with lock:
                if len(acknowledged) >= 400:
                    break
            time.sleep(0.05)
        armed.set()
        # A few more calls succeed after arming, so the failure lands among running syncs.
        control.write_text(f"{failing} EIO 16")
        for thread in threads:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in threads), "a writer was never refused"
        assert server.running, server.log_tail()
        assert codes and DUPLICATE_KEY not in codes and None not in codes, codes
        with server.client(retryWrites=False) as mongo:
            coll = mongo["race"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
            with pytest.raises(PyMongoError):
                coll.insert_one({"_id": "after-failure"})
            assert coll.find_one({"_id": acknowledged[0]}) is not None  # reads still answer
        restart_without_faults(server)
        with server.client() as mongo:
            assert_acknowledged_present(mongo["race"]["items"], acknowledged)
            assert mongo["race"].command("validate", "items")["valid"]
        figures(f"faults/race with failing {failing}: {len(acknowledged)} acknowledged by 8 j:true writers, "
                f"all present after restart; refusals with codes {sorted(set(codes))}")
    finally:
        if server.running:
            server.stop(timeout=30)
