// Type brackets for index bounds: MongoDB's comparison operators only match values of the
// operand's canonical type (`$gt: 5` never matches a string), so a range is bounded by the
// smallest value of its own bracket and the smallest value of the next one.

internal import BSON

enum TypeBracket {
    /// The smallest value of `value`'s canonical bracket (inclusive).
    static func lowerBound(of value: BSONValue) -> BSONValue {
        smallest(rank: value.type.canonicalRank) ?? .minKey
    }

    /// The bound just past `value`'s bracket: the smallest value of the next bracket, as an
    /// exclusive bound, or MaxKey inclusive when no smaller bound is known.
    static func upperBound(of value: BSONValue) -> (value: BSONValue, inclusive: Bool) {
        let rank = value.type.canonicalRank
        guard let next = orderedRanks.first(where: { $0 > rank }), let bound = smallest(rank: next) else {
            return (.maxKey, true)
        }
        return (bound, false)
    }

    /// Ranks whose smallest value we can name, in order.
    private static let orderedRanks = [-1, 0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 47, 50, 127]

    /// The smallest value of the bracket with canonical rank `rank`.
    private static func smallest(rank: Int) -> BSONValue? {
        switch rank {
        case -1: .minKey
        case 0: .undefined
        case 5: .null
        case 10: .double(-.nan)
        case 15: .string("")
        case 20: .document(BSONDocument())
        case 25: .array([])
        case 30: .binary(BSONBinary(subtype: .generic, bytes: []))
        case 35: .objectId(ObjectId(bytes: [UInt8](repeating: 0, count: 12)) ?? ObjectId())
        case 40: .bool(false)
        case 45: .datetime(BSONDateTime(millisecondsSinceEpoch: .min))
        case 47: .timestamp(BSONTimestamp(timestamp: 0, increment: 0))
        case 50: .regex(BSONRegex(pattern: "", options: ""))
        case 127: .maxKey
        default: nil
        }
    }
}
