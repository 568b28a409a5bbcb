// Random reads for `$sample`: the first record at or after a random point of the `_id` key
// range, found by one seek, so picking a few random documents never scans the collection.
// Knows nothing of pipelines; the query layer decides when to use it.

public import BSON
internal import Storage

extension DocumentCollection {
    /// The smallest and largest record keys (encoded `_id`s), or nil when empty.
    public func keyRange() throws(MongoError) -> (first: [UInt8], last: [UInt8])? {
        guard let collection = store.catalog.openCollection(namespace) else { return nil }
        var first: [UInt8]?
        var last: [UInt8]?
        if let transaction {
            try transaction.forEachStored(in: collection, namespace: namespace) { key, _ in
                if first == nil { first = key }
                last = key
                return true
            }
            guard let first, let last else { return nil }
            return (first, last)
        }
        do {
            try store.storage.scan(.all, in: collection.keySpace, direction: .forward) { key, _ in
                first = Array(key)
                return .stop
            }
            try store.storage.scan(.all, in: collection.keySpace, direction: .reverse) { key, _ in
                last = Array(key)
                return .stop
            }
        } catch let error as StorageError where error.code == .keySpaceDropped {
            return nil
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
        guard let first, let last else { return nil }
        return (first, last)
    }

    /// The key and document of the first record whose key is at or after `key`, or nil.
    public func document(atOrAfter key: [UInt8]) throws(MongoError) -> (key: [UInt8], document: BSONDocument)? {
        guard let collection = store.catalog.openCollection(namespace) else { return nil }
        var found: (key: [UInt8], value: [UInt8])?
        if let transaction {
            try transaction.forEachStored(in: collection, namespace: namespace, from: key) { key, value in
                found = (key, value)
                return false
            }
            guard let found else { return nil }
            return (found.key, try decode(found.value, decoder: RecordDecoder(registry: store.shapes)))
        }
        do {
            try store.storage.scan(KeyRange(lowerBound: key), in: collection.keySpace) { key, value in
                found = (Array(key), Array(value))
                return .stop
            }
        } catch let error as StorageError where error.code == .keySpaceDropped {
            return nil
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
        guard let found else { return nil }
        return (found.key, try decode(found.value, decoder: RecordDecoder(registry: store.shapes)))
    }
}
