// QueryEngine's catalog listing: databases, collections with their options and indexes,
// disk usage, and the size facts collStats, dbStats and listDatabases report. Reads only;
// the DDL that changes the catalog is QueryEngine+DDL.swift.

public import BSON
public import Documents

extension QueryEngine {
    /// The names of the databases that hold at least one collection, in order.
    public var databaseNames: [String] {
        store.catalog.databaseNames
    }

    /// The collections of `database`, in name order.
    public func collections(in database: String) -> [CollectionDescription] {
        store.catalog.collections(in: database)
    }

    /// The collection at `namespace` as the catalog has it now; nil when it does not exist.
    public func collectionDescription(_ namespace: Namespace) -> CollectionDescription? {
        store.catalog.collection(namespace)
    }

    /// The indexes of the collection at `namespace`, `_id_` first; nil when it does not exist.
    public func indexes(of namespace: Namespace) -> [IndexDescription]? {
        store.catalog.collection(namespace)?.indexes
    }

    /// Bytes of every file in the data directory.
    public func diskUsage() throws(MongoError) -> UInt64 {
        try store.diskUsage()
    }

    /// mongod's own databases that hold what Tessera keeps outside collections, with their
    /// bytes, when they hold any: `config` (retryable-write records, mongod's
    /// `config.transactions`) and `local` (the change log, mongod's `local.oplog.rs`).
    public func internalDatabaseSizes() throws(MongoError) -> [(name: String, bytes: Int)] {
        var sizes: [(name: String, bytes: Int)] = []
        let sessions = try store.retryableWriteRecordSize()
        if sessions.records > 0 { sizes.append(("config", sessions.bytes)) }
        let changes = try store.changeLogSize()
        if changes.records > 0 { sizes.append(("local", changes.bytes)) }
        return sizes
    }

    /// The databases listDatabases lists, in name order: those with a collection and, as
    /// mongod lists its own, `config` and `local` when they hold data (``internalDatabaseSizes()``),
    /// with their bytes in `internalBytes`. The server's command and the embedded API's
    /// `listDatabases` both list these, so the two answers agree.
    public func listedDatabases() throws(MongoError) -> (names: [String], internalBytes: [String: Int]) {
        let catalogNames = databaseNames
        var internalBytes: [String: Int] = [:]
        for (name, bytes) in try internalDatabaseSizes() where !catalogNames.contains(name) {
            internalBytes[name] = bytes
        }
        let names = (catalogNames + internalBytes.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return (names, internalBytes)
    }

    /// The databases ``listedDatabases()`` lists with the `sizeOnDisk` listDatabases reports,
    /// and the store's total: the store's disk usage shared out by estimated document count
    /// (it keeps no per-database files), `config`'s and `local`'s the bytes of their records,
    /// never below 4 KiB (mongod's smallest). The server's command and the embedded API both
    /// report these. Overflow-free whatever the sizes (the share is computed full width).
    public func sizedDatabases() throws(MongoError) -> (databases: [(name: String, sizeOnDisk: Int64)], totalSize: Int64) {
        let (names, internalBytes) = try listedDatabases()
        var counts: [Int64] = []
        var totalDocuments: Int64 = 0
        for name in names {
            var count: Int64 = 0
            for collection in collections(in: name) {
                count = Self.saturatingSum(count, Int64(clamping: try self.collection(collection.namespace).estimatedDocumentCount()))
            }
            counts.append(count)
            totalDocuments = Self.saturatingSum(totalDocuments, count)
        }
        let totalSize = Int64(clamping: try diskUsage())
        let databases = zip(names, counts).map { name, documents -> (name: String, sizeOnDisk: Int64) in
            // documents ≤ totalDocuments, so the quotient fits (it is at most totalSize).
            let share = totalDocuments == 0 ? 0
                : totalDocuments.dividingFullWidth(totalSize.multipliedFullWidth(by: min(documents, totalDocuments))).quotient
            return (name, max(internalBytes[name].map { Int64(clamping: $0) } ?? share, 4096))
        }
        return (databases, totalSize)
    }

    private static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// The size facts of `description`'s collection, from a scan of its documents (stopped
    /// by `interrupt`).
    public func statistics(of description: CollectionDescription,
                           interrupt: OperationInterrupt = .none) throws(MongoError) -> CollectionStatistics {
        try CollectionStatistics(scanning: store.collection(description.namespace), indexes: description.indexes,
                                 interrupt: interrupt)
    }
}

/// A collection's size facts: documents, their encoded bytes, and estimated index sizes.
public struct CollectionStatistics: Sendable, Equatable {
    /// The number of documents.
    public let count: Int
    /// Their total encoded BSON size in bytes.
    public let size: Int
    /// The number of indexes.
    public let indexCount: Int
    /// Each index's estimated size in bytes, by name, in the catalog's order.
    public let indexSizes: [(name: String, bytes: Int)]
    /// The sum of ``indexSizes``.
    public let totalIndexSize: Int

    /// Statistics of `count` documents of `size` bytes with `indexes`. The store keeps no
    /// per-index size; each entry is estimated as its key fields plus the `_id` key, 16
    /// bytes per field.
    init(count: Int, size: Int, indexes: [IndexDescription]) {
        self.count = count
        self.size = size
        indexCount = indexes.count
        indexSizes = indexes.map { (name: $0.name, bytes: count * 16 * ($0.key.count + 1)) }
        totalIndexSize = indexSizes.reduce(0) { $0 + $1.bytes }
    }

    /// The figures collStats and `$collStats`' `storageStats` report, in bytes divided by
    /// `scale` (at least 1), with a capped collection's `capped: true`, `maxSize` and `max`.
    public func storageStats(scale: Int, capped limits: CappedLimits?) -> BSONDocument {
        let scale = max(scale, 1)
        var indexSizes = BSONDocument()
        for index in self.indexSizes { indexSizes.append(index.name, .int64(Int64(index.bytes / scale))) }
        var stats: BSONDocument = [
            "size": .int64(Int64(size / scale)),
            "count": .int64(Int64(count)),
            "avgObjSize": .int64(Int64(count == 0 ? 0 : size / count)),
            "storageSize": .int64(Int64(size / scale)),
            "freeStorageSize": .int64(0),
            "capped": .bool(limits != nil),
        ]
        if let limits {
            if let maximum = limits.maximumDocuments { stats.append("max", .int64(Int64(maximum))) }
            stats.append("maxSize", .int64(Int64(limits.maximumBytes / scale)))
        }
        stats.append("nindexes", .int32(Int32(clamping: indexCount)))
        stats.append("indexBuilds", .array([]))
        stats.append("totalIndexSize", .int64(Int64(totalIndexSize / scale)))
        stats.append("totalSize", .int64(Int64((size + totalIndexSize) / scale)))
        stats.append("indexSizes", .document(indexSizes))
        stats.append("scaleFactor", Int32(exactly: scale).map(BSONValue.int32) ?? .int64(Int64(scale)))
        return stats
    }

    /// The statistics of `collection`'s documents, from a scan of them (stopped by
    /// `interrupt`), with `indexes`.
    init(scanning collection: DocumentCollection, indexes: [IndexDescription],
         interrupt: OperationInterrupt = .none) throws(MongoError) {
        var count = 0
        var size = 0
        try collection.forEachDocument(interrupt: interrupt) { (document) throws(MongoError) -> Bool in
            count += 1
            size += BSONSize.of(document)
            return true
        }
        self.init(count: count, size: size, indexes: indexes)
    }

    /// Equal when every figure is.
    public static func == (lhs: CollectionStatistics, rhs: CollectionStatistics) -> Bool {
        lhs.count == rhs.count && lhs.size == rhs.size && lhs.indexCount == rhs.indexCount
            && lhs.totalIndexSize == rhs.totalIndexSize
            && lhs.indexSizes.elementsEqual(rhs.indexSizes) { $0.name == $1.name && $0.bytes == $1.bytes }
    }
}
