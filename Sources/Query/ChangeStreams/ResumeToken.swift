// ResumeToken: a change stream event's `_id` — `{_data: "<hex>"}` — naming a position in
// the change log: the sequence number the event came from and whether it is the
// `invalidate` that follows a drop or rename. Owns encoding and parsing; no storage access.

public import BSON

/// A position in the change log as change streams hand it to clients.
public struct ResumeToken: Sendable, Hashable {
    /// The change log sequence number of the event (or of the last entry examined).
    public let sequence: UInt64
    /// Whether it is the token of an `invalidate` event (resumable only with `startAfter`).
    public let isInvalidate: Bool

    /// The token of change log position `sequence` (of an `invalidate` when `isInvalidate`).
    public init(sequence: UInt64, isInvalidate: Bool = false) {
        self.sequence = sequence
        self.isInvalidate = isInvalidate
    }

    /// `{_data: <16 hex digits of the sequence><00 | 01 for invalidate>}`; hex strings of the
    /// same length sort as the positions do.
    public var document: BSONDocument {
        var hex = String(sequence, radix: 16, uppercase: true)
        hex = String(repeating: "0", count: 16 - hex.count) + hex
        return ["_data": .string(hex + (isInvalidate ? "01" : "00"))]
    }

    /// Parses a token a client sent back.
    ///
    /// - Throws: `InvalidResumeToken` (260) for anything this server did not produce.
    public init(_ value: BSONValue) throws(MongoError) {
        guard case let .document(document) = value, case let .string(data)? = document["_data"], data.utf8.count == 18,
              let sequence = UInt64(data.prefix(16), radix: 16), let flag = UInt8(data.suffix(2), radix: 16), flag <= 1
        else {
            throw MongoError(.invalidResumeToken, "malformed resume token: \(value.extendedJSON())")
        }
        self.init(sequence: sequence, isInvalidate: flag == 1)
    }
}
