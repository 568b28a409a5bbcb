// Durability: how far a write must reach before the call returns.
// Maps MongoDB's `j` write concern onto RocksDB's WAL sync flag; nothing else.

/// How durable a write is when the call that made it returns.
public enum Durability: Sendable, Hashable {
    /// Appended to the write-ahead log (in the OS page cache): survives a process crash,
    /// not a power failure. Group commit can make it durable later with `flushWAL(sync: true)`.
    case buffered
    /// The write-ahead log is fsynced before returning (`rocksdb_writeoptions_set_sync`):
    /// survives power failure. MongoDB's `j: true`.
    case journaled
}
