"""`tessera dump` / `tessera load` (mongodump's layout) against a running server: every BSON
type and every index kind Tessera has survive a dump → load round trip, plain and gzipped,
and views come back as views."""
from __future__ import annotations

import datetime
import re
import subprocess
import uuid
from pathlib import Path

from bson import (Binary, Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex,
                  Timestamp)
from bson.codec_options import CodecOptions
from pymongo import ASCENDING, DESCENDING, GEO2D, GEOSPHERE, HASHED, TEXT

from tessera_server import tessera_binary


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(tessera_binary()), *args], capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"tessera {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def uri(server) -> str:
    return f"mongodb://127.0.0.1:{server.port}"


ALL_TYPES = {
    "_id": ObjectId(),
    "double": 1.5,
    "negzero": -0.0,
    "string": "héllo",
    "doc": {"a": 1, "b": {"c": [1, 2]}},
    "array": [1, "two", {"three": 3}, [4]],
    "binary": Binary(b"\x00\x01\xff", 0),
    "uuid": Binary(uuid.UUID("12345678-1234-5678-1234-567812345678").bytes, 4),
    "userbin": Binary(b"xyz", 0x80),
    "oid": ObjectId(),
    "true": True,
    "false": False,
    "date": datetime.datetime(2021, 3, 4, 5, 6, 7, 123000, tzinfo=datetime.timezone.utc),
    "olddate": datetime.datetime(1901, 1, 1, tzinfo=datetime.timezone.utc),
    "null": None,
    "regex": Regex("^a.*b$", "imsx"),
    "code": Code("function() { return 1; }"),
    "codews": Code("function() { return x; }", {"x": 1}),
    "int32": 42,
    "timestamp": Timestamp(1700000000, 7),
    "int64": Int64(1 << 40),
    "decimal": Decimal128("1234.5678901234567890"),
    "minkey": MinKey(),
    "maxkey": MaxKey(),
    "dbref": DBRef("other", 1),
}

OPTIONS = CodecOptions(tz_aware=True, uuid_representation=0)


def populate(db) -> None:
    coll = db.get_collection("all", codec_options=OPTIONS)
    coll.insert_one(ALL_TYPES)
    coll.insert_many([{"_id": i, "n": i, "s": f"s{i}", "when": datetime.datetime(2020, 1, 1),
                       "tag": ("x" if i % 2 else None), "score": i % 7} for i in range(2500)])
    coll.create_index([("n", ASCENDING)], name="single")
    coll.create_index([("s", ASCENDING), ("n", DESCENDING)], name="compound")
    coll.create_index([("s", ASCENDING)], name="uniq", unique=True)
    coll.create_index([("score", ASCENDING)], name="partial", partialFilterExpression={"score": {"$gt": 3}})
    coll.create_index([("when", ASCENDING)], name="ttl", expireAfterSeconds=10 ** 9)
    coll.create_index([("tag", ASCENDING)], name="sparse", sparse=True)
    coll.insert_one({"_id": "geo", "s": "geo words", "loc": {"type": "Point", "coordinates": [2.35, 48.85]},
                     "flat": [3.5, -7.25]})
    coll.create_index([("s", HASHED)], name="hashed")
    coll.create_index([("s", TEXT)], name="text", weights={"s": 3}, default_language="english")
    coll.create_index([("loc", GEOSPHERE), ("n", ASCENDING)], name="sphere")
    coll.create_index([("flat", GEO2D)], name="flat", bits=20, min=-100, max=100)
    db.create_collection("capped", capped=True, size=1 << 20)
    db.capped.insert_many([{"i": i} for i in range(10)])
    db.command({"create": "evens", "viewOn": "all", "pipeline": [{"$match": {"score": 2}}]})


def snapshot(db) -> dict:
    """Every collection's documents (in _id order), indexes and options, and the views."""
    state = {}
    for info in sorted(db.list_collections(), key=lambda i: i["name"]):
        name = info["name"]
        if info.get("type") == "view":
            state[name] = ("view", info["options"])
            continue
        coll = db.get_collection(name, codec_options=OPTIONS)
        indexes = sorted((dict(spec) for spec in coll.list_indexes()), key=lambda s: s["name"])
        for spec in indexes:
            spec.pop("ns", None)
        state[name] = (list(coll.find().sort("_id", 1)) if name != "capped" else list(coll.find()),
                       indexes, info.get("options", {}))
    return state


def round_trip(server, client, db, tmp_path: Path, *extra: str) -> Path:
    populate(db)
    before = snapshot(db)
    out = tmp_path / "dump"
    cli("dump", "--uri", uri(server), "--out", str(out), "--db", db.name, *extra)
    client.drop_database(db.name)
    assert db.list_collection_names() == []
    cli("load", "--uri", uri(server), "--dir", str(out))
    after = snapshot(db)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name
    return out / db.name


def test_dump_load_round_trip(server, client, db, tmp_path):
    directory = round_trip(server, client, db, tmp_path)
    # The loaded text, 2dsphere and 2d indexes answer their queries.
    coll = db.all
    assert [d["_id"] for d in coll.find({"$text": {"$search": "words"}})] == ["geo"]
    near = {"$near": {"$geometry": {"type": "Point", "coordinates": [2.3, 48.8]}, "$maxDistance": 10_000}}
    assert [d["_id"] for d in coll.find({"loc": near})] == ["geo"]
    assert [d["_id"] for d in coll.find({"flat": {"$geoWithin": {"$box": [[0, -10], [5, 0]]}}})] == ["geo"]
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["all.bson", "all.metadata.json", "capped.bson", "capped.metadata.json",
                     "evens.metadata.json"]
    # mongodump's metadata: options, indexes, uuid, collectionName, type (views: no .bson).
    import json
    metadata = json.loads((directory / "all.metadata.json").read_text())
    assert list(metadata)[-2:] == ["collectionName", "type"]
    assert metadata["collectionName"] == "all" and metadata["type"] == "collection"
    assert re.fullmatch(r"[0-9a-f]{32}", metadata["uuid"])
    assert {spec["name"] for spec in metadata["indexes"]} == {
        "_id_", "single", "compound", "uniq", "partial", "ttl", "sparse", "hashed", "text", "sphere", "flat"}
    view = json.loads((directory / "evens.metadata.json").read_text())
    assert view["type"] == "view" and view["options"]["viewOn"] == "all"


def test_dump_load_gzip_round_trip(server, client, db, tmp_path):
    directory = round_trip(server, client, db, tmp_path, "--gzip")
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["all.bson.gz", "all.metadata.json.gz", "capped.bson.gz", "capped.metadata.json.gz",
                     "evens.metadata.json.gz"]
    import gzip
    from bson import decode_all
    assert len(decode_all(gzip.decompress((directory / "all.bson.gz").read_bytes()))) == 2502


def test_load_drop_replaces_and_without_drop_reports_duplicates(server, client, db, tmp_path):
    db.c.insert_many([{"_id": i, "v": i} for i in range(100)])
    out = tmp_path / "dump"
    cli("dump", "--uri", uri(server), "--out", str(out), "--db", db.name, "--collection", "c")
    db.c.update_many({}, {"$set": {"v": -1}})
    db.c.insert_one({"_id": 1000})
    failed = cli("load", "--uri", uri(server), "--dir", str(out), check=False)
    assert failed.returncode != 0 and "100 documents were not inserted" in failed.stderr
    cli("load", "--uri", uri(server), "--dir", str(out), "--drop")
    assert list(db.c.find().sort("_id", 1)) == [{"_id": i, "v": i} for i in range(100)]


def test_import_json_lines_reports_the_bad_line(server, db, tmp_path):
    path = tmp_path / "docs.json"
    bad = 54_321
    with path.open("w") as out:
        for i in range(1, 100_001):
            out.write('{"_id": %d, "n": {"$numberLong": "%d"}, "s": "v%d"}\n' % (i, i * 3, i) if i != bad else '{"_id": 1, broken\n')
    result = cli("import", "--uri", uri(server), "--db", db.name, "--collection", "c", "--file", str(path), check=False)
    assert result.returncode != 0
    assert f"line {bad}:" in result.stderr
    assert "99999 document(s) imported successfully. 1 document(s) failed to import." in result.stderr
    assert db.c.count_documents({}) == 99_999
    assert db.c.find_one({"_id": 7}) == {"_id": 7, "n": Int64(21), "s": "v7"}
    assert db.c.find_one({"_id": bad}) is None
    # Not a terminal: plain progress lines.
    assert "c: 10000 documents" in result.stderr


def test_import_stop_on_error_stops(server, db, tmp_path):
    path = tmp_path / "docs.json"
    path.write_text('{"_id": 1}\n{"_id": 2\n{"_id": 3}\n')
    result = cli("import", "--uri", uri(server), "--db", db.name, "--collection", "c", "--file", str(path),
                 "--stop-on-error", check=False)
    assert result.returncode != 0 and "line 2:" in result.stderr
    assert [d["_id"] for d in db.c.find()] == [1]


def test_import_csv_with_header(server, db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('name,age,address.city,score\n'
                    'ann,31,Paris,1.5\n'
                    '"smith, bob",40,"New ""York""",2\n'
                    'bad,"unclosed,3,4\n')
    result = cli("import", "--uri", uri(server), "--db", db.name, "--collection", "c", "--file", str(path),
                 "--type", "csv", "--headerline", check=False)
    assert result.returncode != 0 and "line 4:" in result.stderr
    docs = list(db.c.find({}, {"_id": 0}).sort("age", 1))
    assert docs == [{"name": "ann", "age": 31, "address": {"city": "Paris"}, "score": 1.5},
                    {"name": "smith, bob", "age": 40, "address": {"city": 'New "York"'}, "score": 2}]


def test_import_upsert_and_merge(server, db, tmp_path):
    db.c.insert_many([{"_id": 1, "a": 1, "keep": True}, {"_id": 2, "a": 2, "keep": True}])
    path = tmp_path / "u.json"
    path.write_text('{"_id": 1, "a": 10}\n{"_id": 3, "a": 30}\n')
    cli("import", "--uri", uri(server), "--db", db.name, "--collection", "c", "--file", str(path), "--mode", "upsert")
    assert list(db.c.find().sort("_id", 1)) == [{"_id": 1, "a": 10}, {"_id": 2, "a": 2, "keep": True}, {"_id": 3, "a": 30}]
    path.write_text('{"_id": 2, "a": 20}\n')
    cli("import", "--uri", uri(server), "--db", db.name, "--collection", "c", "--file", str(path), "--mode", "merge")
    assert db.c.find_one({"_id": 2}) == {"_id": 2, "a": 20, "keep": True}


def test_export_import_round_trip(server, client, db, tmp_path):
    coll = db.get_collection("src", codec_options=OPTIONS)
    coll.insert_one(ALL_TYPES)
    coll.insert_many([{"_id": i, "n": i, "nested": {"x": i % 3}} for i in range(1000)])
    out = tmp_path / "out.json"
    cli("export", "--uri", uri(server), "--db", db.name, "--collection", "src", "--out", str(out))
    assert len(out.read_text().splitlines()) == 1001
    cli("import", "--uri", uri(server), "--db", db.name, "--collection", "dst", "--file", str(out))
    dst = db.get_collection("dst", codec_options=OPTIONS)
    assert list(dst.find().sort("_id", 1)) == list(coll.find().sort("_id", 1))
    # A query and CSV.
    csv_out = tmp_path / "out.csv"
    cli("export", "--uri", uri(server), "--db", db.name, "--collection", "src", "--type", "csv",
        "--fields", "_id,nested.x", "--query", '{"n": {"$lt": 3}}', "--out", str(csv_out))
    assert csv_out.read_text().splitlines() == ["_id,nested.x", "0,0", "1,1", "2,2"]
