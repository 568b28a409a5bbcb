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

    /// The size facts of `description`'s collection, from a scan of its documents (stopped
    /// by `interrupt`).
    public func statistics(of description: CollectionDescription,
                           interrupt: OperationInterrupt = .none) throws(MongoError) -> CollectionStatistics {
        var count = 0
        var size = 0
        try store.collection(description.namespace).forEachDocument(interrupt: interrupt) { (document) throws(MongoError) -> Bool in
            count += 1
            size += BSONSize.of(document)
            return true
        }
        return CollectionStatistics(count: count, size: size, indexes: description.indexes)
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

    /// Equal when every figure is.
    public static func == (lhs: CollectionStatistics, rhs: CollectionStatistics) -> Bool {
        lhs.count == rhs.count && lhs.size == rhs.size && lhs.indexCount == rhs.indexCount
            && lhs.totalIndexSize == rhs.totalIndexSize
            && lhs.indexSizes.elementsEqual(rhs.indexSizes) { $0.name == $1.name && $0.bytes == $1.bytes }
    }
}
