# The Prometheus endpoint of `tessera serve --metrics-port` (issue 18): scraped over HTTP,
# every line checked against the text exposition format, and counters seen to grow after
# the commands that drive them.

from __future__ import annotations

import math
import re
import urllib.error
import urllib.request

import pytest

from tessera_server import TesseraServer, free_port

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*,?)?\}})? (\S+)(?: -?\d+)?$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample by (name, labels); fails on any line outside the text format."""
    samples: dict[tuple[str, frozenset], float] = {}
    types: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("#"):
            typed = TYPE.match(line)
            if typed:
                assert typed.group(1) not in types, f"line {number}: second TYPE for {typed.group(1)}"
                types[typed.group(1)] = typed.group(2)
                continue
            assert HELP.match(line), f"line {number} is not a valid comment: {line!r}"
            continue
        match = SAMPLE.match(line)
        assert match, f"line {number} is not a valid sample: {line!r}"
        name, labels, value = match.group(1), match.group(2) or "", match.group(3)
        parsed = float(value)  # raises on anything but a Prometheus float (NaN/+Inf are accepted)
        assert not math.isnan(parsed), f"line {number}: NaN"
        label_set = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
        key = (name, label_set)
        assert key not in samples, f"line {number}: duplicate sample {line!r}"
        samples[key] = parsed
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, f"line {number}: {name} has no TYPE line"
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics")
    port = free_port()
    instance = TesseraServer(root / "db", root / "server.log", extra_args=["--metrics-port", str(port)])
    instance.metrics_port = port
    instance.start()
    yield instance
    code = instance.stop()
    assert code == 0, f"tessera exited with {code}; log tail:\n{instance.log_tail()}"


def scrape(server) -> tuple[dict, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return parse(text), text


def test_every_line_is_valid_and_the_figures_are_there(metrics_server):
    with metrics_server.client() as client:
        client.t.c.insert_one({"x": 1})
        samples, text = scrape(metrics_server)
    names = {name for name, _ in samples}
    for expected in ["tessera_commands_total", "tessera_command_duration_seconds_bucket",
                     "tessera_command_duration_seconds_count", "tessera_connections_open",
                     "tessera_cursors_open", "tessera_transactions_open", "tessera_network_bytes_in_total",
                     "tessera_network_bytes_out_total", "tessera_rocksdb_memtable_bytes",
                     "tessera_rocksdb_pending_compaction_bytes", "tessera_rocksdb_block_cache_usage_bytes",
                     "tessera_rocksdb_write_stopped_key_spaces"]:
        assert expected in names, f"{expected} missing from:\n{text}"
    assert value(samples, "tessera_connections_open") >= 1
    assert value(samples, "tessera_commands_total", command="insert", outcome="ok") >= 1
    # A histogram's buckets are cumulative and end at +Inf with the count.
    buckets = sorted(((float(dict(labels)["le"]), count) for (name, labels), count in samples.items()
                      if name == "tessera_command_duration_seconds_bucket" and dict(labels)["command"] == "insert"))
    assert buckets[-1][0] == math.inf
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    assert buckets[-1][1] == value(samples, "tessera_command_duration_seconds_count", command="insert")


def test_counters_grow_with_commands(metrics_server):
    with metrics_server.client() as client:
        coll = client.t.grow
        coll.insert_one({"x": 0})
        before, _ = scrape(metrics_server)
        for i in range(5):
            coll.insert_one({"x": i})
        list(coll.find({}))
        with pytest.raises(Exception):
            client.t.command("noSuchCommandAtAll")
        with pytest.raises(Exception):
            client.t.command({"find": "grow", "filter": "not a document"})
        cursor = coll.find({}, batch_size=1)
        next(cursor)
        open_cursor, _ = scrape(metrics_server)
        after, _ = scrape(metrics_server)
        cursor.close()

    def grew(name, by=1, **labels):
        return value(after, name, **labels) - value(before, name, **labels) >= by

    assert grew("tessera_commands_total", 5, command="insert", outcome="ok")
    assert grew("tessera_commands_total", 1, command="find", outcome="ok")
    assert grew("tessera_commands_total", 1, command="unknown", outcome="error")
    assert grew("tessera_commands_total", 1, command="find", outcome="error")
    assert grew("tessera_command_duration_seconds_count", 5, command="insert")
    assert grew("tessera_network_bytes_in_total", 1)
    assert grew("tessera_network_bytes_out_total", 1)
    assert value(open_cursor, "tessera_cursors_open") >= 1


def test_open_transaction_is_counted(metrics_server):
    with metrics_server.client() as client:
        client.t.txn.insert_one({"_id": 0})
        with client.start_session() as session:
            session.start_transaction()
            client.t.txn.insert_one({"_id": 1}, session=session)
            during, _ = scrape(metrics_server)
            session.abort_transaction()
        after, _ = scrape(metrics_server)
    assert value(during, "tessera_transactions_open") - value(after, "tessera_transactions_open") >= 1


def test_other_paths_and_methods(metrics_server):
    base = f"http://127.0.0.1:{metrics_server.metrics_port}"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base}/nothing", timeout=10)
    assert missing.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(urllib.request.Request(f"{base}/metrics", data=b"x", method="POST"), timeout=10)
    assert posted.value.code == 405



def test_server_status_op_latencies_and_rocksdb(metrics_server):
    with metrics_server.client() as client:
        before = client.admin.command("serverStatus")
        client.t.lat.insert_many([{"x": i} for i in range(10)])
        list(client.t.lat.find({"x": {"$gte": 0}}))
        client.t.command("ping")
        after = client.admin.command("serverStatus")
    for kind in ["reads", "writes", "commands"]:
        assert set(after["opLatencies"][kind]) >= {"latency", "ops"}
        assert after["opLatencies"][kind]["ops"] > before["opLatencies"][kind]["ops"], kind
        assert after["opLatencies"][kind]["latency"] >= before["opLatencies"][kind]["latency"], kind
    rocksdb = after["rocksdb"]
    for field in ["memtableBytes", "pendingCompactionBytes", "writeStoppedKeySpaces", "blockCacheUsage",
                  "blockCacheCapacity", "sstBytesByLevel"]:
        assert field in rocksdb, field
    assert rocksdb["memtableBytes"] > 0  # the inserts above sit in a memtable


def test_write_conflicts_and_group_commit_figures(metrics_server):
    from pymongo import WriteConcern
    from pymongo.errors import OperationFailure
    import threading

    with metrics_server.client() as client:
        coll = client.t.conflicts
        coll.insert_one({"_id": 1, "n": 0})

        def conflicts():
            return client.admin.command("serverStatus")["metrics"]["operation"]["writeConflicts"]

        before = conflicts()
        seen = 0
        for _ in range(3):
            with client.start_session() as first, client.start_session() as second:
                first.start_transaction()
                second.start_transaction()
                coll.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=first)
                try:
                    coll.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=second)
                except OperationFailure as error:
                    assert error.code == 112, error
                    seen += 1
                first.commit_transaction()
                if second.in_transaction:
                    second.abort_transaction()
        assert seen >= 1
        assert conflicts() - before == seen

        def group_commit():
            return client.admin.command("serverStatus")["tessera"]["journal"]["groupCommit"]

        def commit_section():
            return client.admin.command("serverStatus")["tessera"]["commitSection"]

        start = group_commit()
        section_start = commit_section()
        journaled = client.t.get_collection("journaled", write_concern=WriteConcern(j=True))
        writers, each = 8, 25

        def write(worker):
            for i in range(each):
                journaled.insert_one({"w": worker, "i": i})

        threads = [threading.Thread(target=write, args=(worker,)) for worker in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end = group_commit()
        assert end["batches"] > start["batches"]
        # Every journaled insert was made durable by some sync, so the batches cover them all.
        assert end["writes"] - start["writes"] >= writers * each
        assert sum(end["batchSizes"].values()) == end["batches"]
        assert end["largestBatch"] >= 1
        # Every insert entered the commit section once; each entry falls in one wait bucket.
        section = commit_section()
        assert section["acquisitions"] - section_start["acquisitions"] >= writers * each
        assert sum(section["waitTimes"].values()) == section["acquisitions"]
        assert list(section["waitTimes"])[-1] == "more"
        assert section["longestWaitMicros"] <= section["waitMicros"]

        samples, text = scrape(metrics_server)
    assert value(samples, "tessera_write_conflicts_total") >= seen
    buckets = sorted(((float(dict(labels)["le"]), count) for (name, labels), count in samples.items()
                      if name == "tessera_group_commit_batch_size_bucket"))
    assert buckets and buckets[-1][0] == math.inf, text
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    assert buckets[-1][1] == value(samples, "tessera_group_commit_batch_size_count") >= end["batches"]
    assert value(samples, "tessera_group_commit_batch_size_sum") >= end["writes"]
    # The commit section's wait histogram agrees with serverStatus, bucket by bucket.
    waits = sorted(((float(dict(labels)["le"]), count) for (name, labels), count in samples.items()
                    if name == "tessera_commit_section_wait_seconds_bucket"))
    assert [bound for bound, _ in waits] == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, math.inf], text
    assert all(a[1] <= b[1] for a, b in zip(waits, waits[1:]))
    entries = value(samples, "tessera_commit_section_wait_seconds_count")
    assert waits[-1][1] == entries >= section["acquisitions"] >= writers * each
    assert waits[0][1] >= section["waitTimes"]["le1us"]
    assert value(samples, "tessera_commit_section_wait_seconds_sum") >= section["waitMicros"] / 1e6 - 1e-6
    assert value(samples, "tessera_commit_section_hold_seconds_total") >= section["holdMicros"] / 1e6 - 1e-6 > 0
