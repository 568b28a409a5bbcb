// FilterNode and PathPredicate: the parsed form of a MongoDB query filter, built once by
// FilterParser and read by the matcher and the planner. Owns the shape of the tree and the
// small value types its leaves carry (type sets, bit masks); knows nothing about documents.

public import BSON
public import Collation

/// A parsed query filter: logical structure over predicates on paths.
public indirect enum FilterNode: Sendable {
    /// Every child matches (an implicit or explicit `$and`).
    case and([FilterNode])
    /// Some child matches (`$or`).
    case or([FilterNode])
    /// No child matches (`$nor`).
    case nor([FilterNode])
    /// A predicate on the values a dotted path reaches.
    case path(FieldPath, PathPredicate)
    /// An aggregation expression over the document (`$expr`), true when its value is truthy.
    case expr(Expression)
    /// Always or never matches: `{}`, `$alwaysTrue`, `$alwaysFalse`.
    case constant(Bool)
    /// `$jsonSchema`: the whole document satisfies the schema.
    case jsonSchema(JSONSchema)
}

/// A predicate on the values a path reaches.
///
/// Unless noted, a predicate holds on a path when it holds for some value the path reaches
/// (see ``FieldPath/visitValues(in:from:leafArrays:_:)``): for an array, each element and
/// then the array itself.
public indirect enum PathPredicate: Sendable {
    /// `{a: v}`, `{a: {$eq: v}}`: equal by MongoDB's comparison (numbers by value). `null`
    /// also matches a missing field.
    case equal(BSONValue)
    /// `$ne`: the negation of ``equal(_:)`` over the whole path (no reached value equals).
    case notEqual(BSONValue)
    /// `$gt`: greater, within the value's canonical type bracket.
    case greaterThan(BSONValue)
    /// `$gte`: greater or equal, within the value's canonical type bracket.
    case greaterThanOrEqual(BSONValue)
    /// `$lt`: less, within the value's canonical type bracket.
    case lessThan(BSONValue)
    /// `$lte`: less or equal, within the value's canonical type bracket.
    case lessThanOrEqual(BSONValue)
    /// `$in` without regular expressions. The values are sorted in MongoDB's order with
    /// duplicates (by that order) removed. A `null` among them also matches missing.
    case `in`([BSONValue])
    /// `$in` with at least one regular expression: equal to one of the values (sorted as
    /// for ``in(_:)``) or matching one of the patterns.
    case inWithRegexes([BSONValue], [FilterRegex])
    /// `$nin`: the negation of `$in` over the whole path.
    case notIn([BSONValue], [FilterRegex])
    /// `$exists`: `true` when some value is reached; `false` when none is.
    case exists(Bool)
    /// `$type`: some reached value has one of the types (an array field matches `"array"`).
    case type(MatcherTypeSet)
    /// `$mod`: a number whose truncated integer value has this remainder.
    case mod(divisor: Int64, remainder: Int64)
    /// `{a: /re/}`, `$regex`: a string or symbol the pattern matches, or an equal stored regex.
    case regex(FilterRegex)
    /// `$all`: every item holds (items are ``equal(_:)``, ``regex(_:)`` or `$elemMatch`
    /// predicates); an empty list never matches.
    case all([PathPredicate])
    /// `$elemMatch` with a query: some element of an array, read as a document (arrays count,
    /// by index), matches the filter.
    case elemMatchObject(FilterNode)
    /// `$elemMatch` with operators: some element of an array satisfies all of them itself
    /// (no further array traversal).
    case elemMatchValue([PathPredicate])
    /// `$size`: an array with exactly this many elements.
    case size(Int)
    /// `$bitsAllSet`: a number or BinData with all the bits set.
    case bitsAllSet(BitTest)
    /// `$bitsAnySet`: a number or BinData with at least one of the bits set.
    case bitsAnySet(BitTest)
    /// `$bitsAllClear`: a number or BinData with all the bits clear.
    case bitsAllClear(BitTest)
    /// `$bitsAnyClear`: a number or BinData with at least one of the bits clear.
    case bitsAnyClear(BitTest)
    /// Several operators on one path (`{a: {$gt: 1, $lt: 5}}`): each holds, each on its own
    /// reached value (`[0, 10]` satisfies both).
    case and([PathPredicate])
    /// `$not`, `$exists: false` and the like: the predicate does not hold on the path.
    case not(PathPredicate)
    /// A comparison (`$eq`, `$ne`, `$gt`..., `$in`, `$nin`) under a collation: its operands
    /// are comparison keys (``Collator/comparisonKey(_:)``) and each reached value becomes one
    /// before it is compared; `$in`'s regular expressions still see the original strings.
    /// Made by ``FilterNode/collated(by:)`` only for operands that hold strings.
    case collated(Collator, PathPredicate)
    /// `$geoWithin` / `$geoIntersects`: some reached value is a geometry in that relation
    /// with the shape (GeoPredicate.swift).
    case geo(GeoPredicate)
    /// `$near` / `$nearSphere`: matches any document; the geo-near scan orders and bounds
    /// by distance (GeoPredicate.swift).
    case near(NearPredicate)
}

/// The types a `$type` predicate accepts.
public struct MatcherTypeSet: Sendable, Hashable {
    /// Whether the alias `"number"` was given (double, int, long, decimal).
    public var allNumbers: Bool
    /// The types given by code or alias.
    public var types: Set<BSONType>

    /// A set of types.
    public init(allNumbers: Bool = false, types: Set<BSONType> = []) {
        self.allNumbers = allNumbers
        self.types = types
    }

    /// Whether no type is accepted.
    public var isEmpty: Bool { !allNumbers && types.isEmpty }

    /// Whether a value of `type` is accepted.
    @inlinable
    public func contains(_ type: BSONType) -> Bool {
        if allNumbers {
            switch type {
            case .double, .int32, .int64, .decimal128: return true
            default: break
            }
        }
        return types.contains(type)
    }
}

/// The bits a `$bits…` predicate tests.
public struct BitTest: Sendable, Hashable {
    /// The bit positions, least significant bit of the first byte (or of the number) is 0.
    public var positions: [Int]
    /// The positions folded into 64 bits for numbers: positions above 63 test the sign bit,
    /// since numbers are sign-extended.
    public var mask: UInt64

    /// A test of the given bit positions.
    public init(positions: [Int]) {
        self.positions = positions
        var mask: UInt64 = 0
        for position in positions { mask |= 1 << UInt64(min(position, 63)) }
        self.mask = mask
    }

    /// A test of the bits set in a non-negative 64-bit mask.
    public init(mask: UInt64) {
        self.mask = mask
        positions = (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
    }

    /// A test of the bits set in BinData bytes (bit 0 is the low bit of byte 0).
    public init(bytes: [UInt8]) {
        var positions: [Int] = []
        for (byteIndex, byte) in bytes.enumerated() where byte != 0 {
            for bit in 0..<8 where byte & (1 << UInt8(bit)) != 0 {
                positions.append(byteIndex * 8 + bit)
            }
        }
        self.init(positions: positions)
    }
}
