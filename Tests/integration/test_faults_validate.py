# `validate` cross-checks indexes against documents: after an index loses a document's entries
# or gains entries that point at no document (through the test-only `_tesseraCorruptIndex`,
# which needs --enable-test-commands), validate reports the collection invalid with MongoDB's
# fields (valid, errors, nInvalidDocuments, keysPerIndex, indexDetails, missing/extra entries);
# with `full: true` it also reads every SST file back and reports one that fails its checksums.

from __future__ import annotations

import pytest
from bson.int64 import Int64
from pymongo.errors import OperationFailure

from tessera_server import TesseraServer

DOCUMENTS = 200


@pytest.fixture
def test_server(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--enable-test-commands"])
    server.start()
    yield server
    if server.running:
        server.stop(timeout=30)


def validate(db, name: str) -> dict:
    return db.command("validate", name)


def test_validate_finds_missing_and_extra_index_entries(test_server):
    with test_server.client() as mongo:
        db = mongo["vdb"]
        db.items.create_index("a")
        db.items.create_index("tags")
        documents = [{"_id": key, "a": key % 13, "tags": [f"t{key % 3}", f"u{key % 5}"]} for key in range(DOCUMENTS)]
        db.items.insert_many(documents)
        tag_entries = sum(len(set(doc["tags"])) for doc in documents)

        healthy = validate(db, "items")
        assert healthy["valid"] is True, healthy
        assert healthy["errors"] == []
        assert healthy["nInvalidDocuments"] == 0
        assert healthy["nrecords"] == DOCUMENTS
        assert healthy["keysPerIndex"] == {"_id_": DOCUMENTS, "a_1": DOCUMENTS, "tags_1": tag_entries}
        assert all(detail["valid"] for detail in healthy["indexDetails"].values())

        removed = mongo.admin.command("_tesseraCorruptIndex", "vdb.items", index="tags_1", removeEntriesOf=7)
        assert removed["entries"] == len(set(documents[7]["tags"]))
        broken = validate(db, "items")
        assert broken["valid"] is False
        assert broken["nInvalidDocuments"] == 1
        assert broken["keysPerIndex"]["tags_1"] == tag_entries - removed["entries"]
        assert broken["indexDetails"]["tags_1"]["valid"] is False
        assert broken["indexDetails"]["a_1"]["valid"] is True
        assert broken["missingIndexEntries"] == [{"count": removed["entries"]}]
        assert any("tags_1" in error for error in broken["errors"]), broken["errors"]
        # The document is still there, only its index entries are gone.
        assert db.items.find_one({"_id": 7})["tags"] == documents[7]["tags"]

        added = mongo.admin.command("_tesseraCorruptIndex", "vdb.items", index="a_1", addEntriesLike=3, phantomID="ghost")
        assert added["entries"] == 1
        both = validate(db, "items")
        assert both["valid"] is False
        assert both["keysPerIndex"]["a_1"] == DOCUMENTS + 1
        assert both["indexDetails"]["a_1"]["valid"] is False
        assert both["extraIndexEntries"] == [{"count": 1}]
        assert any("a_1" in error and "no document" in error for error in both["errors"]), both["errors"]

        # A collection left alone stays valid.
        db.other.create_index("a")
        db.other.insert_many([{"_id": key, "a": key} for key in range(10)])
        assert validate(db, "other")["valid"] is True


def test_the_corruption_command_needs_test_commands(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    try:
        with server.client() as mongo:
            mongo["vdb"]["items"].create_index("a")
            mongo["vdb"]["items"].insert_one({"_id": 1, "a": 1})
            with pytest.raises(OperationFailure) as refused:
                mongo.admin.command("_tesseraCorruptIndex", "vdb.items", index="a_1", removeEntriesOf=1)
            assert refused.value.code == 59
            assert mongo["vdb"].command("validate", "items")["valid"] is True
    finally:
        if server.running:
            server.stop(timeout=30)


def test_full_validate_reads_every_data_file_back_and_names_a_corrupt_one(tmp_path):
    """validate {full: true} checks the block checksums of every SST file on disk: a healthy
    store passes and reports what it read; a byte flipped inside one file (on disk, under the
    running server) makes it invalid with the file named, and the server stays up."""
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    try:
        with server.client() as mongo:
            db = mongo["vdb"]
            db.items.create_index("a")
            db.items.insert_many([{"_id": key, "a": key % 13, "pad": f"{key:08d}" * 40} for key in range(2_000)])
            mongo.admin.command("fsync")
            files = sorted((tmp_path / "db").rglob("*.sst"))
            assert files, "the flush wrote no SST file"
            healthy = db.command("validate", "items", full=True)
            assert healthy["valid"] is True, healthy
            assert healthy["tesseraFileChecksums"]["filesChecked"] == len(files)
            assert healthy["tesseraFileChecksums"]["filesFailed"] == 0
            assert "tesseraFileChecksums" not in db.command("validate", "items")
            victim = max(files, key=lambda path: path.stat().st_size)
            with victim.open("r+b") as handle:
                handle.seek(victim.stat().st_size // 3)
                byte = handle.read(1)
                handle.seek(-1, 1)
                handle.write(bytes([byte[0] ^ 0xFF]))
            broken = db.command("validate", "items", full=True)
            assert broken["valid"] is False, broken
            assert broken["tesseraFileChecksums"]["filesFailed"] == 1
            assert any(victim.name in error and "checksum" in error.lower() for error in broken["errors"]), broken["errors"]
            assert mongo.admin.command("ping")["ok"] == 1
            with pytest.raises(OperationFailure) as wrong_type:
                db.command("validate", "items", full="yes")
            assert wrong_type.value.code in (2, 14), wrong_type.value
    finally:
        server.stop(timeout=30)


@pytest.mark.parametrize(("value", "full"), [
    (Int64(2**63 - 1), True), (Int64(-2**63), True), (float("nan"), True), (float("inf"), True),
    (float("-inf"), True), (-0.0, False), (0, False), (True, True), (False, False), (None, False),
])
def test_validate_full_takes_mongodbs_truthy_values_at_the_edges(tmp_path, value, full):
    """`full` is read as mongod's safe Boolean: any non-zero number (NaN too) is true, zero and
    -0.0 false, null absent; every edge gets a normal reply and the server stays up."""
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log")
    server.start()
    try:
        with server.client() as mongo:
            db = mongo["vdb"]
            db.items.insert_many([{"_id": key} for key in range(50)])
            mongo.admin.command("fsync")
            reply = db.command({"validate": "items", "full": value})
            assert reply["valid"] is True, reply
            assert ("tesseraFileChecksums" in reply) is full, reply
            assert mongo.admin.command("ping")["ok"] == 1
    finally:
        server.stop(timeout=30)
