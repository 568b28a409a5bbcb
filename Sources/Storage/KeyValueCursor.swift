// KeyValueCursor: the pull-style, seekable cursor every backend provides over one key
// space and range (what MongoDB cursors and getMore sit on). The protocol only.

/// A positioned cursor over the entries of one key space within a `KeyRange`.
///
/// Cursors start unpositioned. After each move, check `isValid`; when it turns false,
/// call `checkStatus()` to tell the end of the range from an error.
public protocol KeyValueCursor {
    /// The range the cursor is limited to.
    var range: KeyRange { get }
    /// Whether the cursor is positioned on an entry.
    var isValid: Bool { get }
    /// Positions on the first entry in the range.
    mutating func seekToFirst()
    /// Positions on the last entry in the range.
    mutating func seekToLast()
    /// Positions on the first entry whose key is `>= key`.
    mutating func seek(to key: [UInt8])
    /// Positions on the last entry whose key is `<= key`.
    mutating func seek(atOrBefore key: [UInt8])
    /// Moves to the next entry (no-op when not valid).
    mutating func next()
    /// Moves to the previous entry (no-op when not valid).
    mutating func previous()
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
