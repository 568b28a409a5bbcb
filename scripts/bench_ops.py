# Backup and restore throughput for `make bench-ops`: fills a `tessera serve` store until its
# data directory holds OPS_STORE_MB megabytes (incompressible 4 KiB binaries; the directory
# also holds the change log's copy of each insert and the WAL), then times, on the same data:
# `tessera backup create` (online, full), an incremental backup after 1% more writes,
# `tessera backup restore`, `tessera backup verify`, and `cp -a` of the data directory (the
# physical limit of this disk). MB/s are store bytes (du of the data directory) per second.
# The page cache is not dropped (a shared machine): all copies read warm files.
# Then `tessera import` throughput: OPS_IMPORT_DOCS (default 200,000) W2 game events (the
# documents `tessera bench`'s w2-ingest inserts, ~200 B each) as JSON lines, imported into an
# empty collection, beside the same documents inserted by pymongo in unordered batches of 1,000
# (w2-ingest-b1000's batch size). OPS_ONLY=import runs only this part.

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "integration"))

import datetime  # noqa: E402
import random  # noqa: E402

from bson import Binary, Int64, ObjectId  # noqa: E402
from bson.json_util import RELAXED_JSON_OPTIONS, dumps  # noqa: E402

from tessera_server import TesseraServer, tessera_binary  # noqa: E402

DOCUMENT_BYTES = 4096
BATCH = 500


def directory_bytes(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def timed(*command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def w2_event(n: int, rng) -> dict:
    """One W2 game event, shaped as BenchKit's W2Ingest.event."""
    return {"_id": ObjectId(), "game": f"game-{rng.randrange(8000)}", "player": f"player-{rng.randrange(20_000_000)}",
            "type": rng.choice(["start", "level_up", "purchase", "score", "end"]),
            "at": datetime.datetime(2025, 1, 1) + datetime.timedelta(milliseconds=n),
            "level": rng.randint(1, 100), "score": rng.randint(0, 1_000_000),
            "client": {"platform": "android", "version": "4.2.1", "session": Int64(rng.randrange(1 << 62))}}


def import_throughput(binary: str, root: Path) -> None:
    count = int(os.environ.get("OPS_IMPORT_DOCS", "200000"))
    rng = random.Random(7)
    events = [w2_event(n, rng) for n in range(count)]
    path = root / "events.json"
    with path.open("w") as out:
        for event in events:
            out.write(dumps(event, json_options=RELAXED_JSON_OPTIONS) + "\n")
    server = TesseraServer(root / "import-db", root / "import-server.log")
    try:
        server.start()
        client = server.client()
        started = time.perf_counter()
        subprocess.run([binary, "import", "--uri", f"mongodb://127.0.0.1:{server.port}", "--db", "bench",
                        "--collection", "imported", "--file", str(path)], check=True, capture_output=True)
        imported = time.perf_counter() - started
        assert client.bench.imported.count_documents({}) == count
        started = time.perf_counter()
        for first in range(0, count, 1000):
            client.bench.inserted.insert_many(events[first:first + 1000], ordered=False)
        inserted = time.perf_counter() - started
        size = path.stat().st_size
        print(f"import: {count:,} W2 events, {size / 1e6:,.1f} MB of JSON lines")
        print(f"{'operation':<58}{'seconds':>9}{'docs/s':>10}")
        print(f"{'tessera import (JSON lines)':<58}{imported:>9.2f}{count / imported:>10,.0f}")
        print(f"{'pymongo insert_many, batches of 1,000 (w2-ingest-b1000)':<58}{inserted:>9.2f}{count / inserted:>10,.0f}")
    finally:
        if server.running:
            server.stop()


def main() -> None:
    if os.environ.get("OPS_ONLY") == "import":
        root = Path(tempfile.mkdtemp(prefix="tessera-bench-ops-", dir=os.environ.get("OPS_DIR")))
        try:
            import_throughput(str(tessera_binary()), root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    target_mb = int(os.environ.get("OPS_STORE_MB", "2048"))
    root = Path(tempfile.mkdtemp(prefix="tessera-bench-ops-", dir=os.environ.get("OPS_DIR")))
    binary = str(tessera_binary())
    server = TesseraServer(root / "db", root / "server.log")
    try:
        server.start()
        client = server.client()
        coll = client.bench.blobs
        documents = 0
        started = time.perf_counter()
        while documents % (64 * BATCH) != 0 or directory_bytes(server.dbpath) < target_mb * 1_000_000:
            coll.insert_many([{"_id": n, "b": Binary(os.urandom(DOCUMENT_BYTES))}
                              for n in range(documents, documents + BATCH)], ordered=False)
            documents += BATCH
        load_seconds = time.perf_counter() - started
        store = directory_bytes(server.dbpath)
        mb = store / 1e6
        backups = root / "backups"
        full = timed(binary, "backup", "create", "--uri", server.uri, "--to", str(backups))
        extra = documents // 100
        coll.insert_many([{"_id": documents + n, "b": Binary(os.urandom(DOCUMENT_BYTES))} for n in range(extra)])
        incremental_started = time.perf_counter()
        reply = subprocess.run([binary, "backup", "create", "--uri", server.uri, "--to", str(backups), "--incremental",
                                "--json"], check=True, capture_output=True, text=True).stdout
        incremental = time.perf_counter() - incremental_started
        assert server.stop() == 0
        restore = timed(binary, "backup", "restore", "--from", str(backups), "--backup-id", "1", "--dbpath", str(root / "restored"))
        verify = timed(binary, "backup", "verify", "--from", str(backups), "--backup-id", "1", "--scratch", str(root))
        copy = timed("cp", "-a", str(server.dbpath), str(root / "copy"))
        from bson.json_util import loads
        copied = loads(reply)["bytesCopied"]
        print(f"store: {mb:,.0f} MB on disk ({documents:,} documents of {DOCUMENT_BYTES} B, loaded in {load_seconds:.0f} s)")
        print(f"{'operation':<52}{'seconds':>9}{'MB/s':>9}")
        for name, seconds, size in [
            ("backup create (online, full)", full, mb),
            ("backup restore", restore, mb),
            ("backup verify (restore + check)", verify, mb),
            ("cp -a of the data directory", copy, mb),
            (f"backup create --incremental (+1%, {copied / 1e6:,.0f} MB copied)", incremental, copied / 1e6),
        ]:
            print(f"{name:<52}{seconds:>9.2f}{size / seconds:>9.0f}")
        import_throughput(binary, root)
    finally:
        if server.running:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
