// FilterMatcher: evaluates a parsed FilterNode against a document with MongoDB's semantics
// (comparison brackets, null versus missing, NaN, MinKey/MaxKey, array traversal) and records
// the array offset the positional `$` operator uses. Works on the tree as parsed; never
// re-reads the filter's BSON.

public import BSON
public import Collation
import Documents

extension FilterNode {
    /// Whether `root` matches; `elemMatchKey` receives the positional index when the match
    /// went through an array (the last AND clause that recorded one wins, as in MongoDB).
    ///
    /// - Parameters:
    ///   - root: a document, or an array read as a document (for `$elemMatch`).
    ///   - collator: the collation `$expr` compares strings under (path predicates carry
    ///     their own, see ``PathPredicate/collated(_:_:)``).
    /// - Throws: errors raised while evaluating `$expr`.
    public func matches(_ root: BSONValue, elemMatchKey: inout Int?, collator: Collator? = nil) throws(MongoError) -> Bool {
        switch self {
        case .and(let children):
            for child in children where !(try child.matches(root, elemMatchKey: &elemMatchKey, collator: collator)) {
                return false
            }
            return true
        case .or(let children):
            for child in children {
                var ignored: Int?
                if try child.matches(root, elemMatchKey: &ignored, collator: collator) { return true }
            }
            return false
        case .nor(let children):
            for child in children {
                var ignored: Int?
                if try child.matches(root, elemMatchKey: &ignored, collator: collator) { return false }
            }
            return true
        case .path(let path, let predicate):
            return try predicate.holds(on: path, in: root, elemMatchKey: &elemMatchKey)
        case .expr(let expression):
            guard let collator else { return Expression.isTruthy(try expression.evaluate(root: root)) }
            return Expression.isTruthy(try expression.evaluate(in: ExpressionScope(root: root, now: WallClock.now(), collator: collator)))
        case .constant(let value):
            return value
        case .jsonSchema(let schema):
            return schema.matches(root)
        }
    }
}

extension PathPredicate {
    /// Whether the predicate holds on `path` in `root` (see the cases for the rules).
    public func holds(on path: FieldPath, in root: BSONValue, elemMatchKey: inout Int?) throws(MongoError) -> Bool {
        switch self {
        case .and(let predicates):
            for predicate in predicates where !(try predicate.holds(on: path, in: root, elemMatchKey: &elemMatchKey)) {
                return false
            }
            return true
        case .all(let predicates):
            guard !predicates.isEmpty else { return false }
            for predicate in predicates where !(try predicate.holds(on: path, in: root, elemMatchKey: &elemMatchKey)) {
                return false
            }
            return true
        case .not(let predicate):
            var ignored: Int?
            return !(try predicate.holds(on: path, in: root, elemMatchKey: &ignored))
        case .notEqual(let value):
            // Negations test the positive form over the whole path and record no index.
            return !path.visitValues(in: root) { reached, _ in ComparisonMatch.equal.matches(reached, value) }
        case .notIn(let values, let regexes):
            return !path.visitValues(in: root) { reached, _ in InList.contains(reached, values: values, regexes: regexes) }
        case .exists(false):
            return !path.visitValues(in: root) { reached, _ in reached != nil }
        case .collated(let collator, .notEqual(let value)):
            return !path.visitValues(in: root) { reached, _ in
                ComparisonMatch.equal.matches(reached.map(collator.comparisonKey), value)
            }
        case .collated(let collator, .notIn(let values, let regexes)):
            return !path.visitValues(in: root) { reached, _ in
                InList.contains(reached, collator: collator, values: values, regexes: regexes)
            }
        default:
            let leafArrays: LeafArrayTraversal
            switch self {
            case .elemMatchObject, .elemMatchValue, .size: leafArrays = .arrayOnly
            default: leafArrays = .elementsThenArray
            }
            return try path.visitValues(in: root, leafArrays: leafArrays) { (value: BSONValue?, offset: Int?) throws(MongoError) -> Bool in
                var inner: Int?
                guard try self.matchesValue(value, elemMatchKey: &inner) else { return false }
                if let inner { elemMatchKey = inner }
                if let offset { elemMatchKey = offset }
                return true
            }
        }
    }

    /// Whether the predicate holds for one reached value (`nil` = missing), with no further
    /// array traversal: MongoDB's `matchesSingleElement`, which `$elemMatch` applies to each
    /// element. `elemMatchKey` receives the index an `$elemMatch` matched at.
    public func matchesValue(_ value: BSONValue?, elemMatchKey: inout Int?) throws(MongoError) -> Bool {
        switch self {
        case .equal(let operand):
            return ComparisonMatch.equal.matches(value, operand)
        case .notEqual(let operand):
            return !ComparisonMatch.equal.matches(value, operand)
        case .greaterThan(let operand):
            return ComparisonMatch.greaterThan.matches(value, operand)
        case .greaterThanOrEqual(let operand):
            return ComparisonMatch.greaterThanOrEqual.matches(value, operand)
        case .lessThan(let operand):
            return ComparisonMatch.lessThan.matches(value, operand)
        case .lessThanOrEqual(let operand):
            return ComparisonMatch.lessThanOrEqual.matches(value, operand)
        case .in(let values):
            return InList.contains(value, values: values, regexes: [])
        case .inWithRegexes(let values, let regexes):
            return InList.contains(value, values: values, regexes: regexes)
        case .notIn(let values, let regexes):
            return !InList.contains(value, values: values, regexes: regexes)
        case .exists(let expected):
            return (value != nil) == expected
        case .type(let types):
            guard let value else { return false }
            return types.contains(value.type)
        case .mod(let divisor, let remainder):
            return ModMatch.matches(value, divisor: divisor, remainder: remainder)
        case .regex(let regex):
            return regex.matches(value)
        case .all(let predicates):
            guard !predicates.isEmpty else { return false }
            for predicate in predicates where !(try predicate.matchesValue(value, elemMatchKey: &elemMatchKey)) {
                return false
            }
            return true
        case .elemMatchObject(let filter):
            guard case .array(let elements)? = value else { return false }
            for (index, element) in elements.enumerated() {
                switch element {
                case .document, .array:
                    var ignored: Int?
                    if try filter.matches(element, elemMatchKey: &ignored) {
                        elemMatchKey = index
                        return true
                    }
                default:
                    continue
                }
            }
            return false
        case .elemMatchValue(let predicates):
            guard case .array(let elements)? = value else { return false }
            elements: for (index, element) in elements.enumerated() {
                for predicate in predicates {
                    var ignored: Int?
                    if !(try predicate.matchesValue(element, elemMatchKey: &ignored)) { continue elements }
                }
                elemMatchKey = index
                return true
            }
            return false
        case .size(let size):
            guard case .array(let elements)? = value else { return false }
            return elements.count == size
        case .bitsAllSet(let test):
            return BitMatch.matches(value, test, .allSet)
        case .bitsAnySet(let test):
            return BitMatch.matches(value, test, .anySet)
        case .bitsAllClear(let test):
            return BitMatch.matches(value, test, .allClear)
        case .bitsAnyClear(let test):
            return BitMatch.matches(value, test, .anyClear)
        case .geo(let predicate):
            return predicate.matches(value)
        case .near:
            return true
        case .and(let predicates):
            for predicate in predicates where !(try predicate.matchesValue(value, elemMatchKey: &elemMatchKey)) {
                return false
            }
            return true
        case .not(let predicate):
            var ignored: Int?
            return !(try predicate.matchesValue(value, elemMatchKey: &ignored))
        case .collated(let collator, let predicate):
            switch predicate {
            case .inWithRegexes(let values, let regexes):
                return InList.contains(value, collator: collator, values: values, regexes: regexes)
            case .notIn(let values, let regexes):
                return !InList.contains(value, collator: collator, values: values, regexes: regexes)
            default:
                return try predicate.matchesValue(value.map(collator.comparisonKey), elemMatchKey: &elemMatchKey)
            }
        }
    }
}

/// `$eq`, `$gt`, `$gte`, `$lt`, `$lte` on one value.
enum ComparisonMatch {
    case equal, greaterThan, greaterThanOrEqual, lessThan, lessThanOrEqual

    /// MongoDB's `ComparisonMatchExpression::matchesSingleElement`.
    func matches(_ value: BSONValue?, _ operand: BSONValue) -> Bool {
        guard let value else {
            // Missing: equal to null for $eq/$lte/$gte; below MaxKey and above MinKey.
            switch operand {
            case .null: return self == .equal || self == .lessThanOrEqual || self == .greaterThanOrEqual
            case .maxKey: return self == .lessThan || self == .lessThanOrEqual
            case .minKey: return self == .greaterThan || self == .greaterThanOrEqual
            default: return false
            }
        }
        if value.type.canonicalRank != operand.type.canonicalRank {
            // Different brackets never compare, except against MinKey and MaxKey.
            switch operand {
            case .maxKey: return self == .lessThan || self == .lessThanOrEqual
            case .minKey: return self == .greaterThan || self == .greaterThanOrEqual
            default: return false
            }
        }
        if self != .equal {
            // NaN equals NaN but is otherwise unordered for range operators.
            let valueIsNaN = ComparisonMatch.isNaN(value)
            let operandIsNaN = ComparisonMatch.isNaN(operand)
            if valueIsNaN || operandIsNaN {
                switch self {
                case .lessThan, .greaterThan: return false
                default: return valueIsNaN && operandIsNaN
                }
            }
        }
        let order = BSONValue.compare(value, operand)
        switch self {
        case .equal: return order == 0
        case .greaterThan: return order > 0
        case .greaterThanOrEqual: return order >= 0
        case .lessThan: return order < 0
        case .lessThanOrEqual: return order <= 0
        }
    }

    static func isNaN(_ value: BSONValue) -> Bool {
        switch value {
        case .double(let double): return double.isNaN
        case .decimal128(let decimal): return decimal.isNaN
        default: return false
        }
    }
}

/// `$in` on one value.
enum InList {
    /// Whether `value` equals one of `values` (sorted by `BSONValue.compare`) or matches one
    /// of `regexes`; a missing value matches when `values` holds null. A binary search: a
    /// list of a million values costs twenty comparisons per value tested.
    static func contains(_ value: BSONValue?, values: [BSONValue], regexes: [FilterRegex]) -> Bool {
        guard let value else { return containsNull(values) }
        if index(of: value, in: values) != nil { return true }
        for regex in regexes where regex.matches(value) { return true }
        return false
    }

    /// As ``contains(_:values:regexes:)`` under a collation: `values` are comparison keys,
    /// so `value` is compared through its key; the patterns see `value` itself.
    static func contains(_ value: BSONValue?, collator: Collator, values: [BSONValue], regexes: [FilterRegex]) -> Bool {
        guard let value else { return containsNull(values) }
        if index(of: collator.comparisonKey(value), in: values) != nil { return true }
        for regex in regexes where regex.matches(value) { return true }
        return false
    }

    /// The position of an element of `values` (sorted by `BSONValue.compare`) that compares
    /// equal to `value` (numbers equal across int, long, double and decimal), if any.
    static func index(of value: BSONValue, in values: [BSONValue]) -> Int? {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            let order = BSONValue.compare(values[middle], value)
            if order == 0 { return middle }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// Whether sorted `values` hold `null` (which also matches a missing field): a search
    /// for the first value not below null, then a look at the few that compare equal to it.
    static func containsNull(_ values: [BSONValue]) -> Bool {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if BSONValue.compare(values[middle], .null) < 0 { low = middle + 1 } else { high = middle }
        }
        while low < values.count, BSONValue.compare(values[low], .null) == 0 {
            if case .null = values[low] { return true }
            low += 1
        }
        return false
    }
}

/// `$mod` on one value.
enum ModMatch {
    /// A number whose integer part (truncated; decimals rounded toward zero) has the
    /// remainder; NaN, infinities and values beyond the long range never match.
    static func matches(_ value: BSONValue?, divisor: Int64, remainder: Int64) -> Bool {
        let dividend: Int64
        switch value {
        case .int32(let int)?:
            dividend = Int64(int)
        case .int64(let long)?:
            dividend = long
        case .double(let double)?:
            guard double.isFinite, let exact = Int64(exactly: double.rounded(.towardZero)) else { return false }
            dividend = exact
        case .decimal128(let decimal)?:
            guard !decimal.isNaN, !decimal.isInfinite,
                  let exact = DecimalArithmetic.int64(decimal, rounding: .towardZero) else { return false }
            dividend = exact
        default:
            return false
        }
        // The server's safeMod: x % -1 is 0 even for Int64.min.
        let result = divisor == -1 ? 0 : dividend % divisor
        return result == remainder
    }
}

/// `$bitsAllSet` and friends on one value.
enum BitMatch {
    enum Kind { case allSet, anySet, allClear, anyClear }

    static func matches(_ value: BSONValue?, _ test: BitTest, _ kind: Kind) -> Bool {
        let number: Int64
        switch value {
        case .binary(let binary)?:
            return matches(bytes: binary.bytes, test, kind)
        case .int32(let int)?:
            number = Int64(int)
        case .int64(let long)?:
            number = long
        case .double(let double)?:
            guard !double.isNaN, double < IntegerArgument.int64UpperBound, double >= -IntegerArgument.int64UpperBound,
                  let exact = Int64(exactly: double) else { return false }
            number = exact
        case .decimal128(let decimal)?:
            guard let rounded = DecimalArithmetic.int64(decimal, rounding: .toNearestOrEven) else { return false }
            number = rounded
        default:
            return false
        }
        let bits = UInt64(bitPattern: number)
        switch kind {
        case .allSet: return bits & test.mask == test.mask
        case .allClear: return ~bits & test.mask == test.mask
        case .anySet: return bits & test.mask != 0
        case .anyClear: return ~bits & test.mask != 0
        }
    }

    /// BinData is zero-extended: positions past its end are clear.
    static func matches(bytes: [UInt8], _ test: BitTest, _ kind: Kind) -> Bool {
        for position in test.positions {
            let byteIndex = position / 8
            let isSet = byteIndex < bytes.count && bytes[byteIndex] & (1 << UInt8(position % 8)) != 0
            switch kind {
            case .allSet: if !isSet { return false }
            case .allClear: if isSet { return false }
            case .anySet: if isSet { return true }
            case .anyClear: if !isSet { return true }
            }
        }
        return kind == .allSet || kind == .allClear
    }
}
