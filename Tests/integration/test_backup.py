# Online backup, restore, point-in-time restore and dbHash through `tessera serve` and the
# `tessera backup` CLI: a backup taken while four clients write restores to exactly the writes
# up to its reported point (checked against a hash computed from the change stream of
# acknowledged writes); an incremental backup copies only new files; a restore to a middle
# operation time keeps the writes before it and none after; verify catches a flipped byte.

from __future__ import annotations

import hashlib
import subprocess
import threading
import time
from pathlib import Path

import bson
from bson.codec_options import CodecOptions
from bson.json_util import loads as json_loads
from bson.raw_bson import RawBSONDocument

from tessera_server import TesseraServer, tessera_binary


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs `tessera backup ARGS...`."""
    result = subprocess.run([str(tessera_binary()), "backup", *args], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"tessera backup {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


def create_backup(server: TesseraServer, directory: Path, incremental: bool = False) -> dict:
    args = ["create", "--uri", server.uri, "--to", str(directory), "--json"]
    if incremental:
        args.append("--incremental")
    return json_loads(cli(*args).stdout)


def start_restored(tmp_path: Path, dbpath: Path, name: str) -> TesseraServer:
    restored = TesseraServer(dbpath, tmp_path / f"{name}.log")
    restored.start()
    return restored


def collection_md5(documents: list[dict]) -> str:
    """dbHash's definition: MD5 over each document's BSON bytes in _id order."""
    digest = hashlib.md5()
    for document in documents:
        digest.update(bson.encode(document))
    return digest.hexdigest()


def test_backup_while_four_clients_write_restores_to_its_point(private_server, tmp_path):
    client = private_server.client()
    coll = client.w.docs
    coll.insert_one({"_id": "seed", "w": -1, "i": 0, "v": 0})
    stream = coll.watch()
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with private_server.client() as own:
                target = own.w.docs
                i = 0
                while not stop.is_set():
                    target.insert_one({"_id": f"{number}-{i:06d}", "w": number, "i": i, "v": 0})
                    if i % 3 == 2:
                        target.update_one({"_id": f"{number}-{i - 1:06d}"}, {"$set": {"v": i}})
                    if i % 5 == 4:
                        target.delete_one({"_id": f"{number}-{i - 3:06d}"})
                    i += 1
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    reply = create_backup(private_server, tmp_path / "backups")
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures, failures
    point = reply["point"]["operationTime"]
    assert reply["backupId"] == 1 and reply["incremental"] is False and reply["bytesCopied"] > 0

    # The state at the point, from the acknowledged writes' change events up to it.
    expected: dict[str, dict] = {"seed": {"_id": "seed", "w": -1, "i": 0, "v": 0}}
    after_point = 0
    while after_point == 0:
        event = stream.try_next()
        if event is None:
            continue
        if event["clusterTime"] > point:
            after_point += 1
            continue
        key = event["documentKey"]["_id"]
        if event["operationType"] == "insert":
            expected[key] = event["fullDocument"]
        elif event["operationType"] == "update":
            for field, value in event["updateDescription"]["updatedFields"].items():
                expected[key][field] = value
        elif event["operationType"] == "delete":
            del expected[key]
    stream.close()
    assert len(expected) > 10, "the writers wrote before the backup"
    total = coll.count_documents({})
    assert total != len(expected), "the writers went on after the backup's point"
    want = collection_md5([expected[key] for key in sorted(expected)])

    cli("restore", "--from", str(tmp_path / "backups"), "--dbpath", str(tmp_path / "restored"))
    restored = start_restored(tmp_path, tmp_path / "restored", "restored")
    try:
        hashed = restored.client().w.command("dbHash")
        assert hashed["collections"] == {"docs": want}
        assert hashed["md5"] == hashlib.md5(want.encode()).hexdigest()
        # The restored store continues from the point: its operationTime is the backup's.
        assert restored.client().w.command("ping")["operationTime"] == point
    finally:
        assert restored.stop() == 0
    verified = cli("verify", "--from", str(tmp_path / "backups"))
    assert "backup 1: ok" in verified.stdout


def test_incremental_backup_copies_only_new_files(private_server, tmp_path):
    coll = private_server.client().inc.docs
    filler = "x" * 500
    for batch in range(20):
        coll.insert_many([{"_id": batch * 1000 + n, "s": filler} for n in range(1000)])
    backups = tmp_path / "backups"
    full = create_backup(private_server, backups)
    coll.insert_many([{"_id": 100_000 + n, "late": True} for n in range(100)])
    incremental = create_backup(private_server, backups, incremental=True)
    assert incremental["incremental"] is True
    assert 0 < incremental["bytesCopied"] < full["bytesCopied"] / 10, (incremental, full)
    assert incremental["point"]["operationTime"] > full["point"]["operationTime"]
    listed = [json_loads(line) for line in cli("list", "--from", str(backups), "--json").stdout.splitlines()]
    assert [entry["backupId"] for entry in listed] == [1, 2]
    assert [entry["bytesCopied"] for entry in listed] == [full["bytesCopied"], incremental["bytesCopied"]]
    # Without --incremental, a directory that holds backups is refused.
    refused = cli("create", "--uri", private_server.uri, "--to", str(backups), check=False)
    assert refused.returncode != 0 and "code 72" in refused.stderr + refused.stdout
    # The incremental backup restores on its own (it shares the full backup's files).
    cli("restore", "--from", str(backups), "--dbpath", str(tmp_path / "restored"))
    restored = start_restored(tmp_path, tmp_path / "restored", "restored")
    try:
        assert restored.client().inc.docs.count_documents({}) == 20_100
    finally:
        assert restored.stop() == 0


def test_point_in_time_restore_to_a_middle_timestamp(private_server, tmp_path):
    client = private_server.client()
    coll = client.pit.docs
    backups = tmp_path / "backups"
    coll.insert_many([{"_id": n, "phase": "before-backup", "v": 0} for n in range(50)])
    coll.create_index("phase")
    create_backup(private_server, backups)
    with client.start_session() as session:
        coll.insert_many([{"_id": 100 + n, "phase": "before-moment"} for n in range(20)], session=session)
        coll.update_one({"_id": 1}, {"$set": {"v": 1}}, session=session)
        coll.update_one({"_id": 2}, {"$set": {"phase": "rewritten", "extra": [1, 2]}}, session=session)
        coll.delete_one({"_id": 3}, session=session)
        moment = session.operation_time
    coll.insert_many([{"_id": 200 + n, "phase": "after-moment"} for n in range(20)])
    coll.update_one({"_id": 1}, {"$set": {"v": 2}})
    coll.delete_one({"_id": 4})
    create_backup(private_server, backups, incremental=True)

    result = cli("restore", "--from", str(backups), "--until", f"{moment.time}:{moment.inc}",
                 "--dbpath", str(tmp_path / "restored"))
    assert "redid" in result.stdout
    restored = start_restored(tmp_path, tmp_path / "restored", "restored")
    try:
        docs = restored.client().pit.docs
        ids = {doc["_id"] for doc in docs.find({}, {"_id": 1})}
        assert ids == (set(range(50)) - {3}) | set(range(100, 120))
        assert docs.find_one({"_id": 1})["v"] == 1
        assert docs.find_one({"_id": 2}) == {"_id": 2, "phase": "rewritten", "v": 0, "extra": [1, 2]}
        assert docs.count_documents({"phase": "after-moment"}) == 0
        assert docs.find_one({"phase": "rewritten"}, hint="phase_1")["_id"] == 2
        assert restored.client().pit.command("ping")["operationTime"] >= moment
    finally:
        assert restored.stop() == 0
    # A moment after the newest backup cannot be reached: those writes are in no backup.
    coll.insert_one({"_id": "later"})
    late = client.admin.command("ping")["operationTime"]
    refused = cli("restore", "--from", str(backups), "--until", f"{late.time}:{late.inc + 1}",
                  "--dbpath", str(tmp_path / "refused"), check=False)
    assert refused.returncode != 0 and "newest backup" in refused.stderr + refused.stdout
    assert not (tmp_path / "refused").exists()


def test_verify_detects_a_corrupted_backup_file(private_server, tmp_path):
    coll = private_server.client().ver.docs
    coll.insert_many([{"_id": n, "s": "y" * 200} for n in range(5000)])
    backups = tmp_path / "backups"
    create_backup(private_server, backups)
    assert "backup 1: ok" in cli("verify", "--from", str(backups)).stdout
    largest = max((backups / "shared_checksum").glob("*.sst"), key=lambda path: path.stat().st_size)
    data = bytearray(largest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    largest.write_bytes(bytes(data))
    result = cli("verify", "--from", str(backups), check=False)
    assert result.returncode == 1, result.stdout
    assert "backup 1: FAILED" in result.stdout
    assert "checksum" in result.stdout.lower() or "corrupt" in result.stdout.lower()


def test_db_hash_is_md5_of_documents_in_id_order(db):
    db.b.insert_many([{"_id": n, "n": n * 2} for n in (5, 1, 3)])
    db.a.insert_many([{"_id": "z"}, {"_id": "m", "nested": {"x": [1, 2]}}])
    db.create_collection("capped", capped=True, size=4096)
    raw = CodecOptions(document_class=RawBSONDocument)
    expected = {}
    for name in ("a", "b", "capped"):
        digest = hashlib.md5()
        for document in db.get_collection(name, codec_options=raw).find().sort("_id", 1):
            digest.update(document.raw)
        expected[name] = digest.hexdigest()
    reply = db.command("dbHash")
    assert reply["collections"] == expected
    assert reply["md5"] == hashlib.md5("".join(expected[name] for name in sorted(expected)).encode()).hexdigest()
    assert reply["capped"] == ["capped"]
    assert set(reply["uuids"]) == {"a", "b", "capped"}
    assert "host" in reply and "timeMillis" in reply
    only = db.command("dbHash", collections=["b"])
    assert only["collections"] == {"b": expected["b"]}
    try:
        db.command("dbHash", collections=[1])
        raise AssertionError("a non-string collection name was accepted")
    except Exception as error:  # pymongo.errors.OperationFailure
        assert getattr(error, "code", None) == 2


def listed_ids(directory: Path) -> list[int]:
    return [json_loads(line)["backupId"] for line in cli("list", "--from", str(directory), "--json").stdout.splitlines()]


def test_purge_keeps_only_the_newest_backups(private_server, tmp_path):
    directory = tmp_path / "purged"
    with private_server.client() as client:
        for round_ in range(4):
            client.p.c.insert_many([{"round": round_, "j": j} for j in range(200)])
            create_backup(private_server, directory, incremental=round_ > 0)
        ids = listed_ids(directory)
        assert len(ids) == 4
        out = cli("purge", "--uri", private_server.uri, "--from", str(directory), "--keep", "2").stdout
        assert f"purged backups [{ids[0]} {ids[1]}]" in out, out
        assert listed_ids(directory) == ids[2:]
        records = sorted(path.name for path in (directory / "tessera").glob("backup-*.json"))
        assert records == sorted(f"backup-{backup_id}.json" for backup_id in ids[2:])
        # What is kept still verifies and restores whole.
        cli("verify", "--from", str(directory))
        cli("restore", "--from", str(directory), "--backup-id", str(ids[2]), "--dbpath", str(tmp_path / "restored"))
        restored = start_restored(tmp_path, tmp_path / "restored", "restored")
        try:
            with restored.client() as copy:
                assert copy.p.c.count_documents({}) == 600
        finally:
            assert restored.stop() == 0
        # Purging again keeps the same two; keep below 1 is refused by the CLI and the server.
        assert cli("purge", "--uri", private_server.uri, "--from", str(directory), "--keep", "2").stdout.count("[]") == 1
        assert cli("purge", "--uri", private_server.uri, "--from", str(directory), "--keep", "0", check=False).returncode != 0
        from pymongo.errors import OperationFailure
        try:
            client.admin.command("purgeBackups", 1, **{"from": str(directory), "keep": 0})
            raise AssertionError("keep: 0 was accepted")
        except OperationFailure as error:
            assert error.code == 2
        assert listed_ids(directory) == ids[2:]


def running_backup(admin):
    return [op for op in admin.command("currentOp")["inprog"] if "createBackup" in op.get("command", {})]


def wait_for(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_backup_in_progress_stops_at_kill_op_and_at_shutdown(private_server, tmp_path):
    """The copy is slowed to 1 MB/s so it is still copying when killOp or shutdown arrive:
    the backup stops, nothing is listed, and the directory takes a new backup afterwards."""
    import os
    from pymongo.errors import OperationFailure, PyMongoError

    def start_backup(client, directory: Path, outcome: dict) -> threading.Thread:
        def run():
            try:
                outcome["reply"] = client.admin.command("createBackup", 1, to=str(directory), maxBytesPerSecond=1_000_000)
            except PyMongoError as error:
                outcome["error"] = error
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with private_server.client(retryWrites=False, retryReads=False) as client:
        coll = client.big.c
        for start in range(0, 8000, 1000):
            coll.insert_many([{"i": i, "pad": os.urandom(1000)} for i in range(start, start + 1000)])
        client.admin.command("fsync")

        killed = tmp_path / "killed"
        outcome: dict = {}
        thread = start_backup(client, killed, outcome)
        operation = wait_for(lambda: running_backup(client.admin), "the backup to start")[0]
        time.sleep(1.0)  # into the copy: 8 MB at 1 MB/s
        client.admin.command("killOp", op=operation["opid"])
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert isinstance(outcome.get("error"), OperationFailure) and outcome["error"].code == 11601, outcome
        assert listed_ids(killed) == []
        assert not (private_server.dbpath / "backup-checkpoint").exists()
        # The directory is usable: a full backup goes in and lists.
        reply = create_backup(private_server, killed)
        assert listed_ids(killed) == [reply["backupId"]]

        at_shutdown = tmp_path / "at-shutdown"
        outcome = {}
        thread = start_backup(client, at_shutdown, outcome)
        wait_for(lambda: running_backup(client.admin), "the second backup to start")
        time.sleep(1.0)
        assert private_server.stop(timeout=60) == 0
        thread.join(timeout=60)
        assert not thread.is_alive() and "reply" not in outcome, outcome
    assert listed_ids(at_shutdown) == []
    assert not (private_server.dbpath / "backup-checkpoint").exists()
