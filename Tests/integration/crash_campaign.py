# Crash campaign and soak driver (issue 15), like RocksDB's db_stress: a mixed pymongo load
# on a real `tessera serve` — j:true inserts, updates that change indexed fields, deletes,
# multi-document transactions, index builds and drops, a change-stream reader — then a
# seeded SIGKILL, a restart and checks: every acknowledged write present with its value, no
# transaction half applied, every index agreeing with a collection scan, the change stream
# resuming without a gap, dbHash stable across a clean restart. `--soak` runs the same load
# without kills, plus `--connections` raw connections of small commands (ConnectionSwarm),
# and reports RSS, open descriptors, connections, ops/s and p50/p99 every interval.
# Owns: the workload model (what was acknowledged, what was in flight) and the checks.
# Used by scripts/crash-test, scripts/soak and test_crash_campaign.py.

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rawwire import RawConnection  # noqa: E402
from tessera_server import TesseraServer  # noqa: E402

DB = "crash"
SWARM_DB = "soak_swarm"  # the soak's extra connections write here, apart from the checked load
DELETED = object()  # a document's acknowledged state after a delete
JOURNALED = WriteConcern(w=1, j=True)
# Indexes on the `kv` collection: secondary, compound, unique.
KV_INDEXES = [([("g", 1)], {"name": "g_1"}), ([("g", 1), ("v", -1)], {"name": "g_1_v_-1"}),
              ([("u", 1)], {"name": "u_1", "unique": True})]


class CampaignFailure(AssertionError):
    """A check found lost, wrong or inconsistent data."""


@dataclass
class Model:
    """What the clients were told: acknowledged document states and the ops in flight.

    Each writer owns its own `_id` range, so per document there is at most one op in flight;
    after a kill that op may or may not have been applied."""

    acked: dict[int, object] = field(default_factory=dict)  # _id -> v, or DELETED
    pending: dict[int, object] = field(default_factory=dict)  # _id -> candidate v or DELETED
    tx_acked: set[int] = field(default_factory=set)
    tx_pending: set[int] = field(default_factory=set)
    seen_inserts: set[int] = field(default_factory=set)  # kv inserts the change stream delivered
    acked_inserts: set[int] = field(default_factory=set)
    resume_token: object = None
    acked_writes: int = 0  # acknowledged j:true writes (documents and transactions), total
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class LoadStats:
    ops: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> None:
        with self.lock:
            self.ops += 1


def kv_doc(doc_id: int, v: int) -> dict:
    """The document a write with value v leaves: indexed fields follow v."""
    return {"_id": doc_id, "v": v, "g": v % 17, "u": f"{doc_id}-{v}", "w": v % 7, "pad": "x" * (v % 64)}


class Load:
    """The mixed workload's threads; `stop` ends them, a server kill makes them fail out."""

    def __init__(self, uri: str, model: Model, rng: random.Random, writers: int, soak: bool):
        self.uri, self.model, self.soak = uri, model, soak
        self.stop = threading.Event()
        # Set just before the SIGKILL: errors after it are the kill's, errors before it are bugs.
        self.killed = threading.Event()
        self.stats = LoadStats()
        self.threads: list[threading.Thread] = []
        self.seeds = [rng.randrange(1 << 30) for _ in range(writers + 3)]
        self.writers = writers

    def client(self) -> MongoClient:
        return MongoClient(self.uri, serverSelectionTimeoutMS=3000, retryWrites=False,
                           socketTimeoutMS=30_000)

    def start(self) -> None:
        for k in range(self.writers):
            self.threads.append(threading.Thread(target=self._guard, args=(self._writer, k), daemon=True))
        self.threads.append(threading.Thread(target=self._guard, args=(self._transactions, 0), daemon=True))
        self.threads.append(threading.Thread(target=self._guard, args=(self._index_churn, 0), daemon=True))
        self.threads.append(threading.Thread(target=self._guard, args=(self._reader, 0), daemon=True))
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _guard(self, body, k: int) -> None:
        try:
            body(k)
        except PyMongoError as error:  # the kill's, or a real error
            if not self.killed.is_set():
                with self.stats.lock:
                    self.stats.errors.append(f"{body.__name__}[{k}]: {error!r}")

    def _writer(self, k: int) -> None:
        rng = random.Random(self.seeds[k])
        base = (k + 1) * 10_000_000
        model = self.model
        with self.client() as mongo:
            kv = mongo[DB].get_collection("kv", write_concern=JOURNALED)
            with model.lock:
                mine = [i for i in model.acked if base <= i < base + 10_000_000]
                live = [i for i in mine if model.acked[i] is not DELETED]
                next_id = max(mine, default=base) + 1
            while not self.stop.is_set():
                roll = rng.random()
                if roll < 0.45 or not live:
                    doc_id, value, op = next_id, rng.randrange(1_000_000), "insert"
                    next_id += 1
                elif roll < 0.9:
                    doc_id, value, op = rng.choice(live), rng.randrange(1_000_000), "update"
                else:
                    doc_id, value, op = rng.choice(live), DELETED, "delete"
                with model.lock:
                    model.pending[doc_id] = value
                if op == "insert":
                    kv.insert_one(kv_doc(doc_id, value))
                elif op == "update":
                    fields = kv_doc(doc_id, value)
                    del fields["_id"]
                    kv.update_one({"_id": doc_id}, {"$set": fields})
                else:
                    kv.delete_one({"_id": doc_id})
                with model.lock:
                    model.acked[doc_id] = value
                    del model.pending[doc_id]
                    model.acked_writes += 1
                    if op == "insert":
                        model.acked_inserts.add(doc_id)
                if op == "insert":
                    live.append(doc_id)
                elif op == "delete":
                    live.remove(doc_id)
                self.stats.count()
                if self.soak and len(live) > 2000:
                    victim = live.pop(0)
                    with model.lock:
                        model.pending[victim] = DELETED
                    kv.delete_one({"_id": victim})
                    with model.lock:
                        model.acked[victim] = DELETED
                        del model.pending[victim]

    def _transactions(self, _: int) -> None:
        rng = random.Random(self.seeds[self.writers])
        model = self.model
        with self.client() as mongo:
            with model.lock:
                tx_id = max(model.tx_acked | model.tx_pending, default=0) + 1
            while not self.stop.is_set():
                with model.lock:
                    model.tx_pending.add(tx_id)
                with mongo.start_session() as session:
                    session.start_transaction(write_concern=JOURNALED, read_concern=ReadConcern("snapshot"))
                    try:
                        parts = rng.randrange(2, 5)
                        mongo[DB].tx_a.insert_one({"_id": tx_id, "parts": parts}, session=session)
                        mongo[DB].tx_b.insert_many([{"_id": f"{tx_id}.{p}", "tx": tx_id} for p in range(parts)],
                                                   session=session)
                        mongo[DB].tx_a.update_one({"_id": "total"}, {"$inc": {"parts": parts, "txs": 1}},
                                                  upsert=True, session=session)
                        session.commit_transaction()
                    except OperationFailure as error:
                        if error.has_error_label("TransientTransactionError") and not self.stop.is_set():
                            with model.lock:
                                model.tx_pending.discard(tx_id)
                            continue  # write conflict on the total: try the next one
                        raise
                with model.lock:
                    model.tx_pending.discard(tx_id)
                    model.tx_acked.add(tx_id)
                    model.acked_writes += 1
                tx_id += 1
                self.stats.count()

    def _index_churn(self, _: int) -> None:
        rng = random.Random(self.seeds[self.writers + 1])
        with self.client() as mongo:
            kv = mongo[DB].kv
            while not self.stop.is_set():
                self.stop.wait(rng.uniform(0.05, 0.4))
                if rng.random() < 0.5:
                    kv.create_index([("w", 1), ("g", 1)], name="churn_w_g")
                else:
                    kv.drop_index("churn_w_g") if "churn_w_g" in kv.index_information() else None
                self.stats.count()

    def _reader(self, _: int) -> None:
        model = self.model
        with self.client() as mongo:
            with mongo[DB].kv.watch(resume_after=model.resume_token, max_await_time_ms=200) as stream:
                while not self.stop.is_set():
                    event = stream.try_next()
                    if event is None:
                        continue
                    with model.lock:
                        model.resume_token = stream.resume_token
                        if event.get("operationType") == "insert":
                            model.seen_inserts.add(event["documentKey"]["_id"])
                    self.stats.count()


def prepare(uri: str) -> None:
    """The collections and their indexes (idempotent)."""
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as mongo:
        for keys, options in KV_INDEXES:
            mongo[DB].kv.create_index(keys, **options)
        mongo[DB].tx_b.create_index([("tx", 1)], name="tx_1")
        for name in ("tx_a",):
            if name not in mongo[DB].list_collection_names():
                mongo[DB].create_collection(name)


def start_token(mongo: MongoClient) -> object:
    """A resume token for "now", so the reader misses nothing written after this call."""
    with mongo[DB].kv.watch(max_await_time_ms=10) as stream:
        stream.try_next()
        return stream.resume_token


def check_documents(mongo: MongoClient, model: Model) -> int:
    """Every acknowledged kv state is there; in-flight ops are applied or not. Returns the
    number of acknowledged states checked; folds what was found into the model."""
    found = {doc["_id"]: doc for doc in mongo[DB].kv.find({}).hint([("$natural", 1)])}
    problems = []
    for doc_id in set(model.acked) | set(model.pending):
        allowed = []
        if doc_id in model.acked:
            allowed.append(model.acked[doc_id])
        if doc_id in model.pending:
            allowed.append(model.pending[doc_id])
        if doc_id not in model.acked:
            allowed.append(DELETED)  # an insert never acknowledged
        doc = found.get(doc_id)
        state = DELETED if doc is None else doc.get("v")
        if state not in allowed or (doc is not None and doc != kv_doc(doc_id, doc["v"])):
            shown = ["deleted" if a is DELETED else a for a in allowed]
            problems.append(f"_id {doc_id}: found {doc!r}, acknowledged/in-flight states {shown}")
        model.acked[doc_id] = state
    strays = set(found) - set(model.acked)
    problems += [f"_id {i}: present but never written" for i in sorted(strays)[:10]]
    if problems:
        raise CampaignFailure(f"{len(problems)} kv documents wrong:\n" + "\n".join(problems[:20]))
    checked = len(model.acked)
    model.pending.clear()
    return checked


def check_transactions(mongo: MongoClient, model: Model) -> int:
    """All or nothing: each tx_a record has all its tx_b parts and the total agrees."""
    heads = {doc["_id"]: doc for doc in mongo[DB].tx_a.find({})}
    total = heads.pop("total", {"parts": 0, "txs": 0})
    parts: dict[int, int] = {}
    for doc in mongo[DB].tx_b.find({}):
        parts[doc["tx"]] = parts.get(doc["tx"], 0) + 1
    problems = [f"tx {t}: acknowledged but missing" for t in sorted(model.tx_acked - set(heads))]
    problems += [f"tx {t}: head says {h['parts']} parts, {parts.get(t, 0)} found"
                 for t, h in heads.items() if parts.get(t, 0) != h["parts"]]
    problems += [f"tx {t}: parts without a head" for t in set(parts) - set(heads)]
    problems += [f"tx {t}: never started" for t in set(heads) - model.tx_acked - model.tx_pending]
    if total.get("txs") != len(heads) or total.get("parts") != sum(h["parts"] for h in heads.values()):
        problems.append(f"total {total} disagrees with {len(heads)} transactions found")
    if problems:
        raise CampaignFailure("transactions half applied or lost:\n" + "\n".join(problems[:20]))
    model.tx_acked = set(heads)
    model.tx_pending.clear()
    return len(heads)


def check_indexes(mongo: MongoClient) -> int:
    """Each index of each collection returns exactly the collection scan's documents, unique
    indexes hold no duplicate, and `validate` answers ok. Returns the indexes checked."""
    checked = 0
    for name in mongo[DB].list_collection_names():
        coll = mongo[DB][name]
        scan = sorted((repr(d["_id"]), repr(d)) for d in coll.find({}).hint([("$natural", 1)]))
        for index in coll.list_indexes():
            via = sorted((repr(d["_id"]), repr(d)) for d in coll.find({}).hint(index["name"]))
            if via != scan:
                missing = {k for k, _ in scan} - {k for k, _ in via}
                extra = sorted(set(via) - set(scan))
                raise CampaignFailure(f"{name}.{index['name']}: {len(via)} documents via the index, "
                                      f"{len(scan)} by a scan; missing {sorted(missing)[:5]}, "
                                      f"extra/wrong {extra[:5]}")
            if index.get("unique"):
                keys = [tuple(d.get(f) for f in index["key"]) for d in coll.find({})]
                if len(keys) != len(set(keys)):
                    raise CampaignFailure(f"{name}.{index['name']}: duplicate keys in a unique index")
            checked += 1
        reply = mongo[DB].command("validate", name)
        if not reply.get("valid", reply.get("ok") == 1):
            raise CampaignFailure(f"validate {name}: {reply}")
    return checked


def check_change_stream(mongo: MongoClient, model: Model, timeout: float) -> int:
    """Resumes from the reader's last token and reads until every acknowledged kv insert the
    reader had not seen arrives. Returns how many were delivered after the resume."""
    owed = model.acked_inserts - model.seen_inserts
    delivered = 0
    deadline = time.monotonic() + timeout
    with mongo[DB].kv.watch(resume_after=model.resume_token, max_await_time_ms=200) as stream:
        while owed and time.monotonic() < deadline:
            event = stream.try_next()
            if event is None:
                continue
            model.resume_token = stream.resume_token
            if event.get("operationType") == "insert":
                doc_id = event["documentKey"]["_id"]
                model.seen_inserts.add(doc_id)
                owed.discard(doc_id)
                delivered += 1
    if owed:
        raise CampaignFailure(f"change stream gap: {len(owed)} acknowledged inserts never delivered "
                              f"after resuming, e.g. {sorted(owed)[:5]}")
    return delivered


def db_hash(mongo: MongoClient) -> str:
    return mongo[DB].command("dbHash")["md5"]


@dataclass
class Settings:
    cycles: int
    seed: int
    writers: int
    min_load: float
    max_load: float
    hash_every: int
    workdir: Path


def run_campaign(settings: Settings, out=print) -> dict:
    """The crash cycles; raises CampaignFailure on the first problem. Returns the totals."""
    rng = random.Random(settings.seed)
    out(f"crash-test: seed {settings.seed}, {settings.cycles} cycles, {settings.writers} writers, "
        f"dbpath {settings.workdir / 'db'}")
    server = TesseraServer(settings.workdir / "db", settings.workdir / "server.log")
    server.start()
    prepare(server.uri)
    model = Model()
    with server.client() as mongo:
        model.resume_token = start_token(mongo)
    # `lost` stays 0: any lost or wrong acknowledged write raises CampaignFailure instead.
    totals = {"cycles": 0, "checked": 0, "lost": 0}
    try:
        for cycle in range(1, settings.cycles + 1):
            load = Load(server.uri, model, rng, settings.writers, soak=False)
            delay = rng.uniform(settings.min_load, settings.max_load)
            started = time.monotonic()
            load.start()
            time.sleep(delay)
            load.killed.set()
            server.kill()
            load.join()
            if load.stats.errors:
                raise CampaignFailure("error before the kill: " + "; ".join(load.stats.errors[:5]))
            acked_before = model.acked_writes
            server.start()
            with server.client() as mongo:
                docs = check_documents(mongo, model)
                txs = check_transactions(mongo, model)
                indexes = check_indexes(mongo)
                delivered = check_change_stream(mongo, model, timeout=30)
                want_hash = bool(settings.hash_every) and (cycle % settings.hash_every == 0
                                                           or cycle == settings.cycles)
                before = db_hash(mongo) if want_hash else ""
            hashed = ""
            if want_hash:
                code = server.stop()
                if code != 0:
                    raise CampaignFailure(f"clean stop exited {code}:\n{server.log_tail()}")
                server.start()
                with server.client() as mongo:
                    after = db_hash(mongo)
                if after != before:
                    raise CampaignFailure(f"dbHash changed across a clean restart: {before} -> {after}")
                hashed = " dbHash stable"
            totals["cycles"] = cycle
            totals["checked"] = model.acked_writes
            out(f"cycle {cycle}: killed after {delay:.2f}s, {load.stats.ops} ops, "
                f"{acked_before} acked writes so far; checked {docs} docs, {txs} txs, {indexes} indexes, "
                f"{delivered} events after resume{hashed} ({time.monotonic() - started:.1f}s)")
    except CampaignFailure as failure:
        where = f"cycle {totals['cycles'] + 1} (seed {settings.seed}; server log {server.log_path})"
        out(f"crash-test FAILED at {where}")
        raise CampaignFailure(f"{where}: {failure}") from failure
    finally:
        if server.running:
            server.stop()
    out(f"crash-test: {totals['cycles']} cycles, {totals['checked']} acknowledged writes checked, "
        f"{totals['lost']} lost (seed {settings.seed})")
    return totals


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class ConnectionSwarm:
    """`count` raw wire connections (one thread each, no driver pool), each looping over mixed
    small commands on its own documents with a short pause between them: insert, find by
    `_id`, `$inc` update, a small aggregate, delete (the last two through an index on `k`, so
    each command touches a connection's few documents, not a growing collection). Records each
    command's latency; any error reply or socket failure is an error of the soak."""

    def __init__(self, server: TesseraServer, count: int, seed: int, stats: LoadStats):
        self.server, self.count, self.seed, self.stats = server, count, seed, stats
        self.stop = threading.Event()
        self.connected = threading.Semaphore(0)
        self.threads: list[threading.Thread] = []
        self.latencies: list[float] = []  # seconds, since the last take_latencies
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.server.client() as mongo:
            for name in ("swarm", "swarm_log"):
                mongo[SWARM_DB][name].create_index([("k", 1)])
        for k in range(self.count):
            thread = threading.Thread(target=self._run, args=(k,), daemon=True, name=f"conn-{k}")
            self.threads.append(thread)
            thread.start()
        for _ in range(self.count):
            if not self.connected.acquire(timeout=120):
                raise CampaignFailure("soak: connections did not all open within 120 s")

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def take_latencies(self) -> list[float]:
        with self.lock:
            taken, self.latencies = self.latencies, []
        return taken

    def _run(self, k: int) -> None:
        rng = random.Random(self.seed * 100_003 + k)
        try:
            connection = RawConnection(self.server.port, timeout=60.0)
        except OSError as error:
            self._error(k, repr(error))
            self.connected.release()
            return
        with connection:
            done: list[float] = []
            try:
                try:
                    connection.command({"hello": 1, "$db": "admin"})
                finally:
                    self.connected.release()  # start() waits for every connection, failed or not
                n = 0
                while not self.stop.wait(rng.uniform(0.2, 1.0)):
                    n += 1
                    doc_id = f"{k}.{n % 50}"
                    roll = rng.random()
                    if roll < 0.3:
                        body = {"update": "swarm", "updates": [{"q": {"_id": doc_id},
                                "u": {"$set": {"k": k, "n": n}, "$inc": {"c": 1}}, "upsert": True}]}
                    elif roll < 0.6:
                        body = {"find": "swarm", "filter": {"_id": doc_id}, "singleBatch": True}
                    elif roll < 0.75:
                        body = {"aggregate": "swarm", "pipeline": [{"$match": {"k": k}}, {"$group": {"_id": None, "c": {"$sum": "$c"}}}],
                                "cursor": {}}
                    elif roll < 0.9:
                        body = {"insert": "swarm_log", "documents": [{"k": k, "n": n, "pad": "x" * rng.randrange(200)}]}
                    else:
                        body = {"delete": "swarm_log", "deletes": [{"q": {"k": k}, "limit": 0}]}
                    body["$db"] = SWARM_DB
                    started = time.monotonic()
                    reply = connection.command(body)
                    done.append(time.monotonic() - started)
                    if reply.get("ok") != 1 or reply.get("writeErrors"):
                        self._error(k, repr(reply))
                        return
                    self.stats.count()
                    with self.lock:
                        self.latencies.extend(done)
                    done = []
            except (OSError, ValueError) as error:
                if not self.stop.is_set():
                    self._error(k, repr(error))
            finally:
                with self.lock:
                    self.latencies.extend(done)

    def _error(self, k: int, text: str) -> None:
        with self.stats.lock:
            self.stats.errors.append(f"connection[{k}]: {text}")


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile of `values` (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


def run_soak(seconds: float, interval: float, writers: int, seed: int, workdir: Path, out=print,
             rss_bound_mib: int | None = None, connections: int = 0) -> list[int]:
    """The load without kills, plus `connections` more connections of mixed small commands
    (ConnectionSwarm); RSS, descriptors, open connections, ops/s and the swarm's p50/p99
    latency every interval. Fails on any error, or RSS past the first interval's figure plus
    the store's memory budget (128 MiB of memtables, 64 MiB of block cache) and 64 MiB of slack
    plus 64 KiB per swarm connection (or `rss_bound_mib` when given).
    Returns the RSS series (KiB)."""
    out(f"soak: {seconds:.0f}s, {writers} writers, {connections} connections, seed {seed}, interval {interval:.0f}s")
    server = TesseraServer(workdir / "db", workdir / "server.log")
    server.start()
    prepare(server.uri)
    model = Model()
    load = Load(server.uri, model, random.Random(seed), writers, soak=True)
    swarm = ConnectionSwarm(server, connections, seed, load.stats)
    series: list[int] = []
    all_latencies: list[float] = []
    bound = rss_bound_mib * 1024 if rss_bound_mib else None
    try:
        load.start()
        swarm.start()
        start = last_time = time.monotonic()
        last_ops = 0
        while time.monotonic() - start < seconds:
            time.sleep(min(interval, max(0.0, seconds - (time.monotonic() - start))))
            now, ops = time.monotonic(), load.stats.ops
            rss = server.rss_kib()
            series.append(rss)
            if bound is None:
                bound = rss + (128 + 64 + 64) * 1024 + connections * 64
                out(f"soak: RSS bound {bound / 1024:.0f} MiB")
            latencies = swarm.take_latencies()
            all_latencies.extend(latencies)
            with server.client() as mongo:
                open_connections = mongo.admin.command("serverStatus")["connections"]["current"]
            out(f"soak t={now - start:6.0f}s rss={rss / 1024:.1f}MiB fds={open_fds(server.pid)} "
                f"connections={open_connections} ops/s={(ops - last_ops) / (now - last_time):.0f} "
                f"p50={percentile(latencies, 0.5) * 1000:.1f}ms p99={percentile(latencies, 0.99) * 1000:.1f}ms "
                f"errors={len(load.stats.errors)}")
            last_ops, last_time = ops, now
            if load.stats.errors:
                raise CampaignFailure("soak error: " + "; ".join(load.stats.errors[:5]))
            if rss > bound:
                raise CampaignFailure(f"RSS {rss} KiB past the bound {bound} KiB set after the first interval")
            if not server.running:
                raise CampaignFailure(f"server died:\n{server.log_tail()}")
        swarm.join()
        load.join()
        all_latencies.extend(swarm.take_latencies())
        if load.stats.errors:
            raise CampaignFailure("soak error: " + "; ".join(load.stats.errors[:5]))
        with server.client() as mongo:
            check_documents(mongo, model)
            check_transactions(mongo, model)
            check_indexes(mongo)
    finally:
        swarm.stop.set()
        load.stop.set()
        code = server.stop()
    if code != 0:
        raise CampaignFailure(f"server exited {code} after SIGTERM")
    out(f"soak: {seconds:.0f}s, {connections} connections, {load.stats.ops} ops, 0 errors, "
        f"swarm latency p50 {percentile(all_latencies, 0.5) * 1000:.1f} ms p99 {percentile(all_latencies, 0.99) * 1000:.1f} ms "
        f"({len(all_latencies)} commands), RSS series MiB: " + " ".join(f"{r / 1024:.0f}" for r in series))
    return series


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("CRASH_CYCLES", "100")))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--min-load", type=float, default=0.3)
    parser.add_argument("--max-load", type=float, default=2.0)
    parser.add_argument("--hash-every", type=int, default=10)
    parser.add_argument("--soak", type=float, default=None, help="soak for this many seconds instead")
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=0,
                        help="soak: this many more connections of mixed small commands (p50/p99 reported)")
    parser.add_argument("--rss-bound-mib", type=int, default=None,
                        help="soak: fail past this RSS instead of the bound set after the first interval")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.soak is not None:
            run_soak(args.soak, args.interval, args.writers, seed, args.workdir, out=lambda s: print(s, flush=True),
                     rss_bound_mib=args.rss_bound_mib, connections=args.connections)
        else:
            run_campaign(Settings(args.cycles, seed, args.writers, args.min_load, args.max_load,
                                  args.hash_every, args.workdir), out=lambda s: print(s, flush=True))
    except CampaignFailure as failure:
        print(f"FAILED: {failure}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
