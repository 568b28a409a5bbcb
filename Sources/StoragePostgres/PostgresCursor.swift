// PostgresCursor: the engine's KeyValueCursor as keyset pagination — each move that leaves
// the buffered page runs one range query continuing from the current key
// (`WHERE key > $k ORDER BY key LIMIT n`, or descending). Owns the page buffer, which edges of
// the range it has reached, and the error that invalidated it.
public import Storage

/// A cursor over one key space and range of a `PostgresStore` (or one of its snapshots).
///
/// Pages of the latest state are read one statement at a time, so a cursor not made from a
/// snapshot sees each page as of when it was fetched (never a key twice, always in order).
public final class PostgresCursor: KeyValueCursor {
    /// The range the cursor is limited to.
    public let range: KeyRange
    private let source: PostgresReadSource
    private let space: Int64
    /// The current page, ascending, and the position in it (`nil`: not valid).
    private var page: [KeyValuePair] = []
    private var position: Int?
    /// Whether nothing in the range lies below `page.first` / above `page.last`.
    private var reachedLower = false
    private var reachedUpper = false
    private var failure: StorageError?
    /// Rows per query: small for point-like seeks, doubling while the cursor keeps moving.
    private var pageSize = 16
    private static let maximumPageSize = 1024

    init(range: KeyRange, source: PostgresReadSource, space: Int64) {
        self.range = range
        self.source = source
        self.space = space
    }

    /// Whether the cursor is positioned on an entry.
    public var isValid: Bool { position != nil }

    /// Positions on the first entry in the range.
    public func seekToFirst() {
        load(from: range.lowerBound.map { PostgresSQL.Bound(key: $0, inclusive: true) }, ascending: true)
    }

    /// Positions on the last entry in the range.
    public func seekToLast() {
        load(from: range.upperBound.map { PostgresSQL.Bound(key: $0, inclusive: false) }, ascending: false)
    }

    /// Positions on the first entry whose key is `>= key`.
    public func seek(to key: [UInt8]) {
        if let lower = range.lowerBound, key.lexicographicallyPrecedes(lower) {
            seekToFirst()
            return
        }
        load(from: PostgresSQL.Bound(key: key, inclusive: true), ascending: true)
    }

    /// Positions on the last entry whose key is `<= key`.
    public func seek(atOrBefore key: [UInt8]) {
        if let upper = range.upperBound, !key.lexicographicallyPrecedes(upper) {
            seekToLast()
            return
        }
        load(from: PostgresSQL.Bound(key: key, inclusive: true), ascending: false)
    }

    /// Moves to the next entry (no-op when not valid).
    public func next() {
        guard let position else { return }
        if position + 1 < page.count {
            self.position = position + 1
        } else if reachedUpper {
            self.position = nil
        } else {
            grow()
            load(from: PostgresSQL.Bound(key: page[position].key, inclusive: false), ascending: true)
        }
    }

    /// Moves to the previous entry (no-op when not valid).
    public func previous() {
        guard let position else { return }
        if position > 0 {
            self.position = position - 1
        } else if reachedLower {
            self.position = nil
        } else {
            grow()
            load(from: PostgresSQL.Bound(key: page[position].key, inclusive: false), ascending: false)
        }
    }

    /// Calls `body` with views of the current key and value; `nil` when not valid.
    public func withCurrent<Result, Failure: Error>(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard let position else { return nil }
        let entry = page[position]
        let outcome: Swift.Result<Result, Failure> = entry.key.withUnsafeBytes { key in
            entry.value.withUnsafeBytes { value in Swift.Result { () throws(Failure) -> Result in try body(key, value) } }
        }
        return try outcome.get()
    }

    /// A copy of the current key, `nil` when not valid.
    public var key: [UInt8]? { position.map { page[$0].key } }
    /// A copy of the current value, `nil` when not valid.
    public var value: [UInt8]? { position.map { page[$0].value } }

    /// Throws the error that invalidated the cursor, if any.
    public func checkStatus() throws(StorageError) {
        if let failure { throw failure }
    }

    private func grow() {
        pageSize = min(pageSize * 2, Self.maximumPageSize)
    }

    /// Fetches one page starting at `start` (the range's own bound when `nil`) going up or
    /// down, clamped to the range, and positions on its first entry in that direction.
    private func load(from start: PostgresSQL.Bound?, ascending: Bool) {
        failure = nil
        let lowerLimit = range.lowerBound.map { PostgresSQL.Bound(key: $0, inclusive: true) }
        let upperLimit = range.upperBound.map { PostgresSQL.Bound(key: $0, inclusive: false) }
        let statement = PostgresSQL.page(space: space, lower: ascending ? start ?? lowerLimit : lowerLimit,
                                         upper: ascending ? upperLimit : start ?? upperLimit,
                                         descending: !ascending, limit: pageSize)
        let rows: [KeyValuePair]
        do {
            rows = try source.run(statement, .iterate).map { KeyValuePair(key: $0.bytes(at: 0), value: $0.bytes(at: 1)) }
        } catch {
            failure = error
            page = []
            position = nil
            return
        }
        let complete = rows.count < pageSize
        if ascending {
            page = rows
            // Moving up from `start`: below it lies the rest of the range unless we started at its bound.
            reachedLower = start == nil
            reachedUpper = complete
        } else {
            page = rows.reversed()
            reachedUpper = start == nil
            reachedLower = complete
        }
        position = page.isEmpty ? nil : (ascending ? 0 : page.count - 1)
    }
}
