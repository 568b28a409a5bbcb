# A write is one commit. An update pinned to one _id is one, whichever way it is written: a
# delta (counters) or a full rewrite (a string replaced, an indexed field changed) done in the
# commit that tried the delta; an upsert of a missing _id inserts in that commit too. A
# retryable write on a private store is one as well: its statement records go in the commit of
# its writes, and no second commit stores its reply. Counted with serverStatus's
# tessera.commitSection.acquisitions on a server of the test's own, where nothing else commits.

from __future__ import annotations

import pytest
from pymongo import MongoClient


def section_entries(client: MongoClient) -> int:
    return client.admin.command("serverStatus")["tessera"]["commitSection"]["acquisitions"]


@pytest.fixture
def counted(private_server):
    with private_server.client(retryWrites=False) as client:
        coll = client["commits"]["c"]
        coll.insert_many([{"_id": key, "name": f"name-{key}", "rank": key, "n": 0} for key in range(10)])
        coll.create_index("rank")
        yield client, coll


@pytest.mark.parametrize(("update", "expected"), [
    ({"$set": {"name": "a much longer name than before"}}, {"name": "a much longer name than before"}),
    ({"$inc": {"rank": 100}}, {"rank": 103}),
    ({"$set": {"name": "x", "n": 5}}, {"name": "x", "n": 5}),
    ({"$inc": {"n": 1}}, {"n": 1}),
    ({"$set": {"name": "name-3"}}, {"name": "name-3"}),
], ids=["string-replaced", "indexed-field", "string-and-counter", "counter-delta", "no-op-rewrite"])
def test_an_update_by_id_enters_the_commit_section_once(counted, update, expected):
    client, coll = counted
    before = section_entries(client)
    result = coll.update_one({"_id": 3}, update)
    entries = section_entries(client) - before
    assert result.matched_count == 1
    assert result.modified_count == (0 if update == {"$set": {"name": "name-3"}} else 1)
    assert entries == 1, f"{update} entered the commit section {entries} times"
    stored = coll.find_one({"_id": 3})
    assert {key: stored[key] for key in expected} == expected
    # The rank index follows a rewrite.
    assert [document["_id"] for document in coll.find({"rank": stored["rank"]}).hint("rank_1")] == [3]


def test_a_rewrite_in_the_delta_commit_keeps_unique_indexes_and_upserts(counted):
    client, coll = counted
    coll.create_index("name", unique=True)
    with pytest.raises(Exception) as duplicate:
        coll.update_one({"_id": 1}, {"$set": {"name": "name-2"}})
    assert getattr(duplicate.value, "code", None) == 11000
    assert coll.find_one({"_id": 1})["name"] == "name-1"
    upserted = coll.update_one({"_id": 50}, {"$set": {"name": "fresh"}}, upsert=True)
    assert upserted.upserted_id == 50 and coll.find_one({"_id": 50}) == {"_id": 50, "name": "fresh"}
    missing = coll.update_one({"_id": 51}, {"$set": {"name": "none"}})
    assert (missing.matched_count, missing.modified_count) == (0, 0)
    assert coll.count_documents({}) == 11


def test_a_retryable_write_is_one_commit_on_a_private_store(private_server):
    """A retryable insert, update or delete records its statements in the commit of its
    writes; on a store no other server shares, its reply is not stored in a second commit (a
    retry runs again against the statement records)."""
    with private_server.client(retryWrites=True) as client:
        coll = client["commits"]["retryable"]
        coll.insert_one({"_id": "warm"})
        writes = [
            lambda: coll.insert_one({"_id": 1, "name": "one"}),
            lambda: coll.insert_many([{"_id": 2}, {"_id": 3}]),
            lambda: coll.update_one({"_id": 1}, {"$set": {"name": "uno"}}),
            lambda: coll.update_one({"_id": 3}, {"$inc": {"n": 1}}, upsert=True),
            lambda: coll.update_one({"_id": 9}, {"$inc": {"n": 1}}, upsert=True),
            lambda: coll.update_one({"_id": 10}, {"$set": {"name": "ten"}}, upsert=True),
            lambda: coll.delete_one({"_id": 2}),
        ]
        for number, write in enumerate(writes):
            before = section_entries(client)
            write()
            entries = section_entries(client) - before
            assert entries == 1, f"write {number} entered the commit section {entries} times"
        assert list(coll.find({"_id": {"$ne": "warm"}}).sort("_id", 1)) == [
            {"_id": 1, "name": "uno"}, {"_id": 3, "n": 1}, {"_id": 9, "n": 1}, {"_id": 10, "name": "ten"}]
