#!/usr/bin/env python3
# The structure-aware command fuzzer: builds commands from the server's own command table
# (listCommands) with option values of every BSON type (numeric extremes, NaN, ±Inf, -0.0,
# empty and large strings and arrays, deep nesting, invalid regexes, wrong types, operator
# documents), sends them to a real `tessera serve`, and checks that every request gets an
# answer (ok: 1, or ok: 0 with a code and code name), that no connection in sync is closed,
# and that the server stays up. At the end the guard data committed first must be intact.
# A request that kills or hangs the server is saved under --crash-dir as Extended JSON;
# test_command_fuzzer.py replays every saved one as a regression test.
#
#   command_fuzzer.py --seconds 60 --seed 1          # against a server it starts itself
#   command_fuzzer.py --uri mongodb://127.0.0.1:27017 --seconds 3600

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import bson
from bson import json_util
from bson.binary import Binary
from bson.code import Code
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.son import SON
from bson.timestamp import Timestamp
from pymongo import MongoClient
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, OperationFailure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import EXTREMES  # noqa: E402
from tessera_server import TesseraServer  # noqa: E402

FUZZ_DB = "fuzz"
GUARD_DB = "zz_guard_8f3"          # never produced by the generator's vocabulary
GUARD_DOCS = [{"_id": i, "v": f"guard-{i}", "n": i * 7} for i in range(200)]
AUTO_DATES = CodecOptions(datetime_conversion=DatetimeConversion.DATETIME_AUTO, document_class=SON)

# Commands that would end the run on purpose rather than by a defect.
EXCLUDED = {"shutdown"}

OPTION_NAMES = [
    "filter", "query", "q", "u", "update", "pipeline", "documents", "updates", "deletes", "sort",
    "projection", "fields", "key", "keys", "indexes", "index", "cursor", "batchSize", "skip", "limit",
    "maxTimeMS", "maxAwaitTimeMS", "writeConcern", "readConcern", "lsid", "txnNumber", "autocommit",
    "startTransaction", "hint", "collation", "let", "comment", "upsert", "new", "remove", "ordered",
    "bypassDocumentValidation", "allowDiskUse", "explain", "verbosity", "nameOnly", "scale", "size",
    "capped", "max", "expireAfterSeconds", "name", "to", "dropTarget", "collection", "getMore", "cursors",
    "full", "arrayFilters", "multi", "returnKey", "showRecordId", "tailable", "awaitData", "noCursorTimeout",
    "singleBatch", "min", "max", "n", "op", "id", "timeout", "viewOn", "validator", "distinct",
    "topologyVersion", "helloOk", "compression", "saslSupportedMechs", "mechanism", "payload",
    "conversationId", "user", "pwd", "roles", "allParameters", "ttlMonitorSleepSecs", "level",
]
OPERATORS = [
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$type", "$mod", "$regex",
    "$options", "$all", "$elemMatch", "$size", "$not", "$and", "$or", "$nor", "$expr", "$bitsAllSet",
    "$set", "$unset", "$inc", "$mul", "$push", "$addToSet", "$pull", "$pop", "$rename", "$min", "$max",
    "$currentDate", "$each", "$slice", "$position", "$bit", "$setOnInsert", "$match", "$group", "$project",
    "$sort", "$limit", "$skip", "$unwind", "$lookup", "$facet", "$bucket", "$bucketAuto", "$sample",
    "$addFields", "$replaceRoot", "$count", "$graphLookup", "$unionWith", "$setWindowFields", "$densify",
    "$fill", "$out", "$merge", "$sum", "$avg", "$first", "$last", "$push", "$add", "$subtract",
    "$multiply", "$divide", "$pow", "$range", "$concat", "$substrCP", "$dateAdd", "$dateTrunc",
    "$toInt", "$convert", "$arrayElemAt", "$reduce", "$map", "$filter", "$let", "$switch", "$cond",
    "$regexMatch", "$regexFind", "$split", "$replaceAll", "$round", "$trunc", "$literal", "$meta",
    "$getField", "$setField", "$sortArray", "$zip", "$firstN", "$topN", "$percentile", "$median",
]
FIELD_NAMES = ["a", "b", "n", "_id", "arr", "s", "d", "x.y", "arr.0", "a.$", "arr.$[]", "", "$bad", "a" * 300]
STRINGS = ["", "c", "other", "a.b", "$a", "$$ROOT", "$$NOW", "\x00", "ß", "(a+)+$", "[", "*", "\\",
           "day", "week", "millisecond", "year", "UTC", "+99:99", "Europe/Berlin", "%Y-%m-%d", "1",
           "majority", "local", "snapshot", "SCRAM-SHA-256", "int", "long", "objectId", "executionStats"]


class Generator:
    """Random BSON values and command bodies from one seeded random source."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def scalar(self):
        r = self.rng
        kind = r.randrange(18)
        if kind < 6:
            return r.choice(EXTREMES)
        if kind == 6:
            return r.choice(STRINGS)
        if kind == 7:
            return "x" * r.choice([0, 1, 100, 10_000, 1_000_000])
        if kind == 8:
            return Regex(r.choice(["(a+)+$", "[", "a{99999999}", "(?<n>a)", "\\", "^$", "a" * 1000]),
                         r.choice(["", "i", "imsx", "zz"]))
        if kind == 9:
            return datetime.datetime(r.choice([1, 1970, 2024, 9999]), 1, 1)
        if kind == 10:
            return ObjectId()
        if kind == 11:
            return Binary(bytes(r.randrange(256) for _ in range(r.choice([0, 3, 16]))), r.choice([0, 4, 128]))
        if kind == 12:
            return Timestamp(r.randrange(2**32), r.randrange(2**32))
        if kind == 13:
            return r.choice([MinKey(), MaxKey(), Code("function(){}"), None, True, False])
        if kind == 14:
            return r.uniform(-1e6, 1e6)
        if kind == 15:
            return r.randrange(-10, 100)
        return r.choice(FIELD_NAMES)

    def value(self, depth: int = 0):
        r = self.rng
        if depth > 6 or r.random() < 0.45:
            return self.scalar()
        kind = r.randrange(10)
        if kind < 4:
            return self.document(depth + 1)
        if kind < 7:
            return [self.value(depth + 1) for _ in range(r.choice([0, 1, 2, 3, 5]))]
        if kind == 7:   # deep nesting, past the server's depth limit now and then
            value = self.scalar()
            for _ in range(r.choice([10, 99, 150, 250])):
                value = {"a": value} if r.random() < 0.5 else [value]
            return value
        if kind == 8:   # a long array
            return [self.scalar() for _ in range(r.choice([100, 1000]))]
        return {r.choice(OPERATORS): self.value(depth + 1)}

    def document(self, depth: int = 0) -> dict:
        r = self.rng
        doc = {}
        for _ in range(r.choice([0, 1, 1, 2, 3])):
            key = r.choice(OPERATORS) if r.random() < 0.4 else r.choice(FIELD_NAMES)
            doc[key] = self.value(depth + 1)
        return doc

    def command(self, names: list[str]) -> tuple[str, SON]:
        r = self.rng
        name = r.choice(names)
        first = r.choice(["c", "c", "other", 1, 1, self.scalar()])
        body = SON([(name, first)])
        for _ in range(r.choice([0, 1, 2, 3, 4, 6])):
            body[r.choice(OPTION_NAMES)] = self.value()
        database = "admin" if r.random() < 0.15 else FUZZ_DB
        return database, body


def seed(client: MongoClient) -> None:
    guard = client[GUARD_DB]["docs"]
    guard.drop()
    guard.insert_many(GUARD_DOCS)
    coll = client[FUZZ_DB]["c"]
    coll.drop()
    coll.insert_many([{"_id": i, "a": i, "b": str(i), "arr": [i, {"a": i}], "n": Int64(2**62 + i),
                       "d": datetime.datetime(2024, 1, 1 + i % 28)} for i in range(100)])
    coll.create_index("a")


def check_reply(reply) -> str | None:
    """Why a reply breaks the contract, or None."""
    if not isinstance(reply, dict):
        return f"reply is not a document: {reply!r}"[:300]
    if reply.get("ok") == 1:
        return None
    if not isinstance(reply.get("code"), int) or reply["code"] <= 0:
        return f"error without a code: {reply!r}"[:300]
    if not isinstance(reply.get("codeName"), str) or not reply["codeName"]:
        return f"error without a code name: {reply!r}"[:300]
    return None


def save(crash_dir: Path, database: str, body, why: str) -> Path:
    crash_dir.mkdir(parents=True, exist_ok=True)
    raw = bson.encode(SON([("db", database), ("command", body)]))
    name = f"crash-{abs(hash(raw)) % 10**12:012d}.json"
    path = crash_dir / name
    path.write_text(json.dumps({"why": why, "db": database,
                                "command": json.loads(json_util.dumps(body, json_options=json_util.CANONICAL_JSON_OPTIONS))},
                               indent=1))
    return path


def run(server: TesseraServer | None, uri: str, seconds: float, seed_value: int, crash_dir: Path,
        timeout_ms: int = 30_000) -> dict:
    rng = random.Random(seed_value)
    generator = Generator(rng)
    options = dict(serverSelectionTimeoutMS=10_000, socketTimeoutMS=timeout_ms, retryWrites=False, retryReads=False)
    client = MongoClient(uri, **options)
    seed(client)
    names = sorted(n for n in client.admin.command("listCommands")["commands"] if n not in EXCLUDED)
    counts = {"requests": 0, "ok": 0, "errors": 0, "closed": 0, "crashes": 0, "hangs": 0, "bad_replies": 0}
    failures: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        database, body = generator.command(names)
        counts["requests"] += 1
        try:
            reply = client[database].command(body, check=False, codec_options=AUTO_DATES)
        except (bson.errors.InvalidDocument, ValueError, TypeError, OverflowError):
            continue  # pymongo refused to encode what we built: nothing reached the server
        except OperationFailure as failure:
            reply = failure.details or {}
        except NetworkTimeout:
            counts["hangs"] += 1
            failures.append(f"hang: {save(crash_dir, database, body, 'no answer within the socket timeout')}")
            client.close()
            client = MongoClient(uri, **options)
            continue
        except (AutoReconnect, ConnectionFailure) as error:
            alive = server is None or server_alive(server)
            kind = "closed" if alive else "crashes"
            counts[kind] += 1
            why = "the server closed a connection in sync" if alive else "the server died"
            failures.append(f"{kind}: {save(crash_dir, database, body, f'{why}: {error!r}')}")
            if not alive:
                server.start()
            client.close()
            client = MongoClient(uri, **options)
            continue
        problem = check_reply(reply)
        if problem:
            counts["bad_replies"] += 1
            failures.append(f"bad reply: {save(crash_dir, database, body, problem)}")
        elif reply.get("ok") == 1:
            counts["ok"] += 1
        else:
            counts["errors"] += 1
    client.close()
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as fresh:
        assert fresh.admin.command("ping")["ok"] == 1
        guard = list(fresh[GUARD_DB]["docs"].find({}, sort=[("_id", 1)]))
        if guard != GUARD_DOCS:
            failures.append("guard data changed")
    counts["failures"] = failures
    return counts


def server_alive(server: TesseraServer, wait: float = 90.0) -> bool:
    """False once the process has exited (a crashing process may take a while to backtrace)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        if not server.running:
            return False
        try:
            with MongoClient(server.uri, serverSelectionTimeoutMS=1000) as probe:
                probe.admin.command("ping")
                return True
        except Exception:
            time.sleep(0.2)
    return server.running


def replay(uri: str, path: Path, timeout_ms: int = 30_000) -> str | None:
    """Sends one saved request; returns what went wrong, or None."""
    saved = json.loads(path.read_text())
    body = json_util.loads(json.dumps(saved["command"]), json_options=json_util.CANONICAL_JSON_OPTIONS)
    with MongoClient(uri, serverSelectionTimeoutMS=10_000, socketTimeoutMS=timeout_ms, retryWrites=False) as client:
        try:
            reply = client[saved["db"]].command(SON(body), check=False, codec_options=AUTO_DATES)
        except OperationFailure as failure:
            reply = failure.details or {}
        except Exception as error:
            return f"{path.name}: {error!r}"
        return check_reply(reply)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uri", help="a running server (default: start one)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--crash-dir", type=Path, default=Path(__file__).resolve().parent / "fuzz_crashes" / "new")
    args = parser.parse_args()
    server = None
    uri = args.uri
    if uri is None:
        root = Path(tempfile.mkdtemp(prefix="tessera-fuzz-"))
        server = TesseraServer(root / "db", root / "server.log")
        server.start()
        uri = server.uri
    try:
        started = time.monotonic()
        counts = run(server, uri, args.seconds, args.seed, args.crash_dir)
        elapsed = time.monotonic() - started
    finally:
        if server is not None and server.running:
            server.stop()
    failures = counts.pop("failures")
    print(f"command-fuzzer: seed {args.seed}, {elapsed:.0f} s, "
          + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f", {counts['requests'] / max(elapsed, 1e-9):.0f} requests/s")
    for line in failures:
        print(line)
    if server is not None:
        print(f"server log: {server.log_path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
