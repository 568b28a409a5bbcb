// KeyValueReader: the read half of the storage interface, shared by a store (latest
// state) and its snapshots (a fixed point in time). Protocol plus the scan loops every
// backend gets for free on top of its cursor.

/// Point reads and range scans over named key spaces.
public protocol KeyValueReader {
    /// A handle to one key space (a RocksDB column family, a SQL table, ...).
    associatedtype KeySpace
    /// The backend's cursor.
    associatedtype Cursor: KeyValueCursor

    /// The value stored under `key` in `keySpace`, or `nil` if there is none.
    func get(_ key: [UInt8], in keySpace: KeySpace) throws(StorageError) -> [UInt8]?

    /// An unpositioned cursor over `range` in `keySpace`.
    func makeCursor(over range: KeyRange, in keySpace: KeySpace) throws(StorageError) -> Cursor

    /// Calls `body` for each entry of `range` in `direction` order until it returns `.stop`.
    /// The buffers are valid only during each call. Storage failures throw `StorageError`;
    /// errors thrown by `body` end the scan and propagate unchanged.
    func scan(
        _ range: KeyRange,
        in keySpace: KeySpace,
        direction: ScanDirection,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws
}

extension KeyValueReader {
    /// Walks a cursor over `range`; the default for every backend.
    public func scan(
        _ range: KeyRange,
        in keySpace: KeySpace,
        direction: ScanDirection,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws {
        var cursor = try makeCursor(over: range, in: keySpace)
        switch direction {
        case .forward: cursor.seekToFirst()
        case .reverse: cursor.seekToLast()
        }
        while let step = try cursor.withCurrent(body) {
            if step == .stop { return }
            switch direction {
            case .forward: cursor.next()
            case .reverse: cursor.previous()
            }
        }
        try cursor.checkStatus()
    }

    /// Forward scan of `range`.
    public func scan(
        _ range: KeyRange,
        in keySpace: KeySpace,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws {
        try scan(range, in: keySpace, direction: .forward, body)
    }

    /// Copies of up to `limit` entries of `range` in `direction` order.
    public func entries(
        _ range: KeyRange,
        in keySpace: KeySpace,
        direction: ScanDirection = .forward,
        limit: Int? = nil
    ) throws(StorageError) -> [KeyValuePair] {
        var result: [KeyValuePair] = []
        if let limit, limit <= 0 { return result }
        var cursor = try makeCursor(over: range, in: keySpace)
        switch direction {
        case .forward: cursor.seekToFirst()
        case .reverse: cursor.seekToLast()
        }
        while let entry = cursor.withCurrent({ key, value in
            KeyValuePair(key: [UInt8](key), value: [UInt8](value))
        }) {
            result.append(entry)
            if let limit, result.count >= limit { return result }
            switch direction {
            case .forward: cursor.next()
            case .reverse: cursor.previous()
            }
        }
        try cursor.checkStatus()
        return result
    }
}
