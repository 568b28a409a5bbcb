# Namespace and index commands through pymongo: create (and its rejected options), drop,
# dropDatabase, renameCollection, listDatabases, listCollections (filter, nameOnly),
# createIndexes/listIndexes/dropIndexes, collStats, dbStats, explain, validate.

import pytest
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

from support import count_matching


# -- collections -------------------------------------------------------------------------

def test_create_collection_then_list(db):
    db.create_collection("made")
    assert "made" in db.list_collection_names()
    with pytest.raises(CollectionInvalid):
        db.create_collection("made")  # NamespaceExists (48) surfaces as CollectionInvalid


def test_create_existing_collection_is_namespace_exists(db):
    db.command({"create": "twice"})
    with pytest.raises(OperationFailure) as info:
        db.command({"create": "twice"})
    assert info.value.code == 48 and info.value.details["codeName"] == "NamespaceExists"


def test_create_with_unsupported_option_is_rejected(db):
    # Time-series collections are not part of Tessera: the option must be refused
    # explicitly, never silently ignored (which would create a plain collection).
    with pytest.raises(OperationFailure) as info:
        db.command({"create": "series", "timeseries": {"timeField": "t"}})
    assert info.value.details.get("codeName")
    assert info.value.details.get("errmsg")
    assert "series" not in db.list_collection_names()


def test_create_with_unknown_option_is_rejected(db):
    with pytest.raises(OperationFailure) as info:
        db.command({"create": "odd", "noSuchOption": 1})
    assert info.value.code in (40415, 2)  # IDL unknown field / BadValue
    assert "odd" not in db.list_collection_names()


def test_insert_creates_collection_implicitly(db):
    db["implicit"].insert_one({})
    assert "implicit" in db.list_collection_names()


def test_drop_collection(db):
    db["gone"].insert_one({"x": 1})
    db.drop_collection("gone")
    assert "gone" not in db.list_collection_names()
    assert count_matching(db["gone"], {}) == 0
    db.drop_collection("never_existed")  # pymongo ignores NamespaceNotFound; must not raise


def test_drop_missing_collection_raw(db):
    # MongoDB before 7.0 answers NamespaceNotFound (26); 7.0 and later answer ok: 1.
    try:
        reply = db.command({"drop": "never_existed"})
    except OperationFailure as failure:
        assert failure.code == 26
    else:
        assert reply["ok"] == 1


def test_drop_database(client, db):
    db["a"].insert_one({})
    assert db.name in client.list_database_names()
    client.drop_database(db.name)
    assert db.name not in client.list_database_names()
    assert db.list_collection_names() == []


def test_rename_collection(db):
    db["src"].insert_many([{"_id": 1}, {"_id": 2}])
    db["src"].create_index("x")
    db["src"].rename("dst")
    names = db.list_collection_names()
    assert "dst" in names and "src" not in names
    assert count_matching(db["dst"], {}) == 2
    assert "x_1" in db["dst"].index_information()


def test_rename_onto_existing_needs_drop_target(db):
    db["one"].insert_one({"_id": "one"})
    db["two"].insert_one({"_id": "two"})
    with pytest.raises(OperationFailure) as info:
        db["one"].rename("two")
    assert info.value.code == 48  # NamespaceExists
    db["one"].rename("two", dropTarget=True)
    assert list(db["two"].find()) == [{"_id": "one"}]


def test_rename_across_databases(client, db):
    other = client[db.name + "_b"]
    try:
        db["moving"].insert_one({"_id": 1})
        client.admin.command({"renameCollection": f"{db.name}.moving", "to": f"{other.name}.moved"})
        assert other["moved"].find_one() == {"_id": 1}
        assert "moving" not in db.list_collection_names()
    finally:
        client.drop_database(other.name)


def test_list_databases(client, db):
    db["x"].insert_one({})
    reply = client.admin.command("listDatabases")
    entry = next(d for d in reply["databases"] if d["name"] == db.name)
    assert "sizeOnDisk" in entry and entry["empty"] is False
    assert "totalSize" in reply
    names = client.admin.command({"listDatabases": 1, "nameOnly": True})["databases"]
    assert {"name": db.name} in names
    assert db.name in client.list_database_names()
    filtered = list(client.list_databases(filter={"name": db.name}))
    assert [d["name"] for d in filtered] == [db.name]


def test_list_collections_filter_and_name_only(db):
    for name in ("alpha", "beta", "gamma"):
        db.create_collection(name)
    infos = list(db.list_collections())
    assert {i["name"] for i in infos} == {"alpha", "beta", "gamma"}
    assert all(i["type"] == "collection" and "options" in i and "info" in i for i in infos)
    only = list(db.list_collections(filter={"name": {"$in": ["beta", "zeta"]}}))
    assert [i["name"] for i in only] == ["beta"]
    reply = db.command({"listCollections": 1, "nameOnly": True})
    batch = reply["cursor"]["firstBatch"]
    assert sorted(i["name"] for i in batch) == ["alpha", "beta", "gamma"]
    assert all(set(i) <= {"name", "type"} for i in batch)


def test_list_collections_past_the_first_batch_continues_with_get_more(db):
    # pymongo's test_database.py::test_list_collection_names_single_socket: the cursor lives on
    # `<db>.$cmd.listCollections`, and its getMore must be accepted.
    names = {f"c{i}" for i in range(5)}
    for name in names:
        db.create_collection(name)
    assert {i["name"] for i in db.list_collections(batchSize=2)} == names
    first = db.command({"listCollections": 1, "cursor": {"batchSize": 2}})["cursor"]
    assert first["ns"] == f"{db.name}.$cmd.listCollections" and first["id"] != 0
    more = db.command({"getMore": first["id"], "collection": "$cmd.listCollections"})["cursor"]
    assert len(first["firstBatch"]) + len(more["nextBatch"]) == len(names)


# -- indexes -----------------------------------------------------------------------------

def test_create_list_drop_indexes(coll):
    coll.insert_many([{"_id": i, "a": i, "b": -i} for i in range(5)])
    name = coll.create_index([("a", ASCENDING)])
    assert name == "a_1"
    names = coll.create_indexes([IndexModel([("a", ASCENDING), ("b", DESCENDING)]),
                                 IndexModel([("b", ASCENDING)], name="by_b", unique=True)])
    assert names == ["a_1_b_-1", "by_b"]
    info = coll.index_information()
    assert set(info) == {"_id_", "a_1", "a_1_b_-1", "by_b"}
    assert info["by_b"]["key"] == [("b", 1)] and info["by_b"]["unique"] is True
    listed = list(coll.list_indexes())
    assert all(i["v"] == 2 for i in listed)
    coll.drop_index("a_1")
    coll.drop_index([("a", ASCENDING), ("b", DESCENDING)])  # pymongo derives the name a_1_b_-1
    assert set(coll.index_information()) == {"_id_", "by_b"}
    # dropIndexes also takes the key pattern itself.
    coll.database.command({"dropIndexes": coll.name, "index": {"b": 1}})
    assert set(coll.index_information()) == {"_id_"}
    coll.create_index("a")
    coll.create_index("b")
    coll.drop_indexes()
    assert set(coll.index_information()) == {"_id_"}


def test_unique_index_enforced(coll):
    coll.create_index("email", unique=True)
    coll.insert_one({"email": "a@x"})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"email": "a@x"})


def test_unique_index_over_duplicates_fails(coll):
    coll.insert_many([{"k": 1}, {"k": 1}])
    with pytest.raises(OperationFailure) as info:
        coll.create_index("k", unique=True)
    assert info.value.code == 11000
    assert "k_1" not in coll.index_information()


def test_drop_missing_index_is_index_not_found(coll):
    coll.insert_one({})
    with pytest.raises(OperationFailure) as info:
        coll.drop_index("nope_1")
    assert info.value.code == 27


def test_cannot_drop_id_index(coll):
    coll.insert_one({})
    with pytest.raises(OperationFailure):
        coll.drop_index("_id_")


def test_create_index_same_name_different_key_conflicts(coll):
    coll.create_index("a", name="idx")
    with pytest.raises(OperationFailure) as info:
        coll.create_index("b", name="idx")
    assert info.value.code in (85, 86)  # IndexOptionsConflict / IndexKeySpecsConflict


def test_indexed_query_returns_same_results(coll):
    coll.insert_many([{"_id": i, "a": i % 10} for i in range(200)])
    before = sorted(d["_id"] for d in coll.find({"a": 3}))
    coll.create_index("a")
    after = sorted(d["_id"] for d in coll.find({"a": 3}))
    assert before == after and len(after) == 20


# -- statistics, explain, validate -------------------------------------------------------

def test_coll_stats(db, coll):
    coll.insert_many([{"_id": i, "pad": "x" * 100} for i in range(50)])
    coll.create_index("pad")
    stats = db.command("collStats", coll.name)
    assert stats["ok"] == 1 and stats["ns"] == f"{db.name}.{coll.name}"
    assert stats["count"] == 50
    assert stats["size"] >= 50 * 100
    assert stats["nindexes"] == 2
    assert set(stats["indexSizes"]) == {"_id_", "pad_1"}
    assert "storageSize" in stats and "totalIndexSize" in stats


def test_db_stats(db):
    db["a"].insert_many([{"_id": i} for i in range(10)])
    db["b"].insert_one({})
    stats = db.command("dbStats")
    assert stats["db"] == db.name
    assert stats["collections"] == 2 and stats["objects"] == 11
    assert stats["indexes"] == 2
    for key in ("dataSize", "storageSize", "indexSize"):
        assert key in stats


def test_explain_find(db, coll):
    coll.insert_many([{"_id": i, "a": i} for i in range(20)])
    coll.create_index("a")
    reply = db.command({"explain": {"find": coll.name, "filter": {"a": 5}}, "verbosity": "queryPlanner"})
    planner = reply["queryPlanner"]
    assert planner["namespace"] == f"{db.name}.{coll.name}"
    assert "winningPlan" in planner
    assert "IXSCAN" in str(planner["winningPlan"])
    full = db.command({"explain": {"find": coll.name, "filter": {"a": 5}}, "verbosity": "executionStats"})
    assert full["executionStats"]["nReturned"] == 1


def test_explain_via_cursor(coll):
    coll.insert_many([{"_id": i} for i in range(5)])
    plan = coll.find({"_id": {"$gt": 2}}).explain()
    assert "queryPlanner" in plan


def test_explain_count_and_aggregate(db, coll):
    coll.insert_many([{"_id": i, "a": i} for i in range(5)])
    assert db.command({"explain": {"count": coll.name, "query": {"a": 1}}})["ok"] == 1
    assert db.command({"explain": {"aggregate": coll.name, "pipeline": [{"$match": {"a": 1}}],
                                   "cursor": {}}})["ok"] == 1


def test_validate(db, coll):
    coll.insert_many([{"_id": i, "a": i} for i in range(30)])
    coll.create_index("a")
    reply = db.validate_collection(coll.name)
    assert reply["valid"] is True
    assert reply["ns"] == f"{db.name}.{coll.name}"
    assert reply["nrecords"] == 30
    assert reply["errors"] == []
    full = db.validate_collection(coll.name, full=True)
    assert full["valid"] is True and full["nIndexes"] == 2


def test_validate_missing_collection_is_namespace_not_found(db):
    with pytest.raises(OperationFailure) as info:
        db.command("validate", "nothing_here")
    assert info.value.code == 26


@pytest.mark.parametrize("options", [
    {"background": True, "full": True},
    {"background": True, "enforceFastCount": True},
    {"background": 1, "repair": True},
    {"enforceFastCount": True, "repair": True},
    {"repair": True},
    {"metadata": True, "full": True},
], ids=["background+full", "background+enforceFastCount", "background+repair",
        "enforceFastCount+repair", "repair-on-a-replica-set", "metadata+full"])
def test_validate_refuses_the_option_combinations_mongod_refuses(db, coll, options):
    coll.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as info:
        db.command({"validate": coll.name, **options})
    assert info.value.code == 72
    # Each option alone (but repair) validates.
    for name in options:
        if name != "repair":
            assert db.command({"validate": coll.name, name: True})["valid"] is True
