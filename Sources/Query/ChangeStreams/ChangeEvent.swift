// ChangeEvent: turns one change log entry into the change stream events MongoDB reports for
// it — insert, update, replace, delete, drop, rename, dropDatabase and the invalidate that
// ends a stream whose collection or database went away — with their pre- and post-images;
// with `showExpandedEvents`, also create (of collections and views), createIndexes,
// dropIndexes and modify, and every event's `collectionUUID`, as mongod 8.0 reports them.

import BSON
import Documents

/// Builds change stream events from change log entries for one stream.
struct ChangeEventBuilder {
    let spec: ChangeStreamSpec
    let engine: QueryEngine

    /// The events `entry` produces for this stream, in order (none if out of scope); an
    /// `invalidate` is always last.
    func events(for entry: ChangeLogEntry) throws(MongoError) -> [BSONDocument] {
        guard spec.scope.contains(database: entry.database, collection: entry.collection) else { return [] }
        var event: BSONDocument = [
            "_id": .document(ResumeToken(sequence: entry.sequence).document),
            "operationType": .string(operationType(entry.operation)),
            "clusterTime": .timestamp(ClusterTime.timestamp(ofSequence: entry.sequence)),
            "wallTime": .datetime(entry.wallTime),
        ]
        if spec.showExpandedEvents, entry.operation != .dropDatabase, let id = entry.collectionID {
            event.append("collectionUUID", .binary(CollectionDescription.uuid(ofID: id)))
        }
        var invalidates = false
        switch entry.operation {
        case .insert:
            event.append("fullDocument", entry.document.map { .document($0) } ?? .null)
            event.append("ns", namespace(entry))
            event.append("documentKey", .document(["_id": entry.documentKey ?? .null]))
        case .replace:
            event.append("fullDocument", entry.document.map { .document($0) } ?? .null)
            event.append("ns", namespace(entry))
            event.append("documentKey", .document(["_id": entry.documentKey ?? .null]))
            try appendPreImage(entry, to: &event)
        case .update:
            event.append("ns", namespace(entry))
            event.append("documentKey", .document(["_id": entry.documentKey ?? .null]))
            var description = entry.document ?? BSONDocument()
            if description["removedFields"] == nil { description.append("removedFields", .array([])) }
            if description["truncatedArrays"] == nil { description.append("truncatedArrays", .array([])) }
            if spec.showExpandedEvents {
                var shape = BSONDocument()
                if let preImage = entry.preImage {
                    shape = UpdateDescriptionApplier.apply(description, to: preImage)
                } else if let current = try currentDocument(entry) {
                    shape = current
                }
                description.append("disambiguatedPaths", .document(DisambiguatedPaths.of(description, in: shape)))
            }
            event.append("updateDescription", .document(description))
            if let postImage = try postImage(entry, description: description) {
                event.append("fullDocument", postImage)
            }
            try appendPreImage(entry, to: &event)
        case .delete:
            event.append("ns", namespace(entry))
            event.append("documentKey", .document(["_id": entry.documentKey ?? .null]))
            try appendPreImage(entry, to: &event)
        case .drop:
            event.append("ns", namespace(entry))
            invalidates = spec.scope == .collection(try collectionNamespace(entry))
        case .rename:
            event.append("ns", namespace(entry))
            if case let .string(target)? = entry.document?["to"], let dot = target.firstIndex(of: ".") {
                let to: BSONDocument = [
                    "db": .string(String(target[..<dot])), "coll": .string(String(target[target.index(after: dot)...])),
                ]
                event.append("to", .document(to))
                if spec.showExpandedEvents {
                    var description: BSONDocument = ["to": .document(to)]
                    if let dropped = entry.document?["dropTarget"] { description.append("dropTarget", dropped) }
                    event.append("operationDescription", .document(description))
                }
            }
            invalidates = spec.scope == .collection(try collectionNamespace(entry))
        case .dropDatabase:
            // A collection's stream already ended with its collection's drop.
            if case .collection = spec.scope { return [] }
            event.append("ns", .document(["db": .string(entry.database)]))
            invalidates = spec.scope == .database(entry.database)
        case .create:
            guard spec.showExpandedEvents else { return [] }
            event.append("ns", namespace(entry))
            event.append("operationDescription", .document(Self.createDescription(entry.document ?? BSONDocument())))
        case .createIndex, .dropIndex:
            guard spec.showExpandedEvents else { return [] }
            event.append("ns", namespace(entry))
            event.append("operationDescription", .document(["indexes": .array([.document(Self.indexSpec(entry.document))])]))
        case .modify:
            guard spec.showExpandedEvents else { return [] }
            event.append("ns", namespace(entry))
            event.append("operationDescription", entry.document?["operationDescription"] ?? .document(BSONDocument()))
            if let before = entry.document?["stateBeforeChange"] { event.append("stateBeforeChange", before) }
        }
        guard invalidates else { return [event] }
        let invalidate: BSONDocument = [
            "_id": .document(ResumeToken(sequence: entry.sequence, isInvalidate: true).document),
            "operationType": "invalidate",
            "clusterTime": .timestamp(ClusterTime.timestamp(ofSequence: entry.sequence)),
            "wallTime": .datetime(entry.wallTime),
        ]
        return [event, invalidate]
    }

    /// A create event's `operationDescription`: a view's `{viewOn, pipeline}` (and
    /// collation), or a collection's options with its `idIndex` first, as mongod 8.0 shows.
    static func createDescription(_ logged: BSONDocument) -> BSONDocument {
        if logged["viewOn"] != nil { return logged }
        var idIndex: BSONDocument = ["v": .int32(2), "key": .document(["_id": .int32(1)]), "name": .string("_id_")]
        if let collation = logged["collation"] { idIndex.append("collation", collation) }
        var description: BSONDocument = ["idIndex": .document(idIndex)]
        for element in logged { description.append(element.key, element.value) }
        return description
    }

    /// An index as createIndexes and dropIndexes events list it: `{v, key, name,
    /// ...options}` from the logged `{name, key, options}`.
    static func indexSpec(_ logged: BSONDocument?) -> BSONDocument {
        let options = logged?["options"]?.documentValue ?? BSONDocument()
        var spec: BSONDocument = ["v": options["v"] ?? .int32(2)]
        if let key = logged?["key"] { spec.append("key", key) }
        if let name = logged?["name"] { spec.append("name", name) }
        for element in options where element.key != "v" { spec.append(element.key, element.value) }
        return spec
    }

    private func operationType(_ operation: ChangeLogEntry.Operation) -> String {
        switch operation {
        case .createIndex: "createIndexes"
        case .dropIndex: "dropIndexes"
        default: operation.rawValue
        }
    }

    private func namespace(_ entry: ChangeLogEntry) -> BSONValue {
        guard let collection = entry.collection else { return .document(["db": .string(entry.database)]) }
        return .document(["db": .string(entry.database), "coll": .string(collection)])
    }

    private func collectionNamespace(_ entry: ChangeLogEntry) throws(MongoError) -> Namespace {
        try Namespace(database: entry.database, collection: entry.collection ?? "")
    }

    /// `fullDocument` of an update event, per the stream's mode (`nil`: leave it out).
    private func postImage(_ entry: ChangeLogEntry, description: BSONDocument) throws(MongoError) -> BSONValue? {
        switch spec.fullDocument {
        case .default, .off:
            return nil
        case .updateLookup:
            return try currentDocument(entry).map { .document($0) } ?? .null
        case .whenAvailable, .required:
            // The post-image is the stored pre-image with the update applied.
            if let preImage = entry.preImage {
                return .document(UpdateDescriptionApplier.apply(description, to: preImage))
            }
            guard spec.fullDocument == .whenAvailable else {
                throw MongoError(.noMatchingDocument,
                                 "Change stream was configured to require a post-image for all update, delete and replace events, but the post-image was not found for event: \(entry.namespace) \(entry.documentKey?.extendedJSON() ?? "")")
            }
            return .null
        }
    }

    private func appendPreImage(_ entry: ChangeLogEntry, to event: inout BSONDocument) throws(MongoError) {
        switch spec.fullDocumentBeforeChange {
        case .off, .default, .updateLookup:
            return
        case .whenAvailable:
            event.append("fullDocumentBeforeChange", entry.preImage.map { .document($0) } ?? .null)
        case .required:
            guard let preImage = entry.preImage else {
                throw MongoError(.noMatchingDocument,
                                 "Change stream was configured to require a pre-image for all update, delete and replace events, but the pre-image was not found for event: \(entry.namespace) \(entry.documentKey?.extendedJSON() ?? "")")
            }
            event.append("fullDocumentBeforeChange", .document(preImage))
        }
    }

    private func currentDocument(_ entry: ChangeLogEntry) throws(MongoError) -> BSONDocument? {
        guard let collection = entry.collection, let id = entry.documentKey else { return nil }
        return try engine.store.collection(collection, in: entry.database).document(withID: id)
    }
}

/// Applies an update description (dotted paths, array indexes) to a document.
enum UpdateDescriptionApplier {
    static func apply(_ description: BSONDocument, to document: BSONDocument) -> BSONDocument {
        var root = BSONValue.document(document)
        for element in description["updatedFields"]?.documentValue ?? BSONDocument() {
            set(&root, path: element.key.split(separator: ".").map(String.init)[...], to: element.value)
        }
        for case let .string(path) in description["removedFields"]?.arrayValue ?? [] {
            remove(&root, path: path.split(separator: ".").map(String.init)[...])
        }
        for case let .document(truncated) in description["truncatedArrays"]?.arrayValue ?? [] {
            guard case let .string(path)? = truncated["field"], let size = truncated["newSize"]?.int64Value else { continue }
            truncate(&root, path: path.split(separator: ".").map(String.init)[...], to: Int(size))
        }
        return root.documentValue ?? document
    }

    private static func set(_ value: inout BSONValue, path: ArraySlice<String>, to newValue: BSONValue) {
        guard let first = path.first else { value = newValue; return }
        switch value {
        case var .document(document):
            var child = document[first] ?? .document(BSONDocument())
            set(&child, path: path.dropFirst(), to: newValue)
            document[first] = child
            value = .document(document)
        case var .array(elements):
            guard let index = Int(first), index >= 0 else { return }
            while elements.count <= index { elements.append(.null) }
            set(&elements[index], path: path.dropFirst(), to: newValue)
            value = .array(elements)
        default:
            return
        }
    }

    private static func remove(_ value: inout BSONValue, path: ArraySlice<String>) {
        guard let first = path.first else { return }
        switch value {
        case var .document(document):
            if path.count == 1 {
                document[first] = nil
            } else if var child = document[first] {
                remove(&child, path: path.dropFirst())
                document[first] = child
            }
            value = .document(document)
        case var .array(elements):
            guard let index = Int(first), index >= 0, index < elements.count, path.count > 1 else { return }
            remove(&elements[index], path: path.dropFirst())
            value = .array(elements)
        default:
            return
        }
    }

    private static func truncate(_ value: inout BSONValue, path: ArraySlice<String>, to size: Int) {
        guard let first = path.first else {
            if case let .array(elements) = value { value = .array(Array(elements.prefix(size))) }
            return
        }
        switch value {
        case var .document(document):
            guard var child = document[first] else { return }
            truncate(&child, path: path.dropFirst(), to: size)
            document[first] = child
            value = .document(document)
        case var .array(elements):
            guard let index = Int(first), index >= 0, index < elements.count else { return }
            truncate(&elements[index], path: path.dropFirst(), to: size)
            value = .array(elements)
        default:
            return
        }
    }
}
