// KeyValueCursor: the pull-style, seekable cursor every engine provides over one key
// space and range (what MongoDB cursors and getMore sit on). The protocol plus the two
// loops (walk, collect) the readers' default scans are built from.

/// A positioned cursor over the entries of one key space within a `KeyRange`.
///
/// Cursors start unpositioned. After each move, check `isValid`; when it turns false,
/// call `checkStatus()` to tell the end of the range from an error. A cursor is used by
/// one thread at a time.
public protocol KeyValueCursor: AnyObject {
    /// The range the cursor is limited to.
    var range: KeyRange { get }
    /// Whether the cursor is positioned on an entry.
    var isValid: Bool { get }
    /// Positions on the first entry in the range.
    func seekToFirst()
    /// Positions on the last entry in the range.
    func seekToLast()
    /// Positions on the first entry whose key is `>= key`.
    func seek(to key: [UInt8])
    /// Positions on the last entry whose key is `<= key`.
    func seek(atOrBefore key: [UInt8])
    /// Moves to the next entry (no-op when not valid).
    func next()
    /// Moves to the previous entry (no-op when not valid).
    func previous()
    /// Calls `body` with views of the current key and value, valid only during the call;
    /// `nil` when not valid.
    func withCurrent<Result, Failure: Error>(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result?
    /// A copy of the current key, `nil` when not valid.
    var key: [UInt8]? { get }
    /// A copy of the current value, `nil` when not valid.
    var value: [UInt8]? { get }
    /// Throws the error that invalidated the cursor, if any.
    func checkStatus() throws(StorageError)
}

extension KeyValueCursor {
    /// Positions at the start of the range for `direction`, then calls `body` on each entry
    /// until it returns `.stop` or the range ends.
    func walk(
        _ direction: ScanDirection,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanStep
    ) throws {
        switch direction {
        case .forward: seekToFirst()
        case .reverse: seekToLast()
        }
        while let step = try withCurrent(body) {
            if step == .stop { return }
            switch direction {
            case .forward: next()
            case .reverse: previous()
            }
        }
        try checkStatus()
    }

    /// Copies of up to `limit` (`nil`: all) entries from the start of the range for `direction`.
    func collect(_ direction: ScanDirection, limit: Int?) throws(StorageError) -> [KeyValuePair] {
        var result: [KeyValuePair] = []
        if let limit, limit <= 0 { return result }
        switch direction {
        case .forward: seekToFirst()
        case .reverse: seekToLast()
        }
        while let entry = withCurrent({ key, value in KeyValuePair(key: [UInt8](key), value: [UInt8](value)) }) {
            result.append(entry)
            if let limit, result.count >= limit { return result }
            switch direction {
            case .forward: next()
            case .reverse: previous()
            }
        }
        try checkStatus()
        return result
    }
}
