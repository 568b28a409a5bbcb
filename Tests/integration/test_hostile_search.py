# Hostile numbers and strings in the places the text and geo operators take them (issue 14's
# table, for issue 20's operators): every value of hostile.EXTREMES in every distance, radius,
# coordinate, multiplier and $text option, against a collection with 2dsphere, 2d and text
# indexes. Each gets an answer (a result, or an error with a code and code name) and the
# server stays up with its documents intact.

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from hostile import EXTREMES, describe

POINT = {"type": "Point", "coordinates": [0, 0]}

PLACES = {
    "$near.$maxDistance": lambda x: {"find": "g", "filter": {"loc": {"$near": {"$geometry": POINT, "$maxDistance": x}}}},
    "$near.$minDistance": lambda x: {"find": "g", "filter": {"loc": {"$near": {"$geometry": POINT, "$minDistance": x}}}},
    "$near.coordinate": lambda x: {"find": "g", "filter": {"loc": {"$near": {"$geometry": {"type": "Point", "coordinates": [x, 0]}}}}},
    "$nearSphere.legacy.$maxDistance": lambda x: {"find": "g", "filter": {"flat": {"$nearSphere": [0, 0], "$maxDistance": x}}},
    "$near.2d.point": lambda x: {"find": "g", "filter": {"flat": {"$near": [x, x]}}},
    "$centerSphere.radius": lambda x: {"find": "g", "filter": {"loc": {"$geoWithin": {"$centerSphere": [[0, 0], x]}}}},
    "$center.radius": lambda x: {"find": "g", "filter": {"flat": {"$geoWithin": {"$center": [[0, 0], x]}}}},
    "$box.corner": lambda x: {"find": "g", "filter": {"flat": {"$geoWithin": {"$box": [[0, 0], [x, x]]}}}},
    "$polygon.vertex": lambda x: {"find": "g", "filter": {"loc": {"$geoWithin": {"$geometry": {
        "type": "Polygon", "coordinates": [[[0, 0], [x, 0], [1, 1], [0, 0]]]}}}}},
    "$geoNear.maxDistance": lambda x: {"aggregate": "g", "cursor": {}, "pipeline": [
        {"$geoNear": {"near": POINT, "key": "loc", "distanceField": "d", "maxDistance": x}}]},
    "$geoNear.minDistance": lambda x: {"aggregate": "g", "cursor": {}, "pipeline": [
        {"$geoNear": {"near": POINT, "key": "loc", "distanceField": "d", "minDistance": x}}]},
    "$geoNear.distanceMultiplier": lambda x: {"aggregate": "g", "cursor": {}, "pipeline": [
        {"$geoNear": {"near": POINT, "key": "loc", "distanceField": "d", "distanceMultiplier": x}}]},
    "$text.$search": lambda x: {"find": "g", "filter": {"$text": {"$search": x}}},
    "$text.$caseSensitive": lambda x: {"find": "g", "filter": {"$text": {"$search": "word1", "$caseSensitive": x}}},
    "$text.$language": lambda x: {"find": "g", "filter": {"$text": {"$search": "word1", "$language": x}}},
    "$text.limit": lambda x: {"find": "g", "filter": {"$text": {"$search": "text"}}, "limit": x},
}

DOCUMENTS = 50


@pytest.fixture
def search_db(db):
    db.g.insert_many([{"_id": i, "loc": {"type": "Point", "coordinates": [i * 0.01, i * 0.01]},
                       "flat": [i, i], "t": f"word{i} text"} for i in range(DOCUMENTS)])
    db.g.create_index([("loc", "2dsphere")])
    db.g.create_index([("flat", "2d")])
    db.g.create_index([("t", "text")])
    return db


@pytest.mark.parametrize("place", sorted(PLACES))
def test_every_extreme_in_search_operators_gets_an_answer(search_db, client, place):
    answered = 0
    for value in EXTREMES:
        where = f"{place} with {describe(value)}"
        try:
            reply = search_db.command(PLACES[place](value))
            assert reply["ok"] == 1, where
        except OperationFailure as failure:
            assert isinstance(failure.code, int) and failure.code > 0, f"{where}: {failure.details}"
            assert (failure.details or {}).get("codeName"), f"{where}: no code name: {failure.details}"
        answered += 1
    assert answered == len(EXTREMES)
    assert client.admin.command("ping")["ok"] == 1
    assert search_db.g.count_documents({}) == DOCUMENTS
