// Catalog: the in-memory view of which databases, collections and indexes exist, loaded from
// the catalog key space at open. Owns lookups and the state transitions DocumentStore applies
// after each committed DDL batch; persistence keys are in CatalogEntries.swift.

internal import Synchronization
public import BSON
internal import Storage

/// The databases, collections and indexes of one store, in memory.
///
/// Changed only by DocumentStore, inside its commit section, after the batch recording the
/// change has been written; read from anywhere.
public final class Catalog: Sendable {
    /// The key space holding catalog records.
    static let keySpaceName = "tessera.catalog"

    /// One open collection: its description, the key space with its documents and its
    /// built secondary indexes.
    struct OpenCollection: Sendable {
        var description: CollectionDescription
        let keySpace: any KeySpace
        var indexes: [OpenIndex] = []
        /// Indexes being built: writers maintain them, readers do not see them (IndexBuild).
        var building: [IndexBuild] = []
        /// Insertion order and size account, for a capped collection.
        var capped: CappedOrder?

        /// The description of the index named `name`.
        func index(named name: String) -> IndexDescription? {
            description.indexes.first { $0.name == name }
        }
    }

    struct State: Sendable {
        var databases: Set<String> = []
        var collections: [Namespace: OpenCollection] = [:]
        var nextCollectionID: UInt64 = 1
    }

    private let state: Mutex<State>

    init(_ state: State) {
        self.state = Mutex(state)
    }

    /// The names of databases that exist, sorted.
    public var databaseNames: [String] {
        state.withLock { $0.databases.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    }

    /// The collections of `database`, sorted by name.
    public func collections(in database: String) -> [CollectionDescription] {
        state.withLock { state in
            state.collections.values.map(\.description).filter { $0.namespace.database == database }
        }.sorted { $0.namespace < $1.namespace }
    }

    /// The collection at `namespace`, or `nil` if it does not exist.
    public func collection(_ namespace: Namespace) -> CollectionDescription? {
        state.withLock { $0.collections[namespace]?.description }
    }

    /// Whether `database` exists.
    public func containsDatabase(_ database: String) -> Bool {
        state.withLock { $0.databases.contains(database) }
    }

    func openCollection(_ namespace: Namespace) -> OpenCollection? {
        state.withLock { $0.collections[namespace] }
    }

    func withState<Result>(_ body: (inout State) -> Result) -> Result {
        state.withLock { body(&$0) }
    }

    /// The id the next new collection gets, reserved by advancing the counter.
    func reserveCollectionID() -> UInt64 {
        state.withLock { state in
            let id = state.nextCollectionID
            state.nextCollectionID += 1
            return id
        }
    }
}

// MARK: - Loading

extension Catalog {
    /// What loading the catalog key space produced.
    struct Loaded {
        var state: State
        var shapes: [ShapeDefinition]
    }

    /// Reads every catalog record, opens each collection's and index's key space and drops
    /// collection and index key spaces no record names (left by a crash between creating a
    /// key space and committing its record, or between committing a drop and dropping the key
    /// space, or during an index build). Partial index filters are compiled with `compiler`.
    /// Without `droppingOrphans` (a store other servers share, where an unnamed key space may
    /// be another server's collection or index being created) orphans are left alone.
    static func load(
        storage: any StorageEngine, keySpace: any KeySpace, predicateCompiler compiler: DocumentPredicateCompiler? = nil,
        droppingOrphans: Bool = true
    ) throws(StoreOpenError) -> Loaded {
        var state = State()
        var shapes: [ShapeDefinition] = []
        var collections: [(Namespace, UInt64, BSONDocument)] = []
        var indexes: [UInt64: [IndexDescription]] = [:]
        var storedNextID: UInt64 = 1
        let path = storage.location
        let pairs: [KeyValuePair]
        do {
            pairs = try storage.entries(.all, in: keySpace)
        } catch {
            throw .storage(error)
        }
        for pair in pairs {
            guard let tag = pair.key.first else { continue }
            let rest = pair.key.dropFirst()
            switch tag {
            case CatalogKey.databaseTag:
                state.databases.insert(String(decoding: rest, as: UTF8.self))
            case CatalogKey.collectionTag:
                guard let separator = rest.firstIndex(of: 0),
                      let document = try? BSONDocument(bsonBytes: pair.value),
                      let id = document["id"]?.int64Value, id > 0,
                      let namespace = try? Namespace(database: String(decoding: rest[..<separator], as: UTF8.self),
                                                     collection: String(decoding: rest[(separator + 1)...], as: UTF8.self))
                else {
                    throw .corruptCatalog(path: path, reason: "malformed collection record")
                }
                collections.append((namespace, UInt64(id), document["options"]?.documentValue ?? BSONDocument()))
            case CatalogKey.indexTag:
                guard let id = CatalogKey.uint64(rest.prefix(8)),
                      let document = try? BSONDocument(bsonBytes: pair.value),
                      let index = IndexDescription(document: document)
                else {
                    throw .corruptCatalog(path: path, reason: "malformed index record")
                }
                indexes[id, default: []].append(index)
            case CatalogKey.shapeTag:
                do {
                    shapes.append(try ShapeDefinition(serialized: pair.value))
                } catch {
                    throw .corruptCatalog(path: path, reason: error.description)
                }
            case CatalogKey.nextCollectionID[0]:
                storedNextID = CatalogKey.uint64(pair.value) ?? storedNextID
            default:
                continue
            }
        }
        var nextID = storedNextID
        var known: Set<UInt64> = []
        for (namespace, id, options) in collections {
            let collectionKeySpace: any KeySpace
            do {
                collectionKeySpace = try storage.keySpace(named: CatalogKey.keySpaceName(collection: id))
            } catch {
                throw .storage(error)
            }
            // Index records are keyed by name; show `_id_` first, then creation order is lost,
            // so sort the rest by name for a stable listing.
            var collectionIndexes = indexes[id] ?? []
            collectionIndexes.sort { lhs, rhs in
                if lhs.name == "_id_" || rhs.name == "_id_" { return lhs.name == "_id_" && rhs.name != "_id_" }
                return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
            }
            var openIndexes: [OpenIndex] = []
            for index in collectionIndexes {
                guard let indexID = index.keySpaceID else { continue }
                let indexKeySpace: any KeySpace
                do {
                    indexKeySpace = try storage.keySpace(named: CatalogKey.keySpaceName(index: indexID))
                } catch {
                    throw .storage(error)
                }
                openIndexes.append(OpenIndex(description: index, keySpace: indexKeySpace, compiler: compiler))
                known.insert(indexID)
                nextID = max(nextID, indexID + 1)
            }
            let description = CollectionDescription(namespace: namespace, id: id, options: options, indexes: collectionIndexes)
            var capped: CappedOrder?
            do {
                if let limits = try CappedLimits(options: options) {
                    capped = try CappedOrder.open(limits: limits, collection: id, storage: storage)
                }
            } catch let error as StorageError {
                throw .storage(error)
            } catch {
                throw .corruptCatalog(path: path, reason: "capped collection \(namespace): \(error)")
            }
            state.collections[namespace] = OpenCollection(description: description, keySpace: collectionKeySpace,
                                                          indexes: openIndexes, capped: capped)
            state.databases.insert(namespace.database)
            known.insert(id)
            nextID = max(nextID, id + 1)
        }
        let keySpaceNames: [String]
        do {
            keySpaceNames = try storage.keySpaceNames
        } catch {
            throw .storage(error)
        }
        for name in keySpaceNames {
            guard let id = CatalogKey.collectionID(keySpaceName: name) ?? CatalogKey.indexID(keySpaceName: name),
                  !known.contains(id)
            else { continue }
            nextID = max(nextID, id + 1)
            guard droppingOrphans else { continue }
            // Best effort: a failure leaves the orphan for the next open.
            if let orphan = try? storage.existingKeySpace(named: name) {
                try? storage.dropKeySpace(orphan)
            }
        }
        state.nextCollectionID = nextID
        return Loaded(state: state, shapes: shapes)
    }
}
