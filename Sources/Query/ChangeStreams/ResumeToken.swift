// ResumeToken: a change stream event's `_id` — `{_data: "<hex>"}` — naming a position in
// the change log: the sequence number the event came from and whether it is the
// `invalidate` that follows a drop or rename, or one fragment of an event that
// `$changeStreamSplitLargeEvent` split. Owns encoding and parsing; no storage access.

public import BSON

/// A position in the change log as change streams hand it to clients.
public struct ResumeToken: Sendable, Hashable {
    /// The change log sequence number of the event (or of the last entry examined).
    public let sequence: UInt64
    /// Whether it is the token of an `invalidate` event (resumable only with `startAfter`).
    public let isInvalidate: Bool
    /// For a fragment of a split event: its index (0 for `splitEvent.fragment` 1).
    public let fragment: Int?

    /// The token of change log position `sequence` (of an `invalidate` when `isInvalidate`,
    /// of the split event's fragment `fragment` when given).
    public init(sequence: UInt64, isInvalidate: Bool = false, fragment: Int? = nil) {
        self.sequence = sequence
        self.isInvalidate = isInvalidate
        self.fragment = isInvalidate ? nil : fragment
    }

    /// `{_data: <16 hex digits of the sequence><00 | 01 for invalidate>}`, or for a fragment
    /// `<sequence>02<8 hex digits of its index>`; hex strings sort as the positions do.
    public var document: BSONDocument {
        var hex = Self.hex(sequence, digits: 16)
        if let fragment {
            hex += "02" + Self.hex(UInt64(clamping: fragment), digits: 8)
        } else {
            hex += isInvalidate ? "01" : "00"
        }
        return ["_data": .string(hex)]
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(digits - text.count, 0)) + text
    }

    /// Parses a token a client sent back.
    ///
    /// - Throws: `InvalidResumeToken` (260) for anything this server did not produce.
    public init(_ value: BSONValue) throws(MongoError) {
        let malformed = MongoError(.invalidResumeToken, "malformed resume token: \(value.extendedJSON())")
        guard case let .document(document) = value, case let .string(data)? = document["_data"],
              data.utf8.count == 18 || data.utf8.count == 26,
              let sequence = UInt64(data.prefix(16), radix: 16),
              let flag = UInt8(data.dropFirst(16).prefix(2), radix: 16)
        else {
            throw malformed
        }
        switch (flag, data.utf8.count) {
        case (0, 18), (1, 18):
            self.init(sequence: sequence, isInvalidate: flag == 1)
        case (2, 26):
            guard let index = UInt32(data.suffix(8), radix: 16) else { throw malformed }
            self.init(sequence: sequence, fragment: Int(index))
        default:
            throw malformed
        }
    }
}
