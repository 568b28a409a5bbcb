# `$out` and `renameCollection` are atomic, across failures and crashes: a `$out` that fails
# (duplicate `_id`) leaves its target untouched, and a server SIGKILLed at a seeded random
# moment while `$out` replaces a big target, or while collections are renamed over it with
# `dropTarget`, restarts with the target wholly old or wholly new, and no temporary
# collection left behind.

from __future__ import annotations

import random
import threading
import time

import pytest
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.write_concern import WriteConcern

from support import count_matching
from tessera_server import TesseraServer

SEED = 20261207
CYCLES = 4
DOCUMENTS = 10_000
TEMPORARY_PREFIX = "tmp.agg_out."


def test_a_failed_out_leaves_its_target_untouched(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    try:
        with server.client() as mongo:
            db = mongo["outfail"]
            db.target.create_index("k", unique=True)
            db.target.insert_many([{"_id": key, "k": key, "old": True} for key in range(100)])
            db.source.insert_many([{"_id": key, "k": key % 3} for key in range(10)])
            # Duplicate _id: every source document is projected to the same _id.
            with pytest.raises(OperationFailure) as duplicate:
                db.source.aggregate([{"$project": {"_id": {"$literal": 1}}}, {"$out": "target"}])
            assert duplicate.value.code == 11000
            # A unique index of the target (copied to the new contents) refuses duplicates too.
            with pytest.raises(OperationFailure) as unique:
                db.source.aggregate([{"$out": "target"}])
            assert unique.value.code == 11000
            assert count_matching(db.target, {"old": True}) == 100
            assert db.target.count_documents({}) == 100
            assert sorted(index["name"] for index in db.target.list_indexes()) == ["_id_", "k_1"]
            assert not [name for name in db.list_collection_names() if name.startswith(TEMPORARY_PREFIX)]
            # A successful $out keeps the target's indexes.
            db.source.aggregate([{"$project": {"k": "$_id"}}, {"$out": "target"}])
            assert db.target.count_documents({}) == 10
            assert sorted(index["name"] for index in db.target.list_indexes()) == ["_id_", "k_1"]
    finally:
        if server.running:
            server.stop(timeout=30)


def generation_of(coll) -> tuple[set[int], int]:
    """The generations present in a target collection and its document count."""
    generations = {doc["gen"] for doc in coll.find({}, {"gen": 1, "_id": 0})}
    return generations, coll.count_documents({})


def test_out_and_rename_over_a_target_are_all_or_nothing_across_sigkill(tmp_path, figures):
    rng = random.Random(SEED)
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    outcomes = []
    try:
        with server.client() as mongo:
            db = mongo["outcrash"]
            db.source.insert_many([{"_id": key, "n": key} for key in range(DOCUMENTS)])
            # How long one uninterrupted $out takes here: kills land inside that span.
            started = time.monotonic()
            db.source.aggregate([{"$project": {"gen": {"$literal": 0}}}, {"$out": "target"}])
            span = time.monotonic() - started
        for cycle in range(1, CYCLES + 1):
            use_rename = cycle % 2 == 0
            done = threading.Event()
            errors: list[str] = []

            def replace(generation: int = cycle, rename: bool = use_rename) -> None:
                try:
                    with server.client(socketTimeoutMS=120_000) as mongo:
                        db = mongo["outcrash"]
                        if rename:
                            staging = db.get_collection("staging", write_concern=WriteConcern(w=1, j=True))
                            staging.drop()
                            staging.insert_many([{"_id": key, "gen": generation} for key in range(DOCUMENTS)])
                            mongo.admin.command("renameCollection", "outcrash.staging", to="outcrash.target",
                                                dropTarget=True)
                        else:
                            db.source.aggregate([{"$project": {"gen": {"$literal": generation}}},
                                                 {"$out": "target"}])
                except PyMongoError as error:
                    errors.append(type(error).__name__)
                finally:
                    done.set()

            thread = threading.Thread(target=replace, daemon=True)
            thread.start()
            done.wait(rng.uniform(0.1, 1.0) * span * (2 if use_rename else 1))
            finished_before_kill = done.is_set()
            server.kill()
            thread.join(30)
            server.start()
            with server.client() as mongo:
                db = mongo["outcrash"]
                generations, count = generation_of(db.target)
                assert len(generations) == 1, f"cycle {cycle}: target mixes generations {sorted(generations)}"
                generation = generations.pop()
                assert generation in (cycle - 1, cycle), f"cycle {cycle}: generation {generation}"
                assert count == DOCUMENTS, f"cycle {cycle}: target has {count} documents of generation {generation}"
                if finished_before_kill and not errors:
                    assert generation == cycle, f"cycle {cycle}: acknowledged replacement lost"
                leftovers = [name for name in db.list_collection_names() if name.startswith(TEMPORARY_PREFIX)]
                assert not leftovers, f"cycle {cycle}: temporary collections left: {leftovers}"
                if generation != cycle:
                    # Bring the target to this cycle's generation for the next one.
                    db.source.aggregate([{"$project": {"gen": {"$literal": cycle}}}, {"$out": "target"}])
                outcomes.append(("rename" if use_rename else "$out", "new" if generation == cycle else "old",
                                 "after" if finished_before_kill else "during"))
        figures(f"faults/$out+rename crash cycles (seed {SEED}, one $out {span:.2f}s): {outcomes}; target never partial")
    finally:
        if server.running:
            server.stop(timeout=30)


def test_out_into_a_capped_collection_is_refused_as_mongod_does(client):
    db = client["outcapped"]
    db.drop_collection("target")
    db.drop_collection("source")
    db.create_collection("target", capped=True, size=4096)
    db.target.insert_many([{"_id": key} for key in range(5)])
    db.source.insert_many([{"_id": key, "new": True} for key in range(20)])
    with pytest.raises(OperationFailure) as refused:
        db.source.aggregate([{"$out": "target"}])
    assert refused.value.code == 17152
    assert refused.value.details["codeName"] == "Location17152"
    assert "outcapped.target" in str(refused.value) and "capped" in str(refused.value)
    assert sorted(doc["_id"] for doc in db.target.find()) == list(range(5))
    assert db.target.options().get("capped") is True
    assert not [name for name in db.list_collection_names() if name.startswith(TEMPORARY_PREFIX)]
