# Views through pymongo against a real server: create with viewOn/pipeline, listCollections
# entries (type "view", options, info.readOnly) and system.views, reads (find with filter,
# projection, sort, skip and limit; aggregate; count; distinct) composed on the view's
# pipeline, views on views, writes and index commands refused (166), cycles (93) and depth
# (165), collMod of a view, drop, dropDatabase, and definitions surviving a restart.

import pytest
from pymongo.errors import OperationFailure, WriteError


def error_code(action):
    with pytest.raises(OperationFailure) as failure:
        action()
    return failure.value.code


@pytest.fixture
def items(db):
    db.items.insert_many([{"_id": n, "n": n, "kind": "odd" if n % 2 else "even", "tags": ["t", f"k{n % 3}"]}
                          for n in range(1, 11)])
    return db.items


def test_create_view_lists_it_as_a_read_only_view(db, items):
    db.command("create", "odds", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    infos = {info["name"]: info for info in db.list_collections()}
    view = infos["odds"]
    assert view["type"] == "view"
    assert view["options"] == {"viewOn": "items", "pipeline": [{"$match": {"kind": "odd"}}]}
    assert view["info"] == {"readOnly": True}
    assert infos["system.views"]["type"] == "collection"
    assert infos["items"]["type"] == "collection"
    assert db.list_collection_names(filter={"type": "view"}) == ["odds"]
    assert db.command("dbStats")["views"] == 1


def test_find_on_a_view_composes_filter_projection_sort_skip_limit(db, items):
    db.command("create", "odds", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    found = list(db.odds.find({"n": {"$gt": 1}}, {"n": 1, "_id": 0}).sort("n", -1).skip(1).limit(2))
    assert found == [{"n": 7}, {"n": 5}]
    assert [d["_id"] for d in db.odds.find()] == [1, 3, 5, 7, 9]
    assert db.odds.find_one({"n": 3})["kind"] == "odd"


def test_aggregate_count_and_distinct_on_a_view(db, items):
    db.command("create", "odds", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    total = list(db.odds.aggregate([{"$group": {"_id": None, "sum": {"$sum": "$n"}}}]))
    assert total == [{"_id": None, "sum": 25}]
    assert db.odds.count_documents({}) == 5
    assert db.odds.count_documents({"n": {"$lt": 6}}, skip=1, limit=5) == 2
    assert db.odds.estimated_document_count() == 5
    assert db.command("count", "odds", query={"n": {"$gte": 5}})["n"] == 3
    assert db.odds.distinct("tags") == ["k0", "k1", "k2", "t"]
    assert db.odds.distinct("n", {"n": {"$gt": 6}}) == [7, 9]


def test_views_on_views_resolve_to_the_base_collection(db, items):
    db.command("create", "odds", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    db.command("create", "squares", viewOn="odds",
               pipeline=[{"$project": {"sq": {"$multiply": ["$n", "$n"]}}}, {"$match": {"sq": {"$gt": 10}}}])
    assert list(db.squares.find({}, sort=[("_id", 1)])) == [{"_id": 5, "sq": 25}, {"_id": 7, "sq": 49}, {"_id": 9, "sq": 81}]
    assert db.squares.count_documents({"sq": {"$lt": 50}}) == 2
    plan = db.command("explain", {"find": "squares", "filter": {"sq": 25}})
    assert "stages" in plan or "queryPlanner" in plan


def test_writes_and_index_commands_on_a_view_get_166(db, items):
    db.command("create", "odds", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    assert error_code(lambda: db.odds.insert_one({"n": 100})) == 166
    assert error_code(lambda: db.odds.update_one({"n": 1}, {"$set": {"x": 1}})) == 166
    assert error_code(lambda: db.odds.delete_many({})) == 166
    assert error_code(lambda: db.odds.find_one_and_update({"n": 1}, {"$set": {"x": 1}})) == 166
    assert error_code(lambda: db.odds.create_index("n")) == 166
    assert error_code(lambda: db.command("listIndexes", "odds")) == 166
    assert error_code(lambda: db.command("collStats", "odds")) == 166
    assert error_code(lambda: db.items.aggregate([{"$match": {}}, {"$out": "odds"}])) == 166
    assert error_code(lambda: db.system.views.insert_one({"_id": "x.y", "viewOn": "z"})) == 73
    assert db.items.count_documents({}) == 10


def test_create_errors(db, items):
    db.command("create", "odds", viewOn="items", pipeline=[])
    assert error_code(lambda: db.command("create", "odds", viewOn="items")) == 48
    assert error_code(lambda: db.command("create", "items", viewOn="odds")) == 48
    assert error_code(lambda: db.command("create", "odds")) == 48
    assert error_code(lambda: db.command("create", "v2", viewOn="items", pipeline=[{"$out": "x"}])) == 167
    assert error_code(lambda: db.command("create", "v3", viewOn="items", pipeline=[{"$bogus": 1}])) == 40324
    assert error_code(lambda: db.command("create", "v4", viewOn="items", capped=True)) == 72
    assert error_code(lambda: db.command("create", "v5", viewOn=1)) == 14
    assert error_code(lambda: db.command("create", "v6", pipeline=[])) == 72
    # A view's collation is checked as any collation (test_collation_gaps.py has the rest).
    assert error_code(lambda: db.command("create", "v7", viewOn="items", collation={"locale": "xx_BOGUS"})) == 2
    assert error_code(lambda: db.command("create", "v8", viewOn="items", collation="fr")) == 14


def test_cycles_and_depth_are_refused(db):
    db.command("create", "a", viewOn="b")
    db.command("create", "b", viewOn="c")
    with pytest.raises(OperationFailure) as failure:
        db.command("collMod", "b", viewOn="a")
    assert failure.value.code == 93
    assert "b => " in failure.value.details["errmsg"]
    assert error_code(lambda: db.command("create", "c", viewOn="x",
                                         pipeline=[{"$lookup": {"from": "a", "as": "j", "pipeline": []}}])) == 93
    previous = "base"
    for level in range(20):
        db.command("create", f"v{level}", viewOn=previous)
        previous = f"v{level}"
    assert error_code(lambda: db.command("create", "deeper", viewOn=previous)) == 165


def test_collmod_changes_a_views_pipeline_and_source(db, items):
    db.command("create", "picked", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    db.command("collMod", "picked", pipeline=[{"$match": {"kind": "even"}}])
    assert [d["_id"] for d in db.picked.find()] == [2, 4, 6, 8, 10]
    db.others.insert_one({"_id": "o", "kind": "even"})
    db.command("collMod", "picked", viewOn="others")
    assert [d["_id"] for d in db.picked.find()] == ["o"]
    info = next(db.list_collections(filter={"name": "picked"}))
    assert info["options"] == {"viewOn": "others", "pipeline": [{"$match": {"kind": "even"}}]}
    assert error_code(lambda: db.command("collMod", "picked", validator={"a": 1})) == 72
    assert error_code(lambda: db.command("collMod", "items", viewOn="others")) == 72


def test_drop_view_and_drop_database(client, db, items):
    db.command("create", "odds", viewOn="items", pipeline=[{"$match": {"kind": "odd"}}])
    db.drop_collection("odds")
    assert "odds" not in db.list_collection_names()
    assert db.items.count_documents({}) == 10
    db.command("create", "odds", viewOn="items")
    client.drop_database(db.name)
    assert db.name not in client.list_database_names()
    assert list(db.list_collections()) == []
    db.odds.insert_one({"_id": 1})  # a collection now: the view went with the database
    assert db.odds.find_one() == {"_id": 1}


def test_views_survive_a_restart(private_server):
    with private_server.client() as client:
        client.v.items.insert_many([{"_id": 1, "a": 1}, {"_id": 2, "a": 2}])
        client.v.command("create", "twos", viewOn="items", pipeline=[{"$match": {"a": 2}}])
    private_server.restart()
    with private_server.client() as client:
        assert list(client.v.twos.find()) == [{"_id": 2, "a": 2}]
        assert client.v.command("listCollections", filter={"name": "twos"})["cursor"]["firstBatch"][0]["type"] == "view"


def test_renaming_a_view_is_refused(client, db, items):
    db.command("create", "odds", viewOn="items")
    with pytest.raises(OperationFailure) as failure:
        client.admin.command("renameCollection", f"{db.name}.odds", to=f"{db.name}.evens")
    assert failure.value.code == 166
