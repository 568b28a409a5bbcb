# Change streams through pymongo against the single-node replica set Tessera presents:
# the replica-set handshake (directConnection and replicaSet URIs), collection, database
# and cluster streams, event shapes (MongoDB's documented fields), resume after a killed
# client, fullDocument modes, pre-images, later stages, awaitData waits and lost history.

import threading
import time

import pytest
from bson import Timestamp
from pymongo import MongoClient
from pymongo.errors import OperationFailure


def rs_client(server, **options):
    """A client that discovers the replica set (no directConnection)."""
    base = server.uri.split("/?")[0] + "/"
    return MongoClient(base + "?replicaSet=tessera", serverSelectionTimeoutMS=5000, **options)


def next_events(stream, count, timeout=10.0):
    events = []
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        event = stream.try_next()
        if event is not None:
            events.append(event)
    assert len(events) == count, f"got {len(events)} of {count} events: {events}"
    return events


def test_hello_presents_a_single_member_replica_set(client, server):
    reply = client.admin.command("hello")
    assert reply["setName"] == "tessera"
    assert reply["isWritablePrimary"] is True and reply["secondary"] is False
    assert reply["hosts"] == [reply["me"]] and reply["primary"] == reply["me"]
    assert reply["me"].endswith(":" + str(server.port))
    assert isinstance(reply["lastWrite"]["opTime"]["ts"], Timestamp)
    assert "electionId" in reply and reply["setVersion"] >= 1
    assert isinstance(reply["operationTime"], Timestamp)
    assert isinstance(reply["$clusterTime"]["clusterTime"], Timestamp)


def test_cluster_time_advances_with_writes(client, db):
    before = db.command("ping")["operationTime"]
    db.c.insert_one({})
    after = db.command("ping")["operationTime"]
    assert after > before


def test_replica_set_and_direct_connections_both_work(server):
    with rs_client(server) as discovered:
        discovered.t_rs.c.insert_one({"x": 1})
        assert discovered.topology_description.topology_type_name == "ReplicaSetWithPrimary"
        assert discovered.t_rs.c.count_documents({}) == 1
    with MongoClient(server.uri.split("/?")[0] + "/?directConnection=true") as direct:
        assert direct.topology_description.topology_type_name == "Single"
        assert direct.t_rs.c.find_one()["x"] == 1
        direct.drop_database("t_rs")


def test_repl_set_get_status(client):
    status = client.admin.command("replSetGetStatus")
    assert status["set"] == "tessera" and status["myState"] == 1
    [member] = status["members"]
    assert member["stateStr"] == "PRIMARY" and member["self"] is True


def test_watch_sees_writes_from_another_connection_in_commit_order(server, db):
    with rs_client(server) as watcher, rs_client(server) as writer:
        stream = watcher[db.name].c.watch()
        target = writer[db.name].c
        target.insert_one({"_id": 1, "n": 1})
        target.update_one({"_id": 1}, {"$inc": {"n": 1}})
        target.insert_one({"_id": 2, "tags": ["a", "b", "c"]})
        target.update_one({"_id": 2}, {"$pop": {"tags": 1}, "$set": {"x.y": 3}})
        target.replace_one({"_id": 1}, {"r": True})
        target.delete_one({"_id": 2})
        events = next_events(stream, 6)
        stream.close()
    assert [e["operationType"] for e in events] == ["insert", "update", "insert", "update", "replace", "delete"]
    assert events[0]["fullDocument"] == {"_id": 1, "n": 1}
    assert events[0]["documentKey"] == {"_id": 1}
    assert events[0]["ns"] == {"db": db.name, "coll": "c"}
    assert events[1]["updateDescription"] == {"updatedFields": {"n": 2}, "removedFields": [], "truncatedArrays": []}
    assert "fullDocument" not in events[1]
    assert events[3]["updateDescription"]["updatedFields"] == {"x": {"y": 3}}
    assert events[3]["updateDescription"]["truncatedArrays"] == [{"field": "tags", "newSize": 2}]
    assert events[4]["fullDocument"] == {"_id": 1, "r": True}
    assert events[5]["documentKey"] == {"_id": 2} and "fullDocument" not in events[5]
    times = [e["clusterTime"] for e in events]
    assert times == sorted(times) and len(set(times)) == 6
    tokens = [e["_id"]["_data"] for e in events]
    assert tokens == sorted(tokens)


def test_concurrent_writers_are_seen_in_commit_order(server, db):
    with rs_client(server) as watcher:
        stream = watcher[db.name].c.watch()

        def write(offset):
            with rs_client(server) as writer:
                for i in range(50):
                    writer[db.name].c.insert_one({"_id": offset + i})

        threads = [threading.Thread(target=write, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        events = next_events(stream, 200)
        stream.close()
    ids = [e["documentKey"]["_id"] for e in events]
    assert sorted(ids) == sorted(k * 1000 + i for k in range(4) for i in range(50))
    for k in range(4):
        own = [i for i in ids if i // 1000 == k]
        assert own == sorted(own)  # each writer's inserts in its own order
    times = [e["clusterTime"] for e in events]
    assert times == sorted(times)


def test_resume_after_killed_client_misses_and_repeats_nothing(server, db):
    watcher = rs_client(server)
    stream = watcher[db.name].c.watch()
    db.c.insert_many([{"_id": i} for i in range(5)])
    seen = [e["documentKey"]["_id"] for e in next_events(stream, 3)]
    token = stream.resume_token
    watcher.close()  # the client dies with events unread
    db.c.insert_many([{"_id": i} for i in range(5, 10)])
    with rs_client(server) as again:
        resumed = again[db.name].c.watch(resume_after=token)
        seen += [e["documentKey"]["_id"] for e in next_events(resumed, 7)]
        assert resumed.try_next() is None
        resumed.close()
    assert seen == list(range(10))


def test_start_at_operation_time_and_start_after(db, client):
    time_before = db.command("ping")["operationTime"]
    db.c.insert_one({"_id": "a"})
    db.c.insert_one({"_id": "b"})
    with db.c.watch(start_at_operation_time=Timestamp(time_before.time, time_before.inc + 1)) as stream:
        assert [e["documentKey"]["_id"] for e in next_events(stream, 2)] == ["a", "b"]
    with db.c.watch() as stream:
        db.c.insert_one({"_id": "c"})
        first = next_events(stream, 1)[0]
    db.c.insert_one({"_id": "d"})
    with db.c.watch(start_after=first["_id"]) as stream:
        assert next_events(stream, 1)[0]["documentKey"]["_id"] == "d"


def test_full_document_update_lookup(db):
    with db.c.watch(full_document="updateLookup") as stream:
        db.c.insert_one({"_id": 1, "a": 1})
        db.c.update_one({"_id": 1}, {"$set": {"b": 2}})
        events = next_events(stream, 2)
    assert events[1]["operationType"] == "update"
    assert events[1]["fullDocument"] == {"_id": 1, "a": 1, "b": 2}


def test_update_lookup_of_deleted_document_is_null(db):
    db.c.insert_one({"_id": 1})
    with db.c.watch(full_document="updateLookup") as stream:
        db.c.update_one({"_id": 1}, {"$set": {"b": 2}})
        db.c.delete_one({"_id": 1})
        events = next_events(stream, 2)
    assert events[0]["fullDocument"] is None


def test_pre_and_post_images(db):
    db.create_collection("images", changeStreamPreAndPostImages={"enabled": True})
    db.images.insert_one({"_id": 1, "v": 1})
    with db.images.watch(full_document="whenAvailable", full_document_before_change="required") as stream:
        db.images.update_one({"_id": 1}, {"$set": {"v": 2}})
        db.images.delete_one({"_id": 1})
        update, delete = next_events(stream, 2)
    assert update["fullDocumentBeforeChange"] == {"_id": 1, "v": 1}
    assert update["fullDocument"] == {"_id": 1, "v": 2}
    assert delete["fullDocumentBeforeChange"] == {"_id": 1, "v": 2}


def test_required_pre_image_without_the_option_fails(db):
    db.c.insert_one({"_id": 1})
    with db.c.watch(full_document_before_change="required") as stream:
        db.c.delete_one({"_id": 1})
        with pytest.raises(OperationFailure) as failure:
            next_events(stream, 1)
    assert failure.value.code == 47


def test_pre_image_when_available_is_null_without_the_option(db):
    db.c.insert_one({"_id": 1})
    with db.c.watch(full_document_before_change="whenAvailable") as stream:
        db.c.delete_one({"_id": 1})
        assert next_events(stream, 1)[0]["fullDocumentBeforeChange"] is None


def test_database_stream_sees_every_collection_and_drop_database_invalidates(client, db):
    with db.watch() as stream:
        db.a.insert_one({"_id": 1})
        db.b.insert_one({"_id": 2})
        db.other.drop()
        db.a.drop()
        client.drop_database(db.name)
        events = next_events(stream, 6)
        assert not stream.alive or stream.try_next() is None
    kinds = [(e["operationType"], e.get("ns", {}).get("coll")) for e in events]
    assert kinds[:3] == [("insert", "a"), ("insert", "b"), ("drop", "a")]
    assert kinds[3] == ("drop", "b")
    assert kinds[4] == ("dropDatabase", None) and events[4]["ns"] == {"db": db.name}
    assert kinds[5][0] == "invalidate"


def test_cluster_stream_sees_every_database(client, db):
    other = client[db.name + "_other"]
    with client.watch() as stream:
        db.c.insert_one({"_id": 1})
        other.c.insert_one({"_id": 2})
        events = next_events(stream, 2)
    client.drop_database(other.name)
    assert [e["ns"]["db"] for e in events] == [db.name, other.name]


def test_cluster_stream_only_on_admin(client, db):
    with pytest.raises(OperationFailure):
        db.command("aggregate", 1, pipeline=[{"$changeStream": {"allChangesForCluster": True}}], cursor={})


def test_drop_and_rename_invalidate_a_collection_stream(client, db):
    db.c.insert_one({})
    with db.c.watch() as stream:
        client.admin.command("renameCollection", f"{db.name}.c", to=f"{db.name}.d")
        rename, invalidate = next_events(stream, 2)
        assert rename["operationType"] == "rename"
        assert rename["to"] == {"db": db.name, "coll": "d"}
        assert invalidate["operationType"] == "invalidate"
        assert not stream.alive
    assert db.d.count_documents({}) == 1
    with db.d.watch() as stream:
        db.d.drop()
        assert [e["operationType"] for e in next_events(stream, 2)] == ["drop", "invalidate"]
    token = invalidate["_id"]
    with pytest.raises(OperationFailure) as failure:
        db.c.watch(resume_after=token)
    assert failure.value.code == 260
    db.c.insert_one({"_id": "new"})
    with db.c.watch(start_after=token) as stream:
        assert next_events(stream, 1)[0]["documentKey"]["_id"] == "new"


def test_later_stages_apply_to_events(db):
    pipeline = [{"$match": {"operationType": "insert", "fullDocument.keep": True}},
                {"$project": {"fullDocument.secret": 0}},
                {"$addFields": {"note": "seen"}}]
    with db.c.watch(pipeline) as stream:
        db.c.insert_one({"_id": 1, "keep": False})
        db.c.insert_one({"_id": 2, "keep": True, "secret": "x"})
        db.c.delete_one({"_id": 2})
        [event] = next_events(stream, 1)
        assert stream.try_next() is None
    assert event["fullDocument"] == {"_id": 2, "keep": True}
    assert event["note"] == "seen"


def test_pipeline_that_modifies_the_resume_token_fails(db):
    with db.c.watch([{"$project": {"_id": 0}}]) as stream:
        db.c.insert_one({})
        with pytest.raises(OperationFailure) as failure:
            next_events(stream, 1)
    assert failure.value.code == 280


def test_stage_not_allowed_in_change_stream(db):
    with pytest.raises(OperationFailure) as failure:
        db.c.watch([{"$group": {"_id": None}}])
    assert failure.value.code == 20
    with pytest.raises(OperationFailure) as failure:
        list(db.c.aggregate([{"$match": {}}, {"$changeStream": {}}]))
    assert failure.value.code == 40602


def test_get_more_waits_for_new_events_without_spinning(db, server):
    stream = db.c.watch(max_await_time_ms=3000)
    arrived = []

    def consume():
        arrived.append((stream.next(), time.monotonic()))

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.5)
    inserted_at = time.monotonic()
    db.c.insert_one({"_id": "late"})
    consumer.join(10)
    stream.close()
    event, received_at = arrived[0]
    assert event["documentKey"]["_id"] == "late"
    assert received_at - inserted_at < 1.0  # woken by the commit, not by the 3 s timeout


def test_empty_get_more_returns_after_max_await(db):
    stream = db.c.watch(max_await_time_ms=300)
    started = time.monotonic()
    assert stream.try_next() is None
    elapsed = time.monotonic() - started
    stream.close()
    assert 0.25 <= elapsed < 2.0


# A resume token older than the retained history (286 ChangeStreamHistoryLost) is tested in
# Tests/CommandsTests/ChangeStreamCommandTests.swift, on a store opened with a small retention.


# -- showExpandedEvents (mongod 8.0's DDL events) and $changeStreamSplitLargeEvent ------------

def _uuid(db, name):
    return db.command("listCollections", filter={"name": name})["cursor"]["firstBatch"][0]["info"]["uuid"]


def test_expanded_events_report_ddl_with_mongods_fields(client, db):
    db.drop_collection("target")
    db.create_collection("target")
    with db.watch(show_expanded_events=True, max_await_time_ms=200) as stream:
        db.create_collection("c", collation={"locale": "en", "strength": 2})
        uuid = _uuid(db, "c")
        db.c.insert_one({"_id": 1})
        db.c.create_index("x", name="x_1")
        db.command("collMod", "c", index={"name": "x_1", "hidden": True})
        db.command("collMod", "c")
        db.c.drop_index("x_1")
        db.create_collection("v", viewOn="c", pipeline=[{"$match": {"a": 1}}])
        db.c.rename("target", dropTarget=True)
        events = next_events(stream, 9)
    kinds = [event["operationType"] for event in events]
    # The dropped target's drop comes first, in the rename's commit.
    assert kinds == ["create", "insert", "createIndexes", "modify", "modify", "dropIndexes", "create",
                     "drop", "rename"]
    by_kind = {}
    for event in events:
        by_kind.setdefault(event["operationType"], []).append(event)
    create = by_kind["create"][0]
    assert create["ns"] == {"db": db.name, "coll": "c"} and create["collectionUUID"] == uuid
    assert create["operationDescription"]["idIndex"]["key"] == {"_id": 1}
    assert create["operationDescription"]["collation"]["locale"] == "en"
    assert by_kind["insert"][0]["collectionUUID"] == uuid
    created_index = by_kind["createIndexes"][0]["operationDescription"]["indexes"]
    assert [(index["name"], index["key"]) for index in created_index] == [("x_1", {"x": 1})]
    hidden, empty = by_kind["modify"]
    assert hidden["operationDescription"] == {"index": {"name": "x_1", "hidden": True}}
    assert hidden["stateBeforeChange"]["indexOptions"] == {"hidden": False}
    assert hidden["stateBeforeChange"]["collectionOptions"]["uuid"] == uuid
    assert empty["operationDescription"] == {} and empty["collectionUUID"] == uuid
    dropped_index = by_kind["dropIndexes"][0]["operationDescription"]["indexes"]
    assert [index["name"] for index in dropped_index] == ["x_1"]
    view = by_kind["create"][1]
    assert view["ns"] == {"db": db.name, "coll": "v"} and "collectionUUID" not in view
    assert view["operationDescription"] == {"viewOn": "c", "pipeline": [{"$match": {"a": 1}}]}
    rename = by_kind["rename"][0]
    assert rename["to"] == {"db": db.name, "coll": "target"} and rename["collectionUUID"] == uuid
    assert rename["operationDescription"]["to"] == {"db": db.name, "coll": "target"}
    assert "dropTarget" in rename["operationDescription"]


def test_without_expanded_events_ddl_stays_hidden(db):
    with db.watch(max_await_time_ms=200) as stream:
        db.create_collection("c")
        db.c.create_index("x")
        db.command("collMod", "c")
        db.c.insert_one({"_id": 1})
        event = next_events(stream, 1)[0]
    assert event["operationType"] == "insert" and "collectionUUID" not in event


def test_a_large_event_is_split_into_fragments_and_resumes_from_one(db):
    db.create_collection("big", changeStreamPreAndPostImages={"enabled": True})
    db.big.insert_one({"_id": 1, "value": "q" * (10 * 1024 * 1024)})
    pipeline = [{"$changeStreamSplitLargeEvent": {}}]
    with db.big.watch(pipeline, full_document_before_change="required", max_await_time_ms=500) as stream:
        db.big.update_one({"_id": 1}, {"$set": {"value": "z" * (10 * 1024 * 1024)}})
        db.big.insert_one({"_id": 2})
        first, second, after = next_events(stream, 3, timeout=30)
    assert first["splitEvent"] == {"fragment": 1, "of": 2} and second["splitEvent"] == {"fragment": 2, "of": 2}
    # Fields go smallest first: the small ones and the smaller image in the first fragment.
    assert first["operationType"] == "update" and first["documentKey"] == {"_id": 1}
    images = {key for fragment in (first, second) for key in fragment
              if key in ("updateDescription", "fullDocumentBeforeChange")}
    assert images == {"updateDescription", "fullDocumentBeforeChange"}
    assert "updateDescription" not in first or "fullDocumentBeforeChange" not in first
    assert first["_id"] != second["_id"]
    assert after["operationType"] == "insert" and "splitEvent" not in after
    # Resuming after the first fragment gives the second, then the next event.
    with db.big.watch(pipeline, full_document_before_change="required", resume_after=first["_id"],
                      max_await_time_ms=500) as resumed:
        again, following = next_events(resumed, 2, timeout=30)
    assert again["_id"] == second["_id"] and again["splitEvent"] == {"fragment": 2, "of": 2}
    assert following["_id"] == after["_id"]
    # Without the stage, a fragment's token cannot be resumed from; the stage only goes last.
    with pytest.raises(OperationFailure) as refused:
        db.big.watch(resume_after=first["_id"])
    assert refused.value.code == 280
    with pytest.raises(OperationFailure) as misplaced:
        db.big.watch([{"$changeStreamSplitLargeEvent": {}}, {"$match": {}}])
    assert misplaced.value.code == 7182802
    with pytest.raises(OperationFailure) as argument:
        db.big.watch([{"$changeStreamSplitLargeEvent": {"x": 1}}])
    assert argument.value.code == 7182800


def test_a_change_stream_runs_at_majority_read_concern_only(db):
    from pymongo.read_concern import ReadConcern
    with pytest.raises(OperationFailure) as refused:
        db.get_collection("c", read_concern=ReadConcern("local")).watch()
    assert refused.value.code == 72
    with db.get_collection("c", read_concern=ReadConcern("majority")).watch(max_await_time_ms=100) as stream:
        db.c.insert_one({"_id": 1})
        assert next_events(stream, 1)[0]["documentKey"] == {"_id": 1}
