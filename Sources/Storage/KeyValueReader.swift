// KeyValueReader: the read half of the storage interface, shared by an engine (latest
// state) and its snapshots (a fixed point in time). Protocol plus the scan loops every
// engine gets for free on top of its cursor (an engine may answer them more directly).

/// Point reads and range scans over the key spaces of one engine.
public protocol KeyValueReader: AnyObject {
    /// The engine's cursor.
    associatedtype Cursor: KeyValueCursor

    /// The value stored under `key` in `keySpace`, or `nil` if there is none.
    func get(_ key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> [UInt8]?

    /// Calls `body` with the bytes stored under `key` in `keySpace` (`nil` if there are
    /// none), valid only during the call: an engine that can lend its own memory (RocksDB's
    /// pinned slices) skips the copy ``get(_:in:)`` makes.
    func withValue<Result>(
        forKey key: [UInt8], in keySpace: any KeySpace, _ body: (UnsafeRawBufferPointer?) -> Result
    ) throws(StorageError) -> Result

    /// An unpositioned cursor over `range` in `keySpace`.
    func makeCursor(over range: KeyRange, in keySpace: any KeySpace) throws(StorageError) -> Cursor

    /// Calls `body` for each entry of `range` in `direction` order until it returns `.stop`.
    /// The buffers are valid only during each call. Storage failures throw `StorageError`;
    /// errors thrown by `body` end the scan and propagate unchanged.
    func scan(
        _ range: KeyRange,
        in keySpace: any KeySpace,
        direction: ScanDirection,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws

    /// Copies of up to `limit` (`nil`: all) entries of `range` in `direction` order.
    func entries(
        _ range: KeyRange, in keySpace: any KeySpace, direction: ScanDirection, limit: Int?
    ) throws(StorageError) -> [KeyValuePair]
}

extension KeyValueReader {
    /// Reads a copy with ``get(_:in:)`` and lends it to `body`; the default for every engine.
    public func withValue<Result>(
        forKey key: [UInt8], in keySpace: any KeySpace, _ body: (UnsafeRawBufferPointer?) -> Result
    ) throws(StorageError) -> Result {
        guard let value = try get(key, in: keySpace) else { return body(nil) }
        return value.withUnsafeBytes { body($0) }
    }

    /// Walks a cursor over `range`; the default for every engine.
    public func scan(
        _ range: KeyRange,
        in keySpace: any KeySpace,
        direction: ScanDirection,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws {
        let cursor = try makeCursor(over: range, in: keySpace)
        try cursor.walk(direction, body)
    }

    /// Copies entries off a cursor over `range`; the default for every engine.
    public func entries(
        _ range: KeyRange, in keySpace: any KeySpace, direction: ScanDirection, limit: Int?
    ) throws(StorageError) -> [KeyValuePair] {
        let cursor = try makeCursor(over: range, in: keySpace)
        return try cursor.collect(direction, limit: limit)
    }

    /// Forward scan of `range`.
    public func scan(
        _ range: KeyRange,
        in keySpace: any KeySpace,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws {
        try scan(range, in: keySpace, direction: .forward, body)
    }

    /// Copies of every entry of `range`, in ascending key order.
    public func entries(_ range: KeyRange, in keySpace: any KeySpace) throws(StorageError) -> [KeyValuePair] {
        try entries(range, in: keySpace, direction: .forward, limit: nil)
    }

    /// Copies of up to `limit` entries of `range`, in ascending key order.
    public func entries(_ range: KeyRange, in keySpace: any KeySpace, limit: Int) throws(StorageError) -> [KeyValuePair] {
        try entries(range, in: keySpace, direction: .forward, limit: limit)
    }

    /// Copies of every entry of `range`, in `direction` order.
    public func entries(
        _ range: KeyRange, in keySpace: any KeySpace, direction: ScanDirection
    ) throws(StorageError) -> [KeyValuePair] {
        try entries(range, in: keySpace, direction: direction, limit: nil)
    }
}

/// A consistent, read-only view of every key space of an engine at one point in time
/// (RocksDB: a snapshot; SQL: a repeatable-read transaction).
///
/// Reads see exactly the writes committed before the snapshot was taken. Release
/// snapshots promptly: engines keep every version a live snapshot can see.
public protocol KeyValueSnapshot: KeyValueReader, Sendable {}
