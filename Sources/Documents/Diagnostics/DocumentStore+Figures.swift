// DocumentStore+Figures: the storage engine's own figures for the metrics endpoint and
// serverStatus — memtable size, pending compaction bytes, write stalls, block-cache use and
// hit counts, SST bytes per level — read from RocksDB properties summed over every key space.

import Storage

/// RocksDB's figures at one moment, summed over the store's key spaces.
public struct EngineFigures: Sendable, Equatable {
    /// Bytes in memtables (active and immutable).
    public var memtableBytes: UInt64 = 0
    /// Bytes compaction still has to rewrite, as RocksDB estimates them.
    public var pendingCompactionBytes: UInt64 = 0
    /// Key spaces whose writes are stopped now (a write stall).
    public var writeStoppedKeySpaces: UInt64 = 0
    /// The delayed write rate in bytes per second while writes are slowed (0 when not).
    public var delayedWriteRate: UInt64 = 0
    /// Bytes the block cache holds, and its capacity.
    public var blockCacheUsage: UInt64 = 0
    public var blockCacheCapacity: UInt64 = 0
    /// Block-cache hits and misses since open; `nil` unless statistics are collected.
    public var blockCacheHits: UInt64?
    public var blockCacheMisses: UInt64?
    /// Live SST bytes by level (index = level), from `rocksdb.levelstats`.
    public var sstBytesByLevel: [UInt64] = []

    /// Empty figures.
    public init() {}

    /// Adds `rocksdb.levelstats` text (`Level Files Size(MB)` rows) to ``sstBytesByLevel``.
    mutating func addLevelStatistics(_ text: String) {
        for line in text.split(separator: "\n") {
            let cells = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cells.count == 3, let level = Int(cells[0]), (0..<64).contains(level),
                  let megabytes = Double(cells[2]), megabytes >= 0, megabytes < 1e12 else { continue }
            while sstBytesByLevel.count <= level { sstBytesByLevel.append(0) }
            sstBytesByLevel[level] += UInt64(megabytes * 1_048_576)  // checked: 0 <= megabytes < 1e12
        }
    }
}

extension DocumentStore {
    /// The storage engine's figures, read now (a few property reads per key space).
    public var storageFigures: EngineFigures {
        var figures = EngineFigures()
        // The names are RocksDB's; an engine that knows none of them reports zeros.
        guard let engine = storage as? any StorageFigures else { return figures }
        for name in (try? storage.keySpaceNames) ?? [] {
            guard let keySpace = try? storage.existingKeySpace(named: name) else { continue }
            func read(_ property: String) -> UInt64 { engine.integerProperty(property, of: keySpace) ?? 0 }
            figures.memtableBytes += read("rocksdb.cur-size-all-mem-tables")
            figures.pendingCompactionBytes += read("rocksdb.estimate-pending-compaction-bytes")
            figures.writeStoppedKeySpaces += read("rocksdb.is-write-stopped")
            figures.delayedWriteRate = max(figures.delayedWriteRate, read("rocksdb.actual-delayed-write-rate"))
            if let levels = engine.property("rocksdb.levelstats", of: keySpace) { figures.addLevelStatistics(levels) }
        }
        // One block cache is shared by every key space: read it once.
        figures.blockCacheUsage = engine.integerProperty("rocksdb.block-cache-usage", of: nil) ?? 0
        figures.blockCacheCapacity = engine.integerProperty("rocksdb.block-cache-capacity", of: nil) ?? 0
        if let statistics = engine.statistics() {
            figures.blockCacheHits = statistics["rocksdb.block.cache.hit"]
            figures.blockCacheMisses = statistics["rocksdb.block.cache.miss"]
        }
        return figures
    }
}
