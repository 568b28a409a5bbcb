# Geospatial indexes and operators through pymongo against a real `tessera serve`: 2dsphere
# indexes (GeoJSON and legacy points, compound), `$geoWithin` ($centerSphere, $geometry
# polygons with holes and across the antimeridian, $box, $polygon, $center), `$geoIntersects`,
# `$near`/`$nearSphere`, the `$geoNear` stage, and flat `2d` indexes. Every expected result is computed here,
# independently: haversine distances on a sphere of MongoDB's radius (6378.1 km), and hand-made
# polygons whose edges are meridians or far from the sampled points.

from __future__ import annotations

import math
import random

import pytest
from pymongo import GEO2D, GEOSPHERE
from pymongo.errors import OperationFailure, WriteError

from support import plan_stages

EARTH_RADIUS_M = 6378.1 * 1000


def haversine(a, b) -> float:
    """The angle in radians between two [lng, lat] points."""
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * math.asin(min(1.0, math.sqrt(h)))


def ids(cursor) -> list:
    return sorted(document["_id"] for document in cursor)


def point(lng, lat) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}


CENTER = [2.35, 48.85]


@pytest.fixture
def places(coll):
    """600 points within about 60 km of CENTER, half GeoJSON, half legacy pairs."""
    rng = random.Random(20)
    documents = []
    for number in range(600):
        lng = CENTER[0] + rng.uniform(-0.8, 0.8)
        lat = CENTER[1] + rng.uniform(-0.55, 0.55)
        loc = point(lng, lat) if number % 2 else [lng, lat]
        documents.append({"_id": number, "loc": loc, "xy": [lng, lat], "club": f"c{number % 5}", "level": number % 10})
    coll.insert_many(documents)
    coll.create_index([("loc", GEOSPHERE)])
    return coll


def test_2dsphere_index_is_created_with_version_3(places):
    info = places.index_information()["loc_2dsphere"]
    assert info["key"] == [("loc", "2dsphere")]
    assert info["2dsphereIndexVersion"] == 3


def test_invalid_geojson_is_refused_on_insert_and_on_build(coll):
    coll.create_index([("loc", GEOSPHERE)])
    for bad in ({"type": "Point", "coordinates": [200, 0]}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
                {"type": "Nowhere", "coordinates": [1, 1]}, "downtown"):
        with pytest.raises(WriteError) as error:
            coll.insert_one({"loc": bad})
        assert error.value.code == 16755, bad
    coll.insert_one({"_id": "none", "name": "no location"})  # not indexed, not refused
    assert coll.count_documents({}) == 1
    other = coll.database["unindexed"]
    other.insert_one({"loc": {"type": "Point", "coordinates": [500, 0]}})
    with pytest.raises(OperationFailure) as build:
        other.create_index([("loc", GEOSPHERE)])
    assert build.value.code == 16755


def test_within_center_sphere_matches_haversine(places):
    radius = 25_000 / EARTH_RADIUS_M
    query = {"loc": {"$geoWithin": {"$centerSphere": [CENTER, radius]}}}
    assert "IXSCAN" in plan_stages(places.find(query).explain())
    expected = sorted(d["_id"] for d in places.find({}, {"xy": 1}) if haversine(d["xy"], CENTER) <= radius)
    assert 50 < len(expected) < 600
    assert ids(places.find(query)) == expected
    assert ids(places.find(query, hint=[("$natural", 1)])) == expected


def test_within_polygon_with_a_hole(coll):
    # Shell 0..10 x 0..10 degrees, hole 4..6 x 4..6; sampled points keep 0.3 degrees from every
    # edge (the northern edges, great circles, bow by under 0.05 degrees).
    coll.create_index([("loc", GEOSPHERE)])
    rng = random.Random(3)
    documents, expected = [], []
    while len(documents) < 400:
        lng, lat = rng.uniform(-2, 12), rng.uniform(-2, 12)
        edges = [abs(lng), abs(lng - 10), abs(lat), abs(lat - 10), abs(lng - 4), abs(lng - 6), abs(lat - 4), abs(lat - 6)]
        if min(edges) < 0.3:
            continue
        inside_shell = 0 < lng < 10 and 0 < lat < 10
        in_hole = 4 < lng < 6 and 4 < lat < 6
        if inside_shell and not in_hole:
            expected.append(len(documents))
        documents.append({"_id": len(documents), "loc": point(lng, lat)})
    coll.insert_many(documents)
    polygon = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
                                                  [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]}
    query = {"loc": {"$geoWithin": {"$geometry": polygon}}}
    assert ids(coll.find(query)) == expected
    assert ids(coll.find(query, hint=[("$natural", 1)])) == expected
    assert "IXSCAN" in plan_stages(coll.find(query).explain())


def test_within_polygon_across_the_antimeridian(coll):
    coll.create_index([("loc", GEOSPHERE)])
    rng = random.Random(5)
    documents, expected = [], []
    while len(documents) < 300:
        lng, lat = rng.uniform(-180, 180), rng.uniform(-8, 8)
        gap = min(abs(lng - 170), abs(lng + 170))
        if gap < 0.3:
            continue
        if lng > 170 or lng < -170:
            expected.append(len(documents))
        documents.append({"_id": len(documents), "loc": [lng, lat]})
    coll.insert_many(documents)
    # Meridian edges at 170 and -170; the parallels at +-10 are beyond every sampled point.
    polygon = {"type": "Polygon", "coordinates": [[[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]]}
    query = {"loc": {"$geoWithin": {"$geometry": polygon}}}
    assert expected
    assert ids(coll.find(query)) == expected
    assert ids(coll.find(query, hint=[("$natural", 1)])) == expected


def test_flat_legacy_shapes(places):
    box = [[2.0, 48.6], [2.6, 49.0]]
    in_box = sorted(d["_id"] for d in places.find() if box[0][0] <= d["xy"][0] <= box[1][0] and box[0][1] <= d["xy"][1] <= box[1][1])
    assert ids(places.find({"xy": {"$geoWithin": {"$box": box}}})) == in_box
    center, radius = [2.3, 48.9], 0.2
    in_disc = sorted(d["_id"] for d in places.find() if math.dist(d["xy"], center) <= radius)
    assert ids(places.find({"xy": {"$geoWithin": {"$center": [center, radius]}}})) == in_disc
    triangle = [[2.0, 48.5], [2.8, 48.5], [2.4, 49.2]]

    def in_triangle(p):
        (x1, y1), (x2, y2), (x3, y3) = triangle
        d1 = (p[0] - x2) * (y1 - y2) - (x1 - x2) * (p[1] - y2)
        d2 = (p[0] - x3) * (y2 - y3) - (x2 - x3) * (p[1] - y3)
        d3 = (p[0] - x1) * (y3 - y1) - (x3 - x1) * (p[1] - y1)
        return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))

    expected = sorted(d["_id"] for d in places.find() if in_triangle(d["xy"]))
    assert expected
    assert ids(places.find({"xy": {"$geoWithin": {"$polygon": triangle}}})) == expected
    assert ids(places.find({"xy": {"$within": {"$box": box}}})) == in_box


def test_near_geojson_in_meters_in_distance_order(places):
    query = {"loc": {"$near": {"$geometry": point(*CENTER), "$maxDistance": 20_000, "$minDistance": 2_000}}}
    found = list(places.find(query))
    distances = [haversine(d["xy"], CENTER) * EARTH_RADIUS_M for d in found]
    assert distances == sorted(distances)
    every = [d for d in places.find() if 2_000 <= haversine(d["xy"], CENTER) * EARTH_RADIUS_M <= 20_000]
    assert len(every) > 20
    assert sorted(d["_id"] for d in found) == sorted(d["_id"] for d in every)
    explain = places.find(query).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "GEO_NEAR_2DSPHERE"


def test_near_streams_nearest_first_across_batches_with_a_limit(places):
    everything = sorted(places.find({}, {"xy": 1}), key=lambda d: haversine(d["xy"], CENTER))
    query = {"loc": {"$nearSphere": {"$geometry": point(*CENTER)}}}
    assert [d["_id"] for d in places.find(query).limit(25)] == [d["_id"] for d in everything[:25]]
    assert [d["_id"] for d in places.find(query, batch_size=7)] == [d["_id"] for d in everything]
    filtered = [d["_id"] for d in places.find({**query, "club": "c2"}).limit(10)]
    assert filtered == [d["_id"] for d in everything if d["_id"] % 5 == 2][:10]


def test_legacy_near_sphere_in_radians(places):
    radius = 10_000 / EARTH_RADIUS_M
    found = list(places.find({"loc": {"$nearSphere": CENTER, "$maxDistance": radius}}))
    distances = [haversine(d["xy"], CENTER) for d in found]
    assert distances == sorted(distances)
    assert sorted(d["_id"] for d in found) == sorted(d["_id"] for d in places.find() if haversine(d["xy"], CENTER) <= radius)


def test_near_needs_a_geo_index(coll):
    coll.insert_one({"loc": [1, 1]})
    with pytest.raises(OperationFailure) as error:
        list(coll.find({"loc": {"$near": {"$geometry": point(1, 1)}}}))
    assert error.value.code == 291


def test_invalid_query_geometry_is_bad_value(places):
    for bad in ({"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}},
                {"$geoWithin": {"$geometry": point(1, 1)}},
                {"$geoIntersects": {"$geometry": {"type": "Point", "coordinates": [0, 100]}}},
                {"$near": {"$geometry": point(1, 1), "$maxDistance": -1}}):
        with pytest.raises(OperationFailure) as error:
            list(places.find({"loc": bad}))
        assert error.value.code == 2, bad


def test_geo_near_stage(places):
    pipeline = [{"$geoNear": {"near": point(*CENTER), "distanceField": "dist.m", "spherical": True,
                              "maxDistance": 15_000, "query": {"level": {"$lt": 5}}, "includeLocs": "where",
                              "distanceMultiplier": 0.001}},
                {"$limit": 40}]
    results = list(places.aggregate(pipeline))
    expected = sorted((d for d in places.find({"level": {"$lt": 5}})
                       if haversine(d["xy"], CENTER) * EARTH_RADIUS_M <= 15_000),
                      key=lambda d: haversine(d["xy"], CENTER))[:40]
    assert [d["_id"] for d in results] == [d["_id"] for d in expected]
    for document in results:
        kilometres = haversine(document["xy"], CENTER) * EARTH_RADIUS_M / 1000
        assert document["dist"]["m"] == pytest.approx(kilometres, rel=1e-9)
        assert document["where"] == document["loc"]
    legacy = list(places.aggregate([{"$geoNear": {"near": CENTER, "distanceField": "d", "key": "loc", "spherical": True}},
                                    {"$limit": 5}]))
    assert [d["d"] for d in legacy] == pytest.approx(sorted(haversine(d["xy"], CENTER) for d in places.find())[:5], rel=1e-9)
    with pytest.raises(OperationFailure) as error:
        list(places.aggregate([{"$match": {}}, {"$geoNear": {"near": CENTER, "distanceField": "d"}}]))
    assert error.value.code == 40603


def test_compound_2dsphere_index_with_club_and_date(coll):
    coll.create_index([("location", GEOSPHERE), ("club", 1), ("date", 1)])
    rng = random.Random(9)
    documents = [{"_id": n, "location": point(CENTER[0] + rng.uniform(-0.4, 0.4), CENTER[1] + rng.uniform(-0.3, 0.3)),
                  "club": f"c{n % 4}", "date": n % 30} for n in range(400)]
    coll.insert_many(documents)
    query = {"location": {"$near": {"$geometry": point(*CENTER), "$maxDistance": 20_000}},
             "club": "c1", "date": {"$gte": 10}}
    found = [d["_id"] for d in coll.find(query)]

    def distance(d):
        return haversine(d["location"]["coordinates"], CENTER) * EARTH_RADIUS_M

    expected = sorted((d for d in documents if d["club"] == "c1" and d["date"] >= 10 and distance(d) <= 20_000), key=distance)
    assert found == [d["_id"] for d in expected]
    stats = coll.find(query).explain()["executionStats"]
    # The club and date bounds are checked on the index keys: only matches are fetched.
    assert stats["totalDocsExamined"] <= len(expected) + 5


def test_geo_intersects_lines_and_polygons(coll):
    coll.create_index([("shape", GEOSPHERE)])
    coll.insert_many([
        {"_id": "crossing", "shape": {"type": "LineString", "coordinates": [[-1, 0.5], [3, 0.5]]}},
        {"_id": "away", "shape": {"type": "LineString", "coordinates": [[20, 20], [21, 21]]}},
        {"_id": "overlap", "shape": {"type": "Polygon", "coordinates": [[[1.5, 1.5], [4, 1.5], [4, 4], [1.5, 4], [1.5, 1.5]]]}},
        {"_id": "inside", "shape": point(1, 1)},
        {"_id": "multi", "shape": {"type": "MultiPoint", "coordinates": [[50, 50], [0.5, 0.5]]}},
        {"_id": "collection", "shape": {"type": "GeometryCollection", "geometries": [point(60, 60), point(70, 10)]}},
    ])
    square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    query = {"shape": {"$geoIntersects": {"$geometry": square}}}
    assert ids(coll.find(query)) == ["crossing", "inside", "multi", "overlap"]
    assert ids(coll.find(query, hint=[("$natural", 1)])) == ["crossing", "inside", "multi", "overlap"]
    assert ids(coll.find({"shape": {"$geoWithin": {"$geometry": square}}})) == ["inside"]


@pytest.fixture
def flat(coll):
    """500 legacy points on a plane 100 units wide (a 2d index measures flat distances)."""
    rng = random.Random(31)
    documents = [{"_id": n, "pos": [rng.uniform(-50, 50), rng.uniform(-50, 50)], "club": f"c{n % 3}"} for n in range(500)]
    coll.insert_many(documents)
    coll.create_index([("pos", GEO2D), ("club", 1)])
    return coll


def test_2d_within_flat_shapes_through_the_index(flat):
    everything = list(flat.find())
    box = [[-10, -20], [15, 5]]
    in_box = sorted(d["_id"] for d in everything if -10 <= d["pos"][0] <= 15 and -20 <= d["pos"][1] <= 5)
    center, radius = [5, 5], 12
    in_disc = sorted(d["_id"] for d in everything if math.dist(d["pos"], center) <= radius)
    assert in_box and in_disc
    for query, expected in (({"pos": {"$geoWithin": {"$box": box}}}, in_box),
                            ({"pos": {"$geoWithin": {"$center": [center, radius]}}}, in_disc),
                            ({"pos": {"$geoWithin": {"$center": [center, radius]}}, "club": "c1"},
                             [i for i in in_disc if i % 3 == 1])):
        assert ids(flat.find(query)) == expected
        assert ids(flat.find(query, hint=[("$natural", 1)])) == expected
        explain = flat.find(query).explain()
        assert "IXSCAN" in plan_stages(explain)
        assert explain["executionStats"]["totalDocsExamined"] < len(everything) / 2


def test_2d_near_is_flat_nearest_first(flat):
    center = [3.5, -7.25]
    everything = sorted(flat.find(), key=lambda d: math.dist(d["pos"], center))
    found = [d["_id"] for d in flat.find({"pos": {"$near": center, "$maxDistance": 20}})]
    assert found == [d["_id"] for d in everything if math.dist(d["pos"], center) <= 20]
    assert [d["_id"] for d in flat.find({"pos": {"$near": center}}).limit(30)] == [d["_id"] for d in everything[:30]]
    assert [d["_id"] for d in flat.find({"pos": {"$near": center}, "club": "c2"}, batch_size=9)] == \
        [d["_id"] for d in everything if d["_id"] % 3 == 2]
    explain = flat.find({"pos": {"$near": center}}).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "GEO_NEAR_2D"


def test_2d_near_sphere_and_geo_near_stage(flat):
    center = [10, 20]
    by_angle = sorted(flat.find(), key=lambda d: haversine(d["pos"], center))
    radius = 0.2
    found = [d["_id"] for d in flat.find({"pos": {"$nearSphere": center, "$maxDistance": radius}})]
    assert found == [d["_id"] for d in by_angle if haversine(d["pos"], center) <= radius]
    flat_results = list(flat.aggregate([{"$geoNear": {"near": center, "distanceField": "d", "query": {"club": "c0"}}},
                                        {"$limit": 15}]))
    expected = sorted((d for d in flat.find({"club": "c0"})), key=lambda d: math.dist(d["pos"], center))[:15]
    assert [d["_id"] for d in flat_results] == [d["_id"] for d in expected]
    assert [d["d"] for d in flat_results] == pytest.approx([math.dist(d["pos"], center) for d in expected], rel=1e-9)
    spherical = list(flat.aggregate([{"$geoNear": {"near": center, "distanceField": "d", "spherical": True}}, {"$limit": 10}]))
    assert [d["d"] for d in spherical] == pytest.approx([haversine(d["pos"], center) for d in by_angle[:10]], rel=1e-9)


def test_2d_index_rules_and_key_errors(coll):
    coll.create_index([("pos", GEO2D)], bits=20, min=-500, max=500)
    coll.insert_one({"_id": "far", "pos": [300, -400]})
    coll.insert_one({"_id": "none"})
    for bad, code in (([600, 0], 13027), (["a", 1], 13026), ([1], 13068), ("here", 13026)):
        with pytest.raises(WriteError) as error:
            coll.insert_one({"pos": bad})
        assert error.value.code == code, bad
    assert ids(coll.find({"pos": {"$geoWithin": {"$box": [[250, -450], [350, -350]]}}})) == ["far"]
    for keys, options, code in (([("a", 1), ("pos", GEO2D)], {}, 16801), ([("p", GEO2D)], {"bits": 0}, 72),
                                ([("p", GEO2D)], {"min": 1, "max": 1}, 72)):
        with pytest.raises(OperationFailure) as error:
            coll.create_index(keys, **options)
        assert error.value.code == code, keys
    with pytest.raises(OperationFailure) as error:
        list(coll.find({"pos": {"$near": {"$geometry": point(1, 1)}}}))
    assert error.value.code == 291


def test_near_uses_a_partial_geo_index_only_when_the_query_implies_its_filter(coll):
    coll.create_index([("loc", GEOSPHERE), ("level", 1)], partialFilterExpression={"public": True})
    rng = random.Random(12)
    documents = [{"_id": n, "loc": point(CENTER[0] + rng.uniform(-0.3, 0.3), CENTER[1] + rng.uniform(-0.2, 0.2)),
                  "public": n % 3 == 0, "level": n % 7} for n in range(300)]
    coll.insert_many(documents)

    def distance(d):
        return haversine(d["loc"]["coordinates"], CENTER)

    near = {"$near": {"$geometry": point(*CENTER)}}
    found = [d["_id"] for d in coll.find({"loc": near, "public": True, "level": {"$lte": 3}})]
    assert found == [d["_id"] for d in sorted(documents, key=distance) if d["public"] and d["level"] <= 3]
    # Without {public: true} the index misses matches: no index can answer the near query.
    with pytest.raises(OperationFailure) as error:
        list(coll.find({"loc": near, "level": {"$lte": 3}}))
    assert error.value.code == 291
