// ChangeEventSplitter: `$changeStreamSplitLargeEvent` — an event larger than 16 MiB becomes
// fragments of at most that size, each with its own resume token as `_id` and
// `splitEvent: {fragment, of}`, filled greedily with the event's fields smallest first (as
// mongod does, so a resumed stream splits the same event the same way); and resuming from
// a fragment's token skips the fragments up to it.

internal import BSON

/// Splits one stream's events that are too large to return whole.
struct ChangeEventSplitter {
    /// MongoDB's largest change event (BSONObjMaxUserSize).
    static let maximumEventSize = 16 * 1024 * 1024

    /// The fragments of `event`, or `[event]` when it fits: an event counts its `_id` twice
    /// (the reply's postBatchResumeToken may repeat it).
    ///
    /// - Throws: `Location7182500` when one field alone does not fit in a fragment,
    ///   `Location7182502` for an event with nothing but `_id`.
    static func split(_ event: BSONDocument) throws(MongoError) -> [BSONDocument] {
        let tokenSize = BSONSize.of(event["_id"] ?? .null)
        guard BSONSize.of(event) + tokenSize > maximumEventSize else { return [event] }
        guard case let .document(idDocument)? = event["_id"] else { return [event] }
        let token = try ResumeToken(.document(idDocument))
        let fields = event.filter { $0.key != "_id" }
            .map { (key: $0.key, value: $0.value, size: 2 + $0.key.utf8.count + BSONSize.of($0.value)) }
            .sorted { $0.size != $1.size ? $0.size < $1.size : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        guard !fields.isEmpty else {
            throw MongoError(.location(7182502), "Cannot split an empty event or an event containing solely '_id' field")
        }
        let limit = maximumEventSize - tokenSize
        var fragments: [BSONDocument] = []
        var next = 0
        while next < fields.count {
            let index = fragments.count
            var fragment: BSONDocument = [
                "_id": .document(ResumeToken(sequence: token.sequence, fragment: index).document),
                "splitEvent": .document(["fragment": .int32(Int32(clamping: index + 1)), "of": .int32(0)]),
            ]
            var size = BSONSize.of(fragment)
            repeat {
                fragment.append(fields[next].key, fields[next].value)
                size += fields[next].size
                next += 1
            } while next < fields.count && size + fields[next].size <= limit
            guard size <= limit else {
                throw MongoError(.location(7182500),
                                 "Splitting change event failed: fragment size \(size) is greater than maximum allowed fragment size \(limit)")
            }
            fragments.append(fragment)
        }
        let total = Int32(clamping: fragments.count)
        return fragments.map { fragment in
            var fragment = fragment
            if case let .document(split)? = fragment["splitEvent"] {
                var filled = split
                filled["of"] = .int32(total)
                fragment["splitEvent"] = .document(filled)
            }
            return fragment
        }
    }
}
