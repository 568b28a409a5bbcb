# maxTimeMS inside the long commands issue 14 listed beyond queries: collStats, dbStats,
# validate, dbHash, index builds, $merge and createBackup answer MaxTimeMSExpired (50) when
# their deadline passes mid-work, leave nothing half-done behind (no half-built index), and
# the server and its data are intact afterwards. Codes only: no test here asserts a time.

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

# The 200,000-document database of test_interrupts.py (shared fixture, same module scope).
from test_interrupts import DOCUMENTS, big  # noqa: F401  (pytest fixture)


def _expect_50(database, command: dict) -> None:
    with pytest.raises(OperationFailure) as info:
        database.command({**command, "maxTimeMS": 20})
    assert info.value.code == 50, info.value.details
    assert info.value.details.get("codeName") == "MaxTimeMSExpired"


def _intact(database) -> None:
    assert database.client.admin.command("ping")["ok"] == 1
    assert database["docs"].estimated_document_count() == DOCUMENTS
    assert database["docs"].find_one({"_id": 123_456}) == {"_id": 123_456, "a": 123_456, "g": 456, "parent": 61_728,
                                                          "s": "x" * 20}


@pytest.mark.parametrize("command", [
    {"collStats": "docs"},
    {"dbStats": 1},
    {"validate": "docs", "full": True},
    {"dbHash": 1, "collections": ["docs"]},
], ids=["collStats", "dbStats", "validate", "dbHash"])
def test_scanning_diagnostics_stop_at_max_time_ms(big, command):
    _expect_50(big, command)
    _intact(big)


def test_index_build_stops_at_max_time_ms_and_leaves_no_index(big):
    _expect_50(big, {"createIndexes": "docs", "indexes": [{"key": {"s": 1, "a": -1}, "name": "s_a"}]})
    assert "s_a" not in [index["name"] for index in big["docs"].list_indexes()]
    _intact(big)
    # Without the deadline the same build completes and is used.
    big["docs"].create_index([("s", 1), ("a", -1)], name="s_a")
    assert big["docs"].find_one({"s": "x" * 20, "a": 7}, hint="s_a")["_id"] == 7
    big["docs"].drop_index("s_a")


def test_merge_stops_at_max_time_ms(big):
    _expect_50(big, {"aggregate": "docs", "pipeline": [{"$project": {"a": 1}}, {"$merge": {"into": "merged"}}],
                     "cursor": {}})
    _intact(big)
    big.drop_collection("merged")


def test_out_stops_at_max_time_ms(big):
    _expect_50(big, {"aggregate": "docs", "pipeline": [{"$project": {"a": 1}}, {"$out": "outed"}], "cursor": {}})
    _intact(big)
    big.drop_collection("outed")


def test_create_backup_stops_at_max_time_ms(big, tmp_path):
    target = tmp_path / "backup"
    with pytest.raises(OperationFailure) as info:
        big.client.admin.command({"createBackup": 1, "to": str(target), "maxTimeMS": 1})
    assert info.value.code == 50, info.value.details
    _intact(big)
    # The interrupted backup left the directory usable for a first, full backup.
    reply = big.client.admin.command({"createBackup": 1, "to": str(target)})
    assert reply["ok"] == 1 and reply["fileCount"] > 0
