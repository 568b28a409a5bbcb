# Faults on each of RocksDB's write paths, one at a time, through the LD_PRELOAD shim limited to
# one kind of file: the WAL (".log"), memtable flushes and compactions (".sst", written or
# opened), the MANIFEST, and online backups (the backup directory). Each must end in a clean
# error reply with a code, the server up and answering reads; after a restart without the fault
# every acknowledged write is present and `validate` finds every index consistent.

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from bson.json_util import loads as json_loads
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.write_concern import WriteConcern

from support import count_matching
from tessera_server import TesseraServer, tessera_binary
from test_faults import assert_acknowledged_present, error_code, faultshim, restart_without_faults, shimmed_server  # noqa: F401 (fixture)

FIRST = 300
PAYLOAD = "p" * 200


def document(key: int) -> dict:
    return {"_id": key, "tag": key % 7, "serial": key, "payload": PAYLOAD}


def load(mongo: MongoClient, keys: range) -> set[int]:
    """Inserts `keys` with j:true into faults.items (indexed on tag, unique on serial)."""
    coll = mongo["faults"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
    coll.create_index("tag")
    coll.create_index("serial", unique=True)
    for key in keys:
        coll.insert_one(document(key))
    return set(keys)


def flush(mongo: MongoClient) -> None:
    mongo.admin.command("fsync")


def compact(mongo: MongoClient) -> None:
    mongo["faults"].command("compact", "items")


def write_after_fault(mongo: MongoClient, keys: range) -> tuple[set[int], list[int]]:
    """Tries journaled inserts of `keys` while the fault is armed: returns those acknowledged
    and the codes of those refused (every refusal must carry one)."""
    coll = mongo["faults"].get_collection("items", write_concern=WriteConcern(w=1, j=True))
    acknowledged: set[int] = set()
    codes: list[int] = []
    for key in keys:
        try:
            coll.insert_one(document(key))
            acknowledged.add(key)
        except PyMongoError as error:
            code = error_code(error)
            assert isinstance(code, int) and code > 0, f"a refusal without a code: {error!r}"
            codes.append(code)
    return acknowledged, codes


def assert_consistent_after_restart(server: TesseraServer, acknowledged: set[int]) -> None:
    """Restarted without the fault: every acknowledged write is there, validate passes on
    every collection, and writes work."""
    restart_without_faults(server)
    with server.client() as mongo:
        database = mongo["faults"]
        assert_acknowledged_present(database["items"], acknowledged)
        for name in database.list_collection_names():
            reply = database.command("validate", name, full=True)
            assert reply["valid"] is True, reply
        serials = [entry["serial"] for entry in database["items"].find({}, {"serial": 1}).hint("serial_1")]
        assert len(serials) == len(set(serials)) == database["items"].count_documents({})
        database["items"].insert_one({"_id": "after-restart", "serial": -1})


PATHS: dict[str, tuple[str, Callable[[MongoClient], None] | None, Callable[[MongoClient], None]]] = {
    # name: (the shim's arming, preparation before arming, what drives the path)
    "wal-append-eio": ("write,pwrite,pwritev EIO 0 .log", None, lambda mongo: None),
    "flush-sst-write": ("write,pwrite,pwritev EIO 0 .sst", None, flush),
    "flush-sst-open": ("open EIO 0 .sst", None, flush),
    "flush-sst-fsync": ("fsync,fdatasync EIO 0 .sst", None, flush),
    "compaction-sst-write": ("write,pwrite,pwritev EIO 0 .sst", flush, compact),
    "manifest-write": ("write,pwrite,pwritev,fsync,fdatasync EIO 0 MANIFEST-", None, flush),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_a_fault_on_one_write_path_is_a_clean_error_and_loses_nothing(tmp_path, faultshim, figures, path):
    arming, prepare, drive = PATHS[path]
    server, control = shimmed_server(tmp_path, faultshim)
    server.start()
    try:
        with server.client(retryWrites=False) as mongo:
            acknowledged = load(mongo, range(FIRST))
            if prepare is not None:
                prepare(mongo)
                acknowledged |= load(mongo, range(FIRST, FIRST + 100))
            control.write_text(arming)
            driven_code = None
            try:
                drive(mongo)
            except PyMongoError as error:
                driven_code = error_code(error)
                assert isinstance(driven_code, int) and driven_code > 0, f"a failure without a code: {error!r}"
            later, codes = write_after_fault(mongo, range(1_000, 1_050))
            acknowledged |= later
            hits = tmp_path / "fault-control.hits"
            assert hits.exists(), f"the shim never failed a call for {arming!r}"
            # The fault stopped something: the driven command or later writes were refused.
            assert driven_code is not None or codes, f"{path}: nothing reported the fault"
            # The server is up and reads go on.
            assert server.running
            assert mongo.admin.command("ping")["ok"] == 1
            items = mongo["faults"]["items"]
            assert items.find_one({"_id": 7})["payload"] == PAYLOAD
            assert count_matching(items, {"_id": {"$lt": FIRST}}) == FIRST
        assert_consistent_after_restart(server, acknowledged)
        figures(f"faults/{path} ({arming}): driven command code {driven_code}, {len(later)} of 50 later writes "
                f"acknowledged, refusals {sorted(set(codes))}; {len(acknowledged)} acknowledged, all present after "
                f"restart, validate ok")
    finally:
        if server.running:
            server.stop(timeout=30)


def backup(server: TesseraServer, directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(tessera_binary()), "backup", "create", "--uri", server.uri, "--to", str(directory), "--json"],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("arming", ["write,pwrite,pwritev EIO 0", "fsync,fdatasync EIO 0", "open ENOSPC 0"])
def test_a_fault_writing_a_backup_fails_it_cleanly_and_the_next_backup_works(tmp_path, faultshim, figures, arming):
    backups = tmp_path / "backups"
    backups.mkdir()
    control = tmp_path / "fault-control"
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", env={
        "LD_PRELOAD": str(faultshim), "FAULT_DIR": str(backups), "FAULT_CONTROL": str(control),
    })
    server.start()
    try:
        with server.client(retryWrites=False) as mongo:
            acknowledged = load(mongo, range(FIRST))
            control.write_text(arming)
            failed = backup(server, backups)
            assert failed.returncode != 0, failed.stdout
            assert "error" in (failed.stderr + failed.stdout).lower(), failed
            assert (tmp_path / "fault-control.hits").exists()
            # The server is up; writes and reads go on.
            assert mongo.admin.command("ping")["ok"] == 1
            later, codes = write_after_fault(mongo, range(1_000, 1_050))
            assert not codes and len(later) == 50, codes
            acknowledged |= later
            control.unlink()
            succeeded = backup(server, backups)
            assert succeeded.returncode == 0, succeeded.stderr
            reply = json_loads(succeeded.stdout)
            verified = subprocess.run([str(tessera_binary()), "backup", "verify", "--from", str(backups)],
                                      capture_output=True, text=True, timeout=300)
            assert verified.returncode == 0, verified.stderr
            assert f"backup {reply['backupId']}: ok" in verified.stdout
        assert_consistent_after_restart(server, acknowledged)
        restored = tmp_path / "restored"
        subprocess.run([str(tessera_binary()), "backup", "restore", "--from", str(backups), "--dbpath", str(restored)],
                       check=True, capture_output=True, timeout=300)
        figures(f"faults/backup ({arming}): failed with exit {failed.returncode}, the server wrote on, "
                f"the next backup ({reply['backupId']}) verified and restored")
    finally:
        if server.running:
            server.stop(timeout=30)
