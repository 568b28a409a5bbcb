// KeyValuePair: an owned copy of one entry, as returned by the array-returning scans.
// Zero-copy access lives in the scan callbacks and cursors; this is the convenience form.

/// One key and its value, copied out of the store.
public struct KeyValuePair: Sendable, Hashable {
    /// The entry's key.
    public var key: [UInt8]
    /// The entry's value.
    public var value: [UInt8]

    /// Creates a pair.
    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}
