# Shape exhaustion is never permanent for the server (issue 14): a collection flooded with
# documents of endlessly varied field names runs out of its own share of shape ids, while
# every other collection keeps accepting documents with new shapes, before and after a
# restart, and the flood's committed documents stay intact. Minutes long: `make shape-flood`.
# With small limits (the maxShapes / maxShapesPerCollection startup parameters) the store's
# own limit is reached in seconds: dropping a flooded collection gives its shapes back at once,
# `compact` sweeps the unused ones, and new shapes fit without a restart and after one.

from __future__ import annotations

import random
import string

import pytest
from pymongo.errors import BulkWriteError, OperationFailure

from tessera_server import TesseraServer

DOCUMENTS = 1_100
FIELDS_PER_DOCUMENT = 1_000


def _random_document(rng: random.Random, index: int) -> dict:
    document = {"_id": index}
    while len(document) < FIELDS_PER_DOCUMENT + 1:
        name = "".join(rng.choices(string.ascii_letters, k=12))
        document[name] = len(document)
    return document


@pytest.mark.long
def test_shape_flood_in_one_collection_leaves_new_collections_writable(private_server, figures):
    rng = random.Random(14)
    with private_server.client() as client:
        db = client["shapes"]
        flood = db["flood"]
        accepted: dict[int, dict] = {}
        refused = 0
        for index in range(DOCUMENTS):
            document = _random_document(rng, index)
            try:
                flood.insert_one(document)
                accepted[index] = document
            except OperationFailure as error:
                assert error.code == 2, error.details
                assert "shapes" in str(error), error.details
                refused += 1
        figures(f"shape flood: {len(accepted)} of {DOCUMENTS} documents with "
                f"{FIELDS_PER_DOCUMENT} random fields accepted, {refused} refused")
        # The flood is large enough to reach the per-collection limit.
        assert refused > 0

        # A new collection, a brand-new shape: it must succeed despite the flood.
        db["fresh"].insert_one({"_id": 1, "a_never_seen_field": "x", "nested": {"also_new": 1}})
        assert db["fresh"].find_one({"_id": 1})["nested"] == {"also_new": 1}

    private_server.restart()
    with private_server.client() as client:
        db = client["shapes"]
        # After the restart: another new collection with new shapes, and the old one too.
        client["other_db"]["after_restart"].insert_one({"_id": 1, "fresh_after_restart": [1, 2]})
        assert client["other_db"]["after_restart"].find_one({"_id": 1})["fresh_after_restart"] == [1, 2]
        db["fresh"].insert_one({"_id": 2, "yet_another_new_field": True})
        # The flooded collection is still refused new shapes (its share persisted) ...
        with pytest.raises(OperationFailure) as refused_again:
            db["flood"].insert_one(_random_document(rng, DOCUMENTS))
        assert refused_again.value.code == 2
        # ... but accepts documents of shapes it already has, and everything it took is intact.
        some_index, some_document = next(iter(accepted.items()))
        copy = dict(some_document, _id=-1)
        db["flood"].insert_one(copy)
        assert db["flood"].count_documents({}) == len(accepted) + 1
        for index in rng.sample(sorted(accepted), 20):
            assert db["flood"].find_one({"_id": index}) == accepted[index]


SMALL_STORE = 400
SMALL_PER_COLLECTION = 250


@pytest.fixture
def small_shape_server(tmp_path):
    instance = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=[
        "--set-parameter", f"maxShapes={SMALL_STORE}",
        "--set-parameter", f"maxShapesPerCollection={SMALL_PER_COLLECTION}"])
    instance.start()
    yield instance
    code = instance.stop()
    assert code == 0, f"tessera exited with {code}; log tail:\n{instance.log_tail()}"


def _flood_until_refused(collection, rng: random.Random, fields: int = 10) -> dict[int, dict]:
    """Inserts documents of `fields` random names until the server refuses a shape (code 2)."""
    accepted: dict[int, dict] = {}
    for index in range(10_000):
        document = {"_id": index}
        while len(document) < fields + 1:
            document["".join(rng.choices(string.ascii_letters, k=10))] = len(document)
        try:
            collection.insert_one(document)
        except OperationFailure as error:
            assert error.code == 2, error.details
            assert "shapes" in str(error), error.details
            return accepted
        accepted[index] = document
    raise AssertionError("the flood never reached a shape limit")


def test_store_shape_limit_reached_then_a_drop_frees_it_without_and_after_restart(small_shape_server):
    rng = random.Random(1414)
    with small_shape_server.client() as client:
        db = client["shapes"]
        _flood_until_refused(db["flood"], rng)
        # The flood stopped at its own share; a second collection uses up what the store has.
        survivors = _flood_until_refused(db["second"], rng)
        assert survivors
        with pytest.raises(OperationFailure) as refused:
            db["third"].insert_one({"_id": 1, "never_seen_before": 1})
        assert refused.value.code == 2
        assert small_shape_server.running

        # Dropping the flood gives its shapes back at once: no restart, no sweep needed.
        db.drop_collection("flood")
        db["third"].insert_one({"_id": 1, "never_seen_before": 1, "nested": {"also_new": [1]}})
        # compact sweeps the shapes nothing names any more; the data stays intact.
        db.command("compact", "second")
        assert {d["_id"]: d for d in db["second"].find()} == survivors
        # The room that came back takes a new flood of its own.
        refilled = _flood_until_refused(db["refill"], rng)
        assert refilled

    small_shape_server.restart()
    with small_shape_server.client() as client:
        db = client["shapes"]
        assert {d["_id"]: d for d in db["second"].find()} == survivors
        assert {d["_id"]: d for d in db["refill"].find()} == refilled
        assert db["third"].find_one({"_id": 1})["nested"] == {"also_new": [1]}
        # After the restart the store is still full (refused inserts may have made a few
        # shapes that were never written, fewer than one flood document's fields each: this
        # document needs more than those), a drop frees it again, and new shapes fit.
        wide = {"_id": 1, **{f"after_restart_{k}": k for k in range(30)}}
        with pytest.raises(OperationFailure) as refused_again:
            db["fourth"].insert_one(dict(wide))
        assert refused_again.value.code == 2
        db.drop_collection("refill")
        db["fourth"].insert_one(dict(wide))
        assert db["fourth"].find_one({"_id": 1}) == wide
        assert small_shape_server.running

