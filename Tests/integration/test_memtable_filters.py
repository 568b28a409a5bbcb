# The memtable key filter (issue 22): collection key spaces' memtables keep a whole-key bloom
# filter so each insert's `_id` existence check skips the skip-list search. Checks, on a
# private server with the RocksDB engine, that RocksDB was configured so (its OPTIONS file
# names the filter on collection key spaces only) and that `_id` uniqueness still holds for
# keys in the memtable, in SST files and across a restart.

import re

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError


def column_family_options(dbpath):
    """{column family: {option: value}} from the newest RocksDB OPTIONS file in `dbpath`."""
    newest = max(dbpath.glob("OPTIONS-*"), key=lambda path: int(path.name.split("-")[1]))
    families, current = {}, None
    for line in newest.read_text().splitlines():
        header = re.match(r'\[CFOptions "(.*)"\]', line)
        if header:
            current = families.setdefault(header.group(1), {})
        elif line.startswith("["):
            current = None
        elif current is not None and "=" in line:
            key, value = line.strip().split("=", 1)
            current[key] = value
    return families


def test_only_collection_key_spaces_have_a_memtable_key_filter(private_server):
    client = private_server.client()
    client.filters.events.insert_many([{"_id": i, "game": i % 7} for i in range(100)])
    client.filters.events.create_index("game")
    client.filters.other.insert_one({"_id": 1})

    families = column_family_options(private_server.dbpath)
    collections = {name for name in families if name.startswith("c.")}
    assert len(collections) >= 2
    for name, options in families.items():
        filtered = options["memtable_whole_key_filtering"] == "true"
        ratio = float(options["memtable_prefix_bloom_size_ratio"])
        assert filtered == (name in collections), name
        assert (ratio > 0) == (name in collections), name


def test_duplicate_ids_are_refused_from_memtable_files_and_after_restart(private_server):
    client = private_server.client()
    events = client.filters.events
    events.insert_many([{"_id": i} for i in range(0, 20_000, 2)])
    client.filters.command("compact", "events")  # flushes and compacts: the even ids into SST files
    events.insert_many([{"_id": i} for i in range(1, 20_000, 2)])  # the odd ones in the memtable
    for duplicate in (0, 9_998, 1, 19_999):
        with pytest.raises(DuplicateKeyError):
            events.insert_one({"_id": duplicate})
    # A batch whose only duplicate is its last document writes nothing of it (ordered).
    with pytest.raises(BulkWriteError) as refused:
        events.insert_many([{"_id": 20_000}, {"_id": 20_001}, {"_id": 4_000}])
    assert refused.value.details["nInserted"] == 2
    assert events.count_documents({}) == 20_002

    private_server.restart()
    client = private_server.client()
    events = client.filters.events
    for duplicate in (2, 3, 20_001):
        with pytest.raises(DuplicateKeyError):
            events.insert_one({"_id": duplicate})
    events.insert_one({"_id": 20_002})
    assert events.count_documents({}) == 20_003
