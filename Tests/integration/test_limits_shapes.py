# Shape exhaustion is never permanent for the server (issue 14): a collection flooded with
# documents of endlessly varied field names runs out of its own share of shape ids, while
# every other collection keeps accepting documents with new shapes, before and after a
# restart, and the flood's committed documents stay intact. Minutes long: `make shape-flood`.

from __future__ import annotations

import random
import string

import pytest
from pymongo.errors import BulkWriteError, OperationFailure

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
