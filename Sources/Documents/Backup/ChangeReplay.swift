// ChangeReplay: redoes change log entries on a store, in order, through the store's own write
// paths (so indexes, shapes and capped bounds are maintained as they were the first time).
// Used by point-in-time restores; needs entries read with post-images (updates' new versions).

internal import BSON

/// Applies logged changes to a store.
enum ChangeReplay {
    /// Redoes `entry` on `store`, which must be in the state the source store had just before
    /// the entry committed.
    ///
    /// - Throws: `InternalError` for an entry that cannot be redone (an update logged before
    ///   updates carried their new version, a malformed entry) or that does not fit the store
    ///   (a replaced document missing); the store's own errors otherwise.
    static func apply(_ entry: ChangeLogEntry, to store: DocumentStore) throws(MongoError) {
        switch entry.operation {
        case .insert:
            _ = try store.collection(namespace(of: entry)).insert(try required(entry.document, "a document", entry))
        case .replace:
            try replace(entry, with: try required(entry.document, "a document", entry), in: store)
        case .update:
            if let postImage = entry.postImage {
                try replace(entry, with: postImage, in: store)
            } else if entry.updatedFieldsRedo {
                try redoUpdatedFields(entry, in: store)
            } else {
                throw unreplayable(entry, "has no new version (it was logged before Tessera kept one)")
            }
        case .delete:
            // False when a capped collection's insert, redone just before, evicted it already.
            _ = try store.collection(namespace(of: entry)).delete(id: try required(entry.documentKey, "a document key", entry))
        case .create:
            // A view's creation is its `system.views` insert, redone as such.
            guard entry.document?["viewOn"] == nil else { return }
            try store.createCollection(namespace(of: entry), options: entry.document ?? BSONDocument())
        case .drop:
            try store.dropCollection(namespace(of: entry))
        case .dropDatabase:
            _ = try store.dropDatabase(entry.database)
        case .createIndex:
            let description = try required(entry.document, "an index description", entry)
            guard case let .document(key)? = description["key"], case let .string(name)? = description["name"] else {
                throw unreplayable(entry, "has a malformed index description")
            }
            try store.createIndex(on: namespace(of: entry), key: key, name: name,
                                  options: description["options"]?.documentValue ?? BSONDocument())
        case .dropIndex:
            guard case let .string(name)? = entry.document?["name"] else {
                throw unreplayable(entry, "names no index")
            }
            try store.dropIndex(name, on: namespace(of: entry))
        case .rename:
            guard case let .string(target)? = entry.document?["to"], let dot = target.firstIndex(of: ".") else {
                throw unreplayable(entry, "names no target")
            }
            let to = try Namespace(database: String(target[..<dot]), collection: String(target[target.index(after: dot)...]))
            // A dropped target was logged (and is redone) as its own `drop` entry first.
            try store.renameCollection(namespace(of: entry), to: to, dropTarget: false)
        case .modify:
            // What change streams report of a collMod; the option changes are catalog
            // records, which a restore does not redo from the log.
            return
        }
    }

    /// Sets the entry's `updatedFields` on the current version, in order: each dotted path
    /// leads through existing embedded documents; its last name is replaced in place or, when
    /// new, appended (what the delta planner did).
    private static func redoUpdatedFields(_ entry: ChangeLogEntry, in store: DocumentStore) throws(MongoError) {
        guard case let .document(updated)? = entry.document?["updatedFields"] else {
            throw unreplayable(entry, "has no updatedFields")
        }
        let id = try required(entry.documentKey, "a document key", entry)
        let collection = store.collection(try namespace(of: entry))
        guard var document = try collection.document(withID: id) else {
            throw unreplayable(entry, "changes a document the restored store does not have")
        }
        for element in updated {
            let path = element.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard set(element.value, at: path[...], in: &document) else {
                throw unreplayable(entry, "sets \(element.key), which does not lead through embedded documents")
            }
        }
        try replace(entry, with: document, in: store)
    }

    /// Sets `value` at `path` in `document`; false when a component before the last is not
    /// an embedded document.
    private static func set(_ value: BSONValue, at path: ArraySlice<String>, in document: inout BSONDocument) -> Bool {
        guard let name = path.first else { return false }
        if path.count == 1 {
            document[name] = value
            return true
        }
        guard case var .document(inner)? = document[name] else { return false }
        guard set(value, at: path.dropFirst(), in: &inner) else { return false }
        document[name] = .document(inner)
        return true
    }

    private static func replace(_ entry: ChangeLogEntry, with document: BSONDocument, in store: DocumentStore) throws(MongoError) {
        let id = try required(entry.documentKey, "a document key", entry)
        guard try store.collection(namespace(of: entry)).replace(id: id, with: document) else {
            throw unreplayable(entry, "changes a document the restored store does not have")
        }
    }

    private static func namespace(of entry: ChangeLogEntry) throws(MongoError) -> Namespace {
        guard let collection = entry.collection else { throw unreplayable(entry, "names no collection") }
        return try Namespace(database: entry.database, collection: collection)
    }

    private static func required<Value>(_ value: Value?, _ what: String, _ entry: ChangeLogEntry) throws(MongoError) -> Value {
        guard let value else { throw unreplayable(entry, "has no \(what)") }
        return value
    }

    private static func unreplayable(_ entry: ChangeLogEntry, _ problem: String) -> MongoError {
        MongoError(.internalError, "change log entry \(entry.sequence) (\(entry.operation.rawValue) on \(entry.namespace)) \(problem)")
    }
}
