// Storage: the ordered key-value layer (RocksDB). Being written; see issue 3.
