// CappedOrder: a capped collection's insertion order and size account. Each document gets
// an ordinal; the key space `o.<collection id>` maps big-endian ordinals to the document's
// size and `_id` key, so natural-order scans and oldest-first eviction are range reads.

internal import Synchronization
public import BSON
internal import Storage

/// A capped collection's limits, from its `create` options.
public struct CappedLimits: Sendable, Equatable {
    /// The most bytes (BSON sizes of the documents) the collection holds.
    public var maximumBytes: Int
    /// The most documents it holds, if limited.
    public var maximumDocuments: Int?

    /// The limits `options` (`{capped: true, size, max}`) ask for, or `nil` for a collection
    /// that is not capped. MongoDB rounds `size` up to a multiple of 256.
    ///
    /// - Throws: `InvalidOptions` (72) for `capped` without a positive `size`.
    public init?(options: BSONDocument) throws(MongoError) {
        guard options["capped"]?.boolValue == true else { return nil }
        guard let size = options["size"]?.doubleValue ?? options["size"]?.int64Value.map(Double.init), size > 0 else {
            throw MongoError(.invalidOptions, "the 'size' field is required when 'capped' is true")
        }
        guard size <= 1_125_899_906_842_624 else {
            throw MongoError(.invalidOptions, "Capped collection 'size' is too large: it must be at most 1 PiB")
        }
        maximumBytes = ((ClientNumber.int64(truncating: size).map(ClientNumber.int(clamping:)) ?? 0) + 255) / 256 * 256
        if let max = options["max"].flatMap(ClientNumber.saturatedInteger), max > 0 {
            maximumDocuments = ClientNumber.int(clamping: max)
        }
    }
}

/// The insertion order of one capped collection, shared by every handle to it.
///
/// Its counters change only inside the store's commit section (after the batch is written),
/// so they always describe what is committed.
final class CappedOrder: Sendable {
    struct Account: Sendable, Equatable {
        /// The oldest ordinal still in the order key space.
        var first: UInt64 = 1
        /// The ordinal the next document gets.
        var next: UInt64 = 1
        var documents = 0
        var bytes = 0
    }

    let limits: CappedLimits
    let keySpace: any KeySpace
    private let account: Mutex<Account>

    init(limits: CappedLimits, keySpace: any KeySpace, account: Account) {
        self.limits = limits
        self.keySpace = keySpace
        self.account = Mutex(account)
    }

    /// The name of collection `id`'s order key space.
    static func keySpaceName(collection id: UInt64) -> String {
        "o.\(id)"
    }

    /// Opens the order of a capped collection, rebuilding its account from the key space.
    static func open(limits: CappedLimits, collection id: UInt64, storage: any StorageEngine) throws(StorageError) -> CappedOrder {
        let keySpace = try storage.keySpace(named: keySpaceName(collection: id))
        return CappedOrder(limits: limits, keySpace: keySpace, account: try account(of: keySpace, storage: storage))
    }

    /// The account the order key space `keySpace` describes (one scan of it).
    private static func account(of keySpace: any KeySpace, storage: any StorageEngine) throws(StorageError) -> Account {
        var account = Account()
        var first: UInt64?
        do {
            try storage.scan(.all, in: keySpace) { key, value in
                guard let ordinal = CatalogKey.uint64(key), let entry = Entry(Array(value)) else { return .continue }
                if first == nil { first = ordinal }
                account.next = ordinal + 1
                account.documents += 1
                account.bytes += entry.size
                return .continue
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.iterate, path: nil, status: "\(error)", code: .unknown)
        }
        account.first = first ?? account.next
        return account
    }

    /// The committed account on a store several servers share, where another server may have
    /// inserted into (and evicted from) the collection since this one's account was made:
    /// when the key space's newest ordinal is not the one the account ends at, the account
    /// is rebuilt from the key space. One reverse seek when nothing changed; run it holding
    /// the database commit lock, so nobody changes the order meanwhile.
    func sharedCurrent(storage: any StorageEngine) throws(StorageError) -> Account {
        let account = current
        let newest = try storage.entries(.all, in: keySpace, direction: .reverse, limit: 1).first
            .flatMap { CatalogKey.uint64($0.key) }
        let expected: UInt64? = account.first < account.next ? account.next - 1 : nil
        guard newest != expected else { return account }
        let rebuilt = try Self.account(of: keySpace, storage: storage)
        replace(rebuilt)
        return rebuilt
    }

    /// The committed account.
    var current: Account { account.withLock { $0 } }

    func replace(_ new: Account) {
        account.withLock { $0 = new }
    }

    /// One order entry: the document's BSON size and its `_id` key.
    struct Entry {
        let size: Int
        let idKey: [UInt8]

        init(size: Int, idKey: [UInt8]) {
            self.size = size
            self.idKey = idKey
        }

        init?(_ bytes: [UInt8]) {
            guard bytes.count >= 4 else { return nil }
            size = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            idKey = Array(bytes[4...])
        }

        var bytes: [UInt8] {
            let size = UInt32(clamping: self.size)
            return [UInt8(size >> 24), UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 8),
                    UInt8(truncatingIfNeeded: size)] + idKey
        }
    }

    static func key(_ ordinal: UInt64) -> [UInt8] {
        ChangeLogEntry.key(ordinal)
    }
}

extension DocumentCollection {
    /// The collection's capped limits, or `nil` when it is not capped (or does not exist).
    public var cappedLimits: CappedLimits? {
        store.catalog.openCollection(namespace)?.capped?.limits
    }

    /// How many documents and bytes a capped collection holds by its account (`nil` when not
    /// capped). Documents deleted by a user stay in the account until their turn to be evicted.
    public var cappedUsage: (documents: Int, bytes: Int)? {
        guard let account = store.catalog.openCollection(namespace)?.capped?.current else { return nil }
        return (account.documents, account.bytes)
    }

    /// Up to `limit` documents of a capped collection in insertion order, starting after
    /// position `ordinal` (0: from the oldest), each with its position.
    ///
    /// - Throws: `CappedPositionLost` (136) when the document at `ordinal` has already been
    ///   evicted (a tailable cursor fell behind: as in mongod, losing the record the cursor
    ///   stands on loses its position, even when the next one is still there); `BadValue` for
    ///   a collection that is not capped.
    public func naturalOrder(after ordinal: UInt64, limit: Int) throws(MongoError) -> [(position: UInt64, document: BSONDocument)] {
        guard let open = store.catalog.openCollection(namespace) else { return [] }
        guard let capped = open.capped else { throw MongoError(.badValue, "\(namespace) is not a capped collection") }
        let account = capped.current
        if ordinal > 0 && ordinal < account.first {
            throw MongoError(.cappedPositionLost,
                             "CollectionScan died due to position in capped collection being deleted.")
        }
        var result: [(UInt64, BSONDocument)] = []
        let decoder = RecordDecoder(registry: store.shapes)
        var failure: MongoError?
        do {
            try store.storage.scan(KeyRange(lowerBound: CappedOrder.key(ordinal + 1)), in: capped.keySpace) { key, value in
                guard let position = CatalogKey.uint64(key), let entry = CappedOrder.Entry(Array(value)) else { return .continue }
                do throws(MongoError) {
                    guard let stored = try read({ () throws(StorageError) in
                        try store.storage.get(entry.idKey, in: open.keySpace)
                    }) else { return .continue }
                    result.append((position, try decode(stored, decoder: decoder)))
                } catch {
                    failure = error
                    return .stop
                }
                return result.count < limit ? .continue : .stop
            }
        } catch let error as StorageError where error.code == .keySpaceDropped {
            return []
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
        if let failure { throw failure }
        return result
    }

    /// The position of the newest document of a capped collection (0 when empty or not capped).
    public var newestCappedPosition: UInt64 {
        (store.catalog.openCollection(namespace)?.capped?.current.next ?? 1) - 1
    }

    /// Inside an insert's commit: gives each new document an ordinal and evicts the oldest
    /// documents (with their index entries, each logged as a delete) until the collection
    /// fits its limits again. Returns the account to install once the batch is written.
    func admit(
        _ documents: [PreparedDocument], into capped: CappedOrder, collection: Catalog.OpenCollection,
        indexes: IndexMaintenance, pending: PendingCommit
    ) throws(MongoError) -> CappedOrder.Account {
        var account = capped.current
        if store.isShared {
            do {
                account = try capped.sharedCurrent(storage: store.storage)
            } catch {
                throw .storage(error)
            }
        }
        for document in documents {
            let size = try bson(document.document).count
            pending.batch.put(CappedOrder.key(account.next), CappedOrder.Entry(size: size, idKey: document.key).bytes,
                              in: capped.keySpace)
            account.next += 1
            account.documents += 1
            account.bytes += size
        }
        let fresh = account.next - UInt64(documents.count)
        let decoder = RecordDecoder(registry: store.shapes)
        while account.documents > 1 && (account.bytes > capped.limits.maximumBytes
            || capped.limits.maximumDocuments.map { account.documents > $0 } ?? false) {
            guard account.first < fresh else {
                throw MongoError(.badValue, "an insert into capped collection \(namespace) is larger than the collection")
            }
            let orderKey = CappedOrder.key(account.first)
            let stored = try read({ () throws(StorageError) in try store.storage.get(orderKey, in: capped.keySpace) })
            account.first += 1
            guard let stored, let entry = CappedOrder.Entry(stored) else { continue }
            pending.batch.delete(orderKey, in: capped.keySpace)
            account.documents -= 1
            account.bytes -= entry.size
            guard let record = try read({ () throws(StorageError) in try store.storage.get(entry.idKey, in: collection.keySpace) })
            else { continue }
            let old = try decode(record, decoder: decoder)
            if !indexes.isEmpty { try indexes.delete(old, idKey: entry.idKey) }
            pending.batch.delete(entry.idKey, in: collection.keySpace)
            try pending.log(.delete, database: namespace.database, collection: namespace.collection,
                            documentKey: old["_id"] ?? .null, collectionID: collection.description.id)
        }
        return account
    }
}
