# What any client (authenticated or not) can make the server hold is bounded (issue 14):
# logical sessions (maxSessions, 261 TooManyLogicalSessions), spill files (spillMaxBytes /
# spillMaxFiles, 14031 OutOfDiskSpace) and collections (maxCollections, 20). Each test runs a
# private server with a small limit, checks the code, that the server stays up, that the
# allowance comes back, and that committed data is intact.

from __future__ import annotations

import uuid

import pytest
from bson.binary import Binary, UUID_SUBTYPE
from pymongo.errors import OperationFailure

from rawwire import RawConnection
from tessera_server import TesseraServer


@pytest.fixture
def limited_server(tmp_path, request):
    instance = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=request.param)
    instance.start()
    yield instance
    code = instance.stop()
    assert code == 0, f"tessera exited with {code}; log tail:\n{instance.log_tail()}"


def _lsid() -> dict:
    return {"id": Binary(uuid.uuid4().bytes, UUID_SUBTYPE)}


@pytest.mark.parametrize("limited_server", [["--set-parameter", "maxSessions=5"]], indirect=True)
def test_sessions_past_max_sessions_answer_261(limited_server):
    with limited_server.client() as client:
        admin = client.admin
        # pymongo's own implicit session takes a place too: start sessions until refused.
        started = []
        with pytest.raises(OperationFailure) as full:
            for _ in range(10):
                started.append(admin.command("startSession")["id"])
        assert 3 <= len(started) <= 5, started
        assert full.value.code == 261
        assert full.value.details["codeName"] == "TooManyLogicalSessions"
        # A new lsid on any command is a new session too, and is refused the same way (raw
        # OP_MSG: pymongo puts its own lsid on every command) ...
        with RawConnection(limited_server.port) as raw:
            implicit = raw.command({"find": "c", "lsid": _lsid(), "$db": "d"})
        assert implicit["ok"] == 0 and implicit["code"] == 261, implicit
        # ... while an existing session and sessionless commands still work.
        client["d"].command({"insert": "c", "documents": [{"_id": 1}], "lsid": started[0]})
        assert client["d"]["c"].find_one({"_id": 1}) == {"_id": 1}
        # Ending sessions gives their places back.
        admin.command("endSessions", [started[1]])
        admin.command("startSession")


@pytest.mark.parametrize("limited_server", [[]], indirect=True)
def test_lsid_that_is_not_a_uuid_is_refused(limited_server):
    with RawConnection(limited_server.port) as raw:
        for bad in (Binary(b"\x01" * 1_000_000, 4), Binary(b"", 4), Binary(b"x" * 17, 0)):
            refused = raw.command({"find": "c", "lsid": {"id": bad}, "$db": "d"})
            assert refused["ok"] == 0 and refused["code"] == 2, refused
        assert raw.command({"ping": 1, "$db": "admin"})["ok"] == 1


@pytest.mark.parametrize("limited_server", [["--set-parameter", "spillMaxBytes=8388608"]], indirect=True)
def test_spill_past_the_process_allowance_answers_14031(limited_server):
    with limited_server.client() as client:
        coll = client["d"]["big"]
        big = "x" * (1 << 20)
        coll.insert_many([{"_id": i, "s": big} for i in range(110)])
        # Over the 100 MB sort limit, so it spills; the spill outgrows the 8 MiB allowance.
        with pytest.raises(OperationFailure) as refused:
            list(coll.aggregate([{"$sort": {"s": 1, "_id": -1}}], allowDiskUse=True))
        assert refused.value.code == 14031
        assert refused.value.details["codeName"] == "OutOfDiskSpace"
        # The failed sort's files are gone and their bytes released: a second attempt fails
        # the same way (not with an allowance leaked to zero), a small spill-free sort works.
        with pytest.raises(OperationFailure) as again:
            list(coll.aggregate([{"$sort": {"s": 1, "_id": -1}}], allowDiskUse=True))
        assert again.value.code == 14031
        spill_dir = limited_server.dbpath / "_tmp"
        assert not spill_dir.exists() or list(spill_dir.iterdir()) == []
        assert [d["_id"] for d in coll.find({}, {"_id": 1}).sort("_id", -1).limit(3)] == [109, 108, 107]
        assert coll.count_documents({}) == 110


@pytest.mark.parametrize("limited_server", [["--set-parameter", "maxCollections=4"]], indirect=True)
def test_collections_past_max_collections_answer_20(limited_server):
    with limited_server.client() as client:
        db = client["d"]
        for index in range(4):
            db[f"c{index}"].insert_one({"_id": index})
        with pytest.raises(OperationFailure) as explicit:
            db.create_collection("one_too_many")
        assert explicit.value.code == 20
        with pytest.raises(OperationFailure) as implicit:
            client["other"]["implicit"].insert_one({"_id": 1})
        assert implicit.value.code == 20
        # Dropping one makes room again; every committed document is intact.
        db.drop_collection("c3")
        db["replacement"].insert_one({"_id": "r"})
        assert [db[f"c{index}"].find_one() for index in range(3)] == [{"_id": index} for index in range(3)]
        assert sorted(db.list_collection_names()) == ["c0", "c1", "c2", "replacement"]
