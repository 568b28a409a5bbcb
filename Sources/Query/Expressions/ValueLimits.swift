// ValueLimits: the largest string or array an expression may build — MongoDB's 16 MiB user
// object size — checked before the value is built, so `$concat`, `$replaceAll`,
// `$concatArrays` (and `$reduce` built from them) cannot grow memory without bound.

internal import BSON
internal import Documents

/// The bounds on values expressions build.
enum ValueLimits {
    /// MongoDB's `BSONObjMaxUserSize`: 16 MiB.
    static let maxBytes = 16 * 1024 * 1024

    /// Throws when a string of `byteCount` UTF-8 bytes built by `name` would exceed the limit.
    ///
    /// - Throws: `BSONObjectTooLarge` (10334).
    static func checkString(bytes byteCount: Int, _ name: String) throws(MongoError) {
        guard byteCount > maxBytes else { return }
        throw MongoError(.bsonObjectTooLarge,
                         "\(name) would produce a string of \(byteCount) bytes, over the maximum of \(maxBytes) bytes")
    }

    /// Throws when an array of about `byteCount` bytes built by `name` would exceed the limit.
    ///
    /// - Throws: `BSONObjectTooLarge` (10334).
    static func checkArray(bytes byteCount: Int, _ name: String) throws(MongoError) {
        guard byteCount > maxBytes else { return }
        throw MongoError(.bsonObjectTooLarge,
                         "\(name) would produce an array of about \(byteCount) bytes, over the maximum of \(maxBytes) bytes")
    }

    /// About the bytes `value` takes in BSON (the aggregation's memory estimate).
    static func size(of value: BSONValue) -> Int { MemoryBudget.size(of: value) }
}
