// ExpressionArrays: the positional array operators ($concatArrays, $slice, $range,
// $reverseArray, $isArray, $first, $last, $indexOfArray, $allElementsTrue, $anyElementTrue,
// the set operators) and the expression forms of $sum/$avg/$min/$max/$stdDevPop/$stdDevSamp,
// with MongoDB's null rules and error codes.

internal import BSON
internal import Collation
internal import Documents

/// Positional array operators.
enum ExpressionArrays {
    /// The value of `op` on its evaluated arguments; comparisons ($indexOfArray, the set
    /// operators, $min/$max) follow `collator` when given.
    static func apply(_ op: ExpressionOperator, _ values: [BSONValue?], collator: Collator? = nil) throws(MongoError) -> BSONValue? {
        switch op {
        case .concatArrays:
            var result: [BSONValue] = []
            var bytes = 0
            for value in values {
                if ExpressionArithmetic.isNullish(value) { return .null }
                guard case .array(let elements)? = value else {
                    throw MongoError(.location(28664), "$concatArrays only supports arrays, not \(ServerText.typeName(value))")
                }
                bytes += ValueLimits.size(of: .array(elements))
                try ValueLimits.checkArray(bytes: bytes, "$concatArrays")
                result += elements
            }
            return .array(result)
        case .slice:
            return try slice(values)
        case .range:
            return try range(values)
        case .reverseArray:
            if ExpressionArithmetic.isNullish(values[0]) { return .null }
            guard case .array(let elements)? = values[0] else {
                throw MongoError(.location(34435), "The argument to $reverseArray must be an array, but was of type: \(ServerText.typeName(values[0]))")
            }
            return .array(elements.reversed())
        case .isArray:
            if case .array? = values[0] { return .bool(true) }
            return .bool(false)
        case .first, .last:
            if ExpressionArithmetic.isNullish(values[0]) { return .null }
            guard case .array(let elements)? = values[0] else {
                throw MongoError(.location(28689), "\(op.rawValue)'s argument must be an array, but is \(ServerText.typeName(values[0]))")
            }
            return op == .first ? elements.first : elements.last
        case .indexOfArray:
            return try indexOfArray(values, collator: collator)
        case .allElementsTrue, .anyElementTrue:
            guard case .array(let elements)? = values[0] else {
                throw MongoError(.location(op == .allElementsTrue ? 17040 : 17041),
                                 "\(op.rawValue)'s argument must be an array, but is \(ServerText.typeName(values[0]))")
            }
            if op == .allElementsTrue { return .bool(elements.allSatisfy { Expression.isTruthy($0) }) }
            return .bool(elements.contains { Expression.isTruthy($0) })
        case .setUnion, .setIntersection, .setDifference, .setEquals, .setIsSubset:
            return try setOperation(op, values, collator: collator)
        case .sum, .avg, .min, .max, .stdDevPop, .stdDevSamp:
            return try reduction(op, values, collator: collator)
        default:
            return nil
        }
    }

    // MARK: $slice, $range, $indexOfArray

    static func slice(_ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        if values.contains(where: ExpressionArithmetic.isNullish) { return .null }
        guard case .array(let elements)? = values[0] else {
            throw MongoError(.location(28724), "First argument to $slice must be an array, but is of type: \(ServerText.typeName(values[0]))")
        }
        guard let second = values[1], second.isNumeric else {
            throw MongoError(.location(28725), "Second argument to $slice must be a numeric value, but is of type: \(ServerText.typeName(values[1]))")
        }
        guard let first = ExpressionArithmetic.int32Value(second) else {
            throw MongoError(.location(28726), "Second argument to $slice can't be represented as a 32-bit integer: \(ServerText.value(second))")
        }
        let count = elements.count
        if values.count == 2 {
            if first >= 0 { return .array(Array(elements.prefix(first))) }
            return .array(Array(elements.suffix(-first)))
        }
        guard let third = values[2], third.isNumeric else {
            throw MongoError(.location(28727), "Third argument to $slice must be numeric, but is of type: \(ServerText.typeName(values[2]))")
        }
        guard let length = ExpressionArithmetic.int32Value(third) else {
            throw MongoError(.location(28728), "Third argument to $slice can't be represented as a 32-bit integer: \(ServerText.value(third))")
        }
        guard length > 0 else {
            throw MongoError(.location(28729), "Third argument to $slice must be positive: \(ServerText.value(third))")
        }
        let start = first >= 0 ? min(first, count) : max(0, count + first)
        return .array(Array(elements[start..<min(count, start + length)]))
    }

    /// The most memory one `$range` may build (MongoDB's `internalQueryMaxRangeBytes`).
    static let maxRangeBytes = 64 * 1024 * 1024
    /// What one element of a `$range` array counts for against that limit.
    static let rangeElementBytes = 16

    static func range(_ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        func integer(_ value: BSONValue?, _ numericCode: Int32, _ intCode: Int32, _ what: String) throws(MongoError) -> Int {
            guard let value, value.isNumeric else {
                throw MongoError(.location(numericCode), "$range requires a numeric \(what), found value of type: \(ServerText.typeName(value))")
            }
            guard let int = ExpressionArithmetic.int32Value(value) else {
                throw MongoError(.location(intCode), "$range requires a \(what) that can be represented as a 32-bit integer, found value: \(ServerText.value(value))")
            }
            return int
        }
        let start = try integer(values[0], 34443, 34444, "starting value")
        let end = try integer(values[1], 34445, 34446, "ending value")
        let step = values.count > 2 ? try integer(values[2], 34447, 34448, "step value") : 1
        guard step != 0 else { throw MongoError(.location(34449), "$range requires a non-zero step value") }
        // Bound the array before building it, as MongoDB's internalQueryMaxRangeBytes does (the
        // operands are Int32s held in Ints, so none of this arithmetic can overflow).
        let span = step > 0 ? end - start : start - end
        let stride = abs(step)
        let count = span <= 0 ? 0 : (span + stride - 1) / stride
        let bytes = count * rangeElementBytes
        guard bytes <= maxRangeBytes else {
            throw MongoError(MongoError.Code(548, "ExceededMemoryLimit"),
                             "$range would use too much memory (\(bytes) bytes) and cannot spill to disk. Memory limit: \(maxRangeBytes) bytes")
        }
        var result: [BSONValue] = []
        result.reserveCapacity(count)
        var current = start
        while step > 0 ? current < end : current > end {
            result.append(.int32(Int32(current)))
            current += step
        }
        return .array(result)
    }

    static func indexOfArray(_ values: [BSONValue?], collator: Collator?) throws(MongoError) -> BSONValue? {
        if ExpressionArithmetic.isNullish(values[0]) { return .null }
        guard case .array(let elements)? = values[0] else {
            throw MongoError(.location(40090), "$indexOfArray requires an array as a first argument, found: \(ServerText.typeName(values[0]))")
        }
        var bounds: [Int] = []
        for (position, value) in values.dropFirst(2).enumerated() {
            guard let value, let int = ExpressionArithmetic.int32Value(value) else {
                throw MongoError(.location(40096), "$indexOfArray requires an integral \(position == 0 ? "starting" : "ending") index, found a value of type: \(ServerText.typeName(value)), with value: \(value.map { ServerText.value($0) } ?? "missing")")
            }
            guard int >= 0 else {
                throw MongoError(.location(40097), "$indexOfArray requires a nonnegative \(position == 0 ? "starting" : "ending") index, found: \(int)")
            }
            bounds.append(int)
        }
        let start = bounds.first ?? 0
        let end = min(bounds.count > 1 ? bounds[1] : elements.count, elements.count)
        guard start < end else { return .int32(-1) }
        for index in start..<end where BSONValue.compare(elements[index], values[1] ?? .undefined, collator: collator) == 0 {
            return .int32(Int32(index))
        }
        return .int32(-1)
    }

    // MARK: Sets

    static func setOperation(_ op: ExpressionOperator, _ values: [BSONValue?], collator: Collator?) throws(MongoError) -> BSONValue? {
        var sets: [[BSONValue]] = []
        for (position, value) in values.enumerated() {
            if ExpressionArithmetic.isNullish(value), op == .setUnion || op == .setIntersection || op == .setDifference {
                return .null
            }
            guard case .array(let elements)? = value else {
                let type = ServerText.typeName(value)
                switch op {
                case .setUnion: throw MongoError(.location(17043), "All operands of $setUnion must be arrays. One argument is of type: \(type)")
                case .setIntersection: throw MongoError(.location(17047), "All operands of $setIntersection must be arrays. One argument is of type: \(type)")
                case .setDifference:
                    throw MongoError(.location(position == 0 ? 17048 : 17049),
                                     "both operands of $setDifference must be arrays. \(position == 0 ? "First" : "Second") argument is of type: \(type)")
                case .setEquals: throw MongoError(.location(17044), "All operands of $setEquals must be arrays. One argument is of type: \(type)")
                default:
                    throw MongoError(.location(position == 0 ? 17046 : 17042),
                                     "both operands of $setIsSubset must be arrays. \(position == 0 ? "First" : "Second") argument is of type: \(type)")
                }
            }
            sets.append(distinctSorted(elements, collator: collator))
        }
        func contains(_ set: [BSONValue], _ value: BSONValue) -> Bool {
            set.contains { BSONValue.compare($0, value, collator: collator) == 0 }
        }
        switch op {
        case .setUnion:
            return .array(distinctSorted(sets.flatMap { $0 }, collator: collator))
        case .setIntersection:
            guard var result = sets.first else { return .array([]) }
            for set in sets.dropFirst() { result = result.filter { contains(set, $0) } }
            return .array(result)
        case .setDifference:
            return .array(sets[0].filter { !contains(sets[1], $0) })
        case .setEquals:
            let first = sets[0]
            return .bool(sets.dropFirst().allSatisfy { $0.count == first.count && $0.allSatisfy { contains(first, $0) } })
        default:
            return .bool(sets[0].allSatisfy { contains(sets[1], $0) })
        }
    }

    /// The distinct values of `elements` in BSON order (under `collator`: in its order, one
    /// value per class of equal ones).
    static func distinctSorted(_ elements: [BSONValue], collator: Collator? = nil) -> [BSONValue] {
        guard let collator else { return distinctSorted(elements.map { ($0, $0) }) }
        return distinctSorted(elements.map { (collator.comparisonKey($0), $0) })
    }

    /// The values of distinct keys, sorted by key (stable: the first of equal keys is kept).
    static func distinctSorted(_ keyed: [(key: BSONValue, value: BSONValue)]) -> [BSONValue] {
        let sorted = keyed.enumerated().sorted { a, b in
            let order = BSONValue.compare(a.element.key, b.element.key)
            return order != 0 ? order < 0 : a.offset < b.offset
        }
        var result: [BSONValue] = []
        var lastKey: BSONValue?
        for (_, element) in sorted where lastKey.map({ BSONValue.compare($0, element.key) != 0 }) ?? true {
            lastKey = element.key
            result.append(element.value)
        }
        return result
    }

    // MARK: Reductions

    /// `{$sum: [a, b]}` sums its operands; `{$sum: "$array"}` (one operand) its elements.
    static func reduction(_ op: ExpressionOperator, _ values: [BSONValue?], collator: Collator?) throws(MongoError) -> BSONValue? {
        var inputs: [BSONValue] = []
        if values.count == 1, case .array(let elements)? = values[0] {
            inputs = elements
        } else {
            inputs = values.compactMap { $0 }
        }
        switch op {
        case .sum:
            var sum = NumericSum()
            for value in inputs { sum.add(value) }
            return sum.total
        case .avg:
            var sum = NumericSum()
            for value in inputs { sum.add(value) }
            return sum.average
        case .min, .max:
            var best: BSONValue?
            for value in inputs where !ExpressionArithmetic.isNullish(value) {
                guard let current = best else {
                    best = value
                    continue
                }
                let order = BSONValue.compare(value, current, collator: collator)
                if op == .min ? order < 0 : order > 0 { best = value }
            }
            return best ?? .null
        default:
            var deviation = StandardDeviation()
            for value in inputs { deviation.add(value) }
            return deviation.value(sample: op == .stdDevSamp)
        }
    }
}

/// `$sum`/`$avg` over numbers, skipping everything else: int while it fits, then long, then
/// double; decimal when any operand is a decimal.
struct NumericSum: Sendable {
    private var sum = ExpressionArithmetic.Sum()
    /// How many numbers were added.
    private(set) var count = 0
    private var decimalSeen = false

    mutating func add(_ value: BSONValue) {
        guard value.isNumeric else { return }
        if case .decimal128 = value { decimalSeen = true }
        try? sum.add(value)
        count += 1
    }

    /// Removes a number added before (for window frames); approximated through addition.
    mutating func subtract(_ value: BSONValue) {
        guard value.isNumeric else { return }
        if let negated = try? ExpressionArithmetic.subtract(.int32(0), value) {
            try? sum.add(negated)
        }
        count -= 1
    }

    /// The sum (int 0 when nothing was added).
    var total: BSONValue { sum.value }

    /// The mean as a double (decimal when a decimal was added), or null when nothing was added.
    var average: BSONValue {
        guard count > 0 else { return .null }
        if decimalSeen {
            return .decimal128(DecimalArithmetic.divide(ExpressionArithmetic.decimalValue(sum.value), Decimal128(Int64(count))))
        }
        return .double(ExpressionArithmetic.doubleValue(sum.value) / Double(count))
    }
}

/// Welford's running variance over numbers, skipping everything else.
struct StandardDeviation: Sendable {
    private var count = 0
    private var mean = 0.0
    private var squares = 0.0

    mutating func add(_ value: BSONValue) {
        guard value.isNumeric else { return }
        let x = ExpressionArithmetic.doubleValue(value)
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        squares += delta * (x - mean)
    }

    /// The population (or sample) standard deviation; null with too few numbers.
    func value(sample: Bool) -> BSONValue {
        if sample {
            guard count > 1 else { return .null }
            return .double((squares / Double(count - 1)).squareRoot())
        }
        guard count > 0 else { return .null }
        return .double((squares / Double(count)).squareRoot())
    }
}
