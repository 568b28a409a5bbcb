# Small MongoDB-compatibility gaps closed, through pymongo against a real `tessera serve`: a sort
# of more than 32 keys (mongod's 13103 "too many compound keys"), `$natural` order forwards and
# backwards in find (sort and hint) and aggregate (hint), with mongod's BadValue checks;
# listDatabases listing `config` and `local` when the server keeps retryable-write records and
# change log entries (mongod's config.transactions and local.oplog.rs), `admin` once it holds
# users; and two text index builds racing on one collection: exactly one wins.

from __future__ import annotations

import threading

import pytest
from pymongo import TEXT
from pymongo.errors import OperationFailure


def keys(count: int) -> list[tuple[str, int]]:
    return [(f"k{i}", 1 if i % 2 == 0 else -1) for i in range(count)]


def test_sort_of_more_than_32_keys_is_13103(coll):
    coll.insert_many([{"_id": i, **{f"k{j}": (i * 7 + j) % 3 for j in range(33)}} for i in range(20)])
    thirty_two = keys(32)
    found = [d["_id"] for d in coll.find({}, sort=thirty_two)]
    expected = sorted(coll.find({}), key=lambda d: tuple(d[k] * direction for k, direction in thirty_two))
    assert found == [d["_id"] for d in expected]
    assert [d["_id"] for d in coll.aggregate([{"$sort": dict(thirty_two)}])] == found
    for run in (lambda: list(coll.find({}, sort=keys(33))),
                lambda: list(coll.aggregate([{"$sort": dict(keys(33))}]))):
        with pytest.raises(OperationFailure) as failure:
            run()
        assert failure.value.code == 13103 and "too many compound keys" in str(failure.value)


def test_natural_order_both_ways(coll):
    # Inserted out of _id order: natural order is the collection's scan order.
    coll.insert_many([{"_id": i, "v": i % 4} for i in (5, 1, 4, 2, 3, 0)])
    forward = [d["_id"] for d in coll.find({}, sort=[("$natural", 1)])]
    assert sorted(forward) == [0, 1, 2, 3, 4, 5]
    assert [d["_id"] for d in coll.find()] == forward
    assert [d["_id"] for d in coll.find({}, sort=[("$natural", -1)])] == forward[::-1]
    assert [d["_id"] for d in coll.find().hint([("$natural", -1)])] == forward[::-1]
    assert [d["_id"] for d in coll.find({}, sort=[("$natural", -1)]).hint([("$natural", -1)])] == forward[::-1]
    # With a filter, skip and limit, and across getMore batches.
    wanted = [i for i in forward[::-1] if i % 2 == 1]
    assert [d["_id"] for d in coll.find({"_id": {"$mod": [2, 1]}}, sort=[("$natural", -1)], skip=1, limit=2)] == wanted[1:3]
    assert [d["_id"] for d in coll.find({}, sort=[("$natural", -1)], batch_size=2)] == forward[::-1]
    explain = coll.find({}, sort=[("$natural", -1)]).explain()
    assert explain["queryPlanner"]["winningPlan"]["stage"] == "COLLSCAN"
    assert explain["queryPlanner"]["winningPlan"]["direction"] == "backward"
    # aggregate: the hint option walks backwards; a $natural key in $sort is a FieldPath error.
    assert [d["_id"] for d in coll.aggregate([{"$match": {}}], hint={"$natural": -1})] == forward[::-1]
    with pytest.raises(OperationFailure) as failure:
        list(coll.aggregate([{"$sort": {"$natural": -1}}]))
    assert failure.value.code == 16410


@pytest.mark.parametrize("sort, hint, message", [
    ([("$natural", 2)], None, "$natural sort cannot be set to a value other than -1 or 1."),
    ([("$natural", 1), ("v", 1)], None, "$natural sort cannot be set to a value other than -1 or 1."),
    (None, [("$natural", 0)], "$natural hint cannot be set to a value other than -1 or 1."),
    ([("$natural", -1)], [("_id", 1)], "index hint not allowed with $natural sort order"),
    ([("$natural", -1)], [("$natural", 1)], "$natural hint must be in the same direction as $natural sort order"),
])
def test_natural_order_refusals_are_bad_value(coll, sort, hint, message):
    coll.insert_one({"_id": 1, "v": 1})
    cursor = coll.find({}, sort=sort)
    if hint is not None:
        cursor = cursor.hint(hint)
    with pytest.raises(OperationFailure) as failure:
        list(cursor)
    assert failure.value.code == 2
    assert message in str(failure.value)


def test_list_databases_shows_config_and_local_when_they_hold_data(client, db):
    def listed(**options):
        return {entry["name"]: entry for entry in client.admin.command("listDatabases", **options)["databases"]}

    # A retryable write (pymongo retries writes by default) leaves a record; every write a change log entry.
    db.c.insert_one({"_id": 1})
    with client.start_session() as session:
        db.c.insert_one({"_id": 2}, session=session)
    databases = listed()
    assert {"config", "local", db.name} <= set(databases)
    for name in ("config", "local"):
        assert databases[name]["empty"] is False
        assert databases[name]["sizeOnDisk"] >= 4096
    assert list(databases) == sorted(databases)
    names = client.admin.command("listDatabases", nameOnly=True)["databases"]
    assert {"config", "local"} <= {entry["name"] for entry in names}
    assert all(set(entry) == {"name"} for entry in names)
    assert [entry["name"] for entry in client.list_databases(filter={"name": "local"})] == ["local"]
    assert [entry["name"] for entry in client.list_databases(filter={"name": {"$in": ["config", db.name]}})] \
        == sorted(["config", db.name])


def test_list_databases_on_a_fresh_server_lists_no_internal_database(private_server):
    with private_server.client() as fresh:
        assert fresh.list_database_names() == []
        fresh.admin.command("createUser", "root", pwd="secret-pw", roles=["root"])
        assert "admin" in fresh.list_database_names()


def race(collection, specs: list[list]) -> list:
    """Starts one createIndex per spec at the same moment; their results (name or failure) in order."""
    barrier = threading.Barrier(len(specs))
    outcomes: list = [None] * len(specs)

    def build(position: int) -> None:
        barrier.wait()
        try:
            outcomes[position] = collection.create_index(specs[position])
        except OperationFailure as failure:
            outcomes[position] = failure

    threads = [threading.Thread(target=build, args=(position,)) for position in range(len(specs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("specs, code, message", [
    # Every text index's key is {_fts: "text", _ftsx: 1}: the later one is an equivalent index (85).
    ([[("a", TEXT)], [("b", TEXT)]], 85, "Index already exists with a different name"),
    # Other key fields: mongod's one-text-index refusal (67), whichever registers first.
    ([[("k", 1), ("a", TEXT)], [("b", TEXT)]], 67, "only one text index per collection allowed"),
])
def test_two_racing_text_index_builds_leave_one(coll, specs, code, message):
    coll.insert_many([{"_id": i, "k": i % 3, "a": f"alpha {i}", "b": f"beta {i}"} for i in range(3000)])
    outcomes = race(coll, specs)
    failures = [outcome for outcome in outcomes if isinstance(outcome, OperationFailure)]
    assert len(failures) == 1, outcomes
    assert failures[0].code == code and message in str(failures[0])
    text_indexes = [index for index in coll.list_indexes() if "_fts" in index["key"]]
    assert [index["name"] for index in text_indexes] == [outcome for outcome in outcomes if isinstance(outcome, str)]
    # The winner answers $text over every document.
    field = "a" if text_indexes[0]["name"].endswith("a_text") else "b"
    word = "alpha" if field == "a" else "beta"
    query = {"$text": {"$search": word}}
    if "k_1" in text_indexes[0]["name"]:
        query["k"] = 0
    assert coll.count_documents(query) == len([i for i in range(3000) if "k" not in query or i % 3 == 0])
