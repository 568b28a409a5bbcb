// Accumulator: the `$group` (and `$bucket`) accumulators — $sum $avg $min $max $first $last
// $push $addToSet $count $stdDevPop $stdDevSamp $mergeObjects $top $bottom $topN $bottomN
// $firstN $lastN $maxN $minN $median $percentile — parsed once, with per-group state.

internal import BSON
internal import Collation
internal import Documents

/// One parsed accumulator of a `$group` output field.
struct Accumulator: Sendable {
    enum Kind: String, Sendable {
        case sum = "$sum", avg = "$avg", min = "$min", max = "$max", first = "$first", last = "$last"
        case push = "$push", addToSet = "$addToSet", count = "$count", stdDevPop = "$stdDevPop", stdDevSamp = "$stdDevSamp"
        case mergeObjects = "$mergeObjects", top = "$top", bottom = "$bottom", topN = "$topN", bottomN = "$bottomN"
        case firstN = "$firstN", lastN = "$lastN", maxN = "$maxN", minN = "$minN", median = "$median", percentile = "$percentile"
    }

    let kind: Kind
    /// The input expression (`output` for $top/$bottom).
    let input: Expression
    /// `n` for the N accumulators.
    let n: Expression?
    /// `sortBy` for $top/$bottom/$topN/$bottomN.
    let sortBy: SortSpec?
    /// `p` for $percentile.
    let percentiles: Expression?

    /// Parses `{<$op>: argument}` for the output field `field`.
    static func parse(_ field: String, _ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> Accumulator {
        guard case .document(let spec) = value else {
            throw MongoError(.location(40234), "The field '\(field)' must be an accumulator object")
        }
        guard spec.count == 1, let only = spec.first else {
            throw MongoError(.location(40238), "The field '\(field)' must specify one accumulator")
        }
        guard let kind = Kind(rawValue: only.key) else {
            throw MongoError(.location(15952), "unknown group operator '\(only.key)'")
        }
        let argument = only.value
        switch kind {
        case .count:
            guard case .document(let empty) = argument, empty.isEmpty else {
                throw MongoError(.typeMismatch, "$count takes no arguments, i.e. $count:{}")
            }
            return Accumulator(kind: .count, input: .constant(.int32(1)), n: nil, sortBy: nil, percentiles: nil)
        case .top, .bottom, .topN, .bottomN:
            guard case .document(let named) = argument else {
                throw MongoError(.location(5_788_001), "specification must be an object; found \(ServerText.value(argument))")
            }
            var output: Expression?
            var sort: SortSpec?
            var n: Expression?
            for (key, value) in named.elements {
                switch key {
                case "output": output = try Expression.parse(value, in: &context)
                case "sortBy":
                    guard case .document(let sortSpec) = value else {
                        throw MongoError(.location(5_788_604), "expected 'sortBy' to already be an object in the arguments to \(kind.rawValue)")
                    }
                    sort = try SortSpec(sortSpec)
                case "n" where kind == .topN || kind == .bottomN: n = try Expression.parse(value, in: &context)
                default: throw MongoError(.location(5_788_002), "Unknown argument to \(kind.rawValue) '\(key)'")
                }
            }
            guard let output else { throw MongoError(.location(5_788_003), "Missing value for 'output'") }
            guard let sort else { throw MongoError(.location(5_788_005), "Missing value for 'sortBy'") }
            if (kind == .topN || kind == .bottomN) && n == nil { throw MongoError(.location(5_787_906), "Missing value for 'n'") }
            return Accumulator(kind: kind, input: output, n: n, sortBy: sort, percentiles: nil)
        case .firstN, .lastN, .maxN, .minN:
            guard case .document(let named) = argument else {
                throw MongoError(.location(5_787_801), "specification must be an object; found \(ServerText.value(argument))")
            }
            var input: Expression?
            var n: Expression?
            for (key, value) in named.elements {
                switch key {
                case "input": input = try Expression.parse(value, in: &context)
                case "n": n = try Expression.parse(value, in: &context)
                default: throw MongoError(.location(5_787_901), "Unknown argument for 'n' accumulator: \(key)")
                }
            }
            guard let input else { throw MongoError(.location(5_787_907), "Missing value for 'input'") }
            guard let n else { throw MongoError(.location(5_787_906), "Missing value for 'n'") }
            return Accumulator(kind: kind, input: input, n: n, sortBy: nil, percentiles: nil)
        case .median, .percentile:
            guard case .document(let named) = argument else {
                throw MongoError(.location(7_436_100), "specification must be an object; found \(ServerText.value(argument))")
            }
            var input: Expression?
            var p: Expression?
            for (key, value) in named.elements {
                switch key {
                case "input": input = try Expression.parse(value, in: &context)
                case "p" where kind == .percentile: p = try Expression.parse(value, in: &context)
                case "method":
                    guard case .string(let method) = value, method == "approximate" || method == "discrete" || method == "continuous" else {
                        throw MongoError(.badValue, "Currently only 'approximate' can be used as percentile 'method'")
                    }
                default: throw MongoError(.location(40415), "BSON field '\(kind == .median ? "$median" : "$percentile").\(key)' is an unknown field.")
                }
            }
            guard let input else { throw MongoError(.location(40414), "BSON field '\(kind.rawValue).input' is missing but a required field") }
            if kind == .percentile && p == nil { throw MongoError(.location(40414), "BSON field '$percentile.p' is missing but a required field") }
            return Accumulator(kind: kind, input: input, n: nil, sortBy: nil, percentiles: p)
        default:
            if case .array(let elements) = argument, elements.count != 1 {
                throw MongoError(.location(40237), "The \(kind.rawValue) accumulator is a unary operator")
            }
            let operand: BSONValue
            if case .array(let elements) = argument { operand = elements[0] } else { operand = argument }
            return Accumulator(kind: kind, input: try Expression.parse(operand, in: &context), n: nil, sortBy: nil, percentiles: nil)
        }
    }

    /// A fresh state for one group.
    func makeState() -> AccumulatorState {
        AccumulatorState(kind: kind)
    }
}

/// The running state of one accumulator in one group.
struct AccumulatorState {
    let kind: Accumulator.Kind
    private var sum = NumericSum()
    private var deviation = StandardDeviation()
    private var best: BSONValue?
    private var seen = false
    private var values: [BSONValue] = []
    private var keyed: [(key: [BSONValue], value: BSONValue)] = []
    private var set: [[UInt8]: BSONValue] = [:]
    private var merged = BSONDocument()
    private var limit: Int?

    /// How many candidates an N-accumulator keeps before trimming to its `n` (saturating: a
    /// client's `n` may be near Int64.max).
    private static func trimThreshold(_ keep: Int) -> Int {
        let (doubled, overflow) = keep.multipliedReportingOverflow(by: 2)
        return overflow ? .max : doubled.addingReportingOverflow(16).overflow ? .max : doubled + 16
    }
    private var percentiles: [Double] = []
    /// Bytes `$push` or `$addToSet` hold, against MongoDB's per-accumulator limit.
    private var held = 0

    /// MongoDB's `internalQueryMaxPushBytes` and `internalQueryMaxAddToSetBytes`: 100 MiB.
    static let maxAccumulatedBytes = 104_857_600

    init(kind: Accumulator.Kind) {
        self.kind = kind
    }

    /// Counts `bytes` more held by `$push`/`$addToSet`.
    ///
    /// - Throws: `ExceededMemoryLimit` (146) past 100 MiB, as MongoDB: such an accumulator
    ///   cannot spill, so `allowDiskUse` does not help.
    private mutating func hold(_ bytes: Int, _ name: String) throws(MongoError) {
        held += bytes
        guard held > Self.maxAccumulatedBytes else { return }
        throw MongoError(.exceededMemoryLimit,
                         "\(name) used too much memory and cannot spill to disk. Used: \(held) bytes. Memory limit: \(Self.maxAccumulatedBytes) bytes")
    }

    /// Feeds one document; returns the bytes of memory the state grew by.
    mutating func add(_ accumulator: Accumulator, _ scope: ExpressionScope) throws(MongoError) -> Int {
        let value = try accumulator.input.evaluate(scope)
        if limit == nil, let n = accumulator.n { limit = try Self.count(n, scope, kind) }
        if percentiles.isEmpty, let p = accumulator.percentiles { percentiles = try Self.percentileList(p, scope) }
        switch kind {
        case .sum, .count:
            if let value { sum.add(value) }
        case .avg:
            if let value { sum.add(value) }
        case .stdDevPop, .stdDevSamp:
            if let value { deviation.add(value) }
        case .min, .max:
            guard let value, !ExpressionArithmetic.isNullish(value) else { return 0 }
            if let current = best {
                let order = BSONValue.compare(value, current, collator: scope.collator)
                if kind == .min ? order < 0 : order > 0 { best = value }
            } else {
                best = value
            }
        case .first:
            if !seen {
                seen = true
                best = value ?? .null
            }
        case .last:
            best = value ?? .null
        case .push:
            guard let value else { return 0 }
            let size = MemoryBudget.size(of: value)
            try hold(size, "$push")
            values.append(value)
            return size
        case .addToSet:
            guard let value else { return 0 }
            let key = KeyEncoding.key(for: scope.collator?.comparisonKey(value) ?? value)
            if set[key] == nil {
                let size = MemoryBudget.size(of: value) + key.count
                try hold(size, "$addToSet")
                set[key] = value
                return size
            }
        case .mergeObjects:
            try ExpressionObjects.merge(value, into: &merged)
        case .top, .bottom, .topN, .bottomN:
            guard let sortBy = accumulator.sortBy else { return 0 }
            let key = sortBy.sortKey(for: scope.root.documentValue ?? BSONDocument())
            keyed.append((key, value ?? .null))
            let keep = (kind == .top || kind == .bottom) ? 1 : (limit ?? 1)
            if keyed.count > Self.trimThreshold(keep) { trim(sortBy, keep) }
            return 32 + MemoryBudget.size(of: value ?? .null)
        case .firstN:
            if values.count < (limit ?? 1) { values.append(value ?? .null) }
        case .lastN:
            values.append(value ?? .null)
            if values.count > (limit ?? 1) { values.removeFirst() }
        case .maxN, .minN:
            guard let value, !ExpressionArithmetic.isNullish(value) else { return 0 }
            values.append(value)
            if values.count > Self.trimThreshold(limit ?? 1) { trimExtremes() }
        case .median, .percentile:
            guard let value, value.isNumeric else { return 0 }
            values.append(value)
            return 16
        }
        return 0
    }

    private mutating func trim(_ sortBy: SortSpec, _ keep: Int) {
        let ascending = kind == .top || kind == .topN
        keyed = Self.ordered(keyed, sortBy, ascending: ascending).prefix(keep).map { $0 }
    }

    private mutating func trimExtremes() {
        let sorted = values.sorted { kind == .maxN ? BSONValue.compare($0, $1) > 0 : BSONValue.compare($0, $1) < 0 }
        values = Array(sorted.prefix(limit ?? 1))
    }

    private static func ordered(_ keyed: [(key: [BSONValue], value: BSONValue)], _ sortBy: SortSpec, ascending: Bool) -> [(key: [BSONValue], value: BSONValue)] {
        keyed.enumerated().sorted { a, b in
            let order = sortBy.compareKeys(a.element.key, b.element.key)
            if order != 0 { return ascending ? order < 0 : order > 0 }
            return ascending ? a.offset < b.offset : a.offset > b.offset
        }.map(\.element)
    }

    /// The accumulated value.
    func result(_ accumulator: Accumulator) -> BSONValue {
        switch kind {
        case .sum, .count: return sum.total
        case .avg: return sum.average
        case .stdDevPop: return deviation.value(sample: false)
        case .stdDevSamp: return deviation.value(sample: true)
        case .min, .max, .first, .last: return best ?? .null
        case .push: return .array(values)
        case .addToSet: return .array(Array(set.values))
        case .mergeObjects: return .document(merged)
        case .top, .bottom, .topN, .bottomN:
            guard let sortBy = accumulator.sortBy else { return .null }
            // $bottom is the last in sort order: the first when the order is reversed.
            let ascending = kind == .top || kind == .topN
            let ordered = Self.ordered(keyed, sortBy, ascending: ascending)
            if kind == .top || kind == .bottom { return ordered.first?.value ?? .null }
            let picked = ordered.prefix(limit ?? 1).map(\.value)
            return .array(ascending ? picked : picked.reversed())
        case .firstN, .lastN: return .array(values)
        case .maxN, .minN:
            let sorted = values.sorted { kind == .maxN ? BSONValue.compare($0, $1) > 0 : BSONValue.compare($0, $1) < 0 }
            return .array(Array(sorted.prefix(limit ?? 1)))
        case .median, .percentile:
            let numbers = values.map(ExpressionArithmetic.doubleValue).sorted()
            let ps = kind == .median ? [0.5] : percentiles
            let results: [BSONValue] = ps.map { p in
                guard !numbers.isEmpty else { return .null }
                let rank = max(0, ClientNumber.int(clamping: ClientNumber.int64(rounding: p * Double(numbers.count), .up) ?? 0) - 1)
                return .double(numbers[min(rank, numbers.count - 1)])
            }
            return kind == .median ? results[0] : .array(results)
        }
    }

    /// `n`: a positive integer.
    static func count(_ expression: Expression, _ scope: ExpressionScope, _ kind: Accumulator.Kind) throws(MongoError) -> Int {
        let value = try expression.evaluate(scope)
        guard let value, value.isNumeric, let long = value.int64Value ?? (value.type == .decimal128 ? ExpressionArithmetic.longValue(value) : nil) else {
            throw MongoError(.location(5_787_902), "Value for 'n' must be of integral type, but found \(value.map { ServerText.value($0) } ?? "missing")")
        }
        guard long > 0 else { throw MongoError(.location(5_787_908), "'n' must be greater than 0, found \(long)") }
        return Int(long)
    }

    /// `p`: an array of numbers in [0, 1].
    static func percentileList(_ expression: Expression, _ scope: ExpressionScope) throws(MongoError) -> [Double] {
        guard case .array(let elements)? = try expression.evaluate(scope), !elements.isEmpty else {
            throw MongoError(.location(7_750_301), "$percentile requires 'p' to be an array of numbers")
        }
        var result: [Double] = []
        for element in elements {
            guard element.isNumeric else { throw MongoError(.location(7_750_302), "The $percentile 'p' field must be an array of numbers from [0.0, 1.0]") }
            let p = ExpressionArithmetic.doubleValue(element)
            guard p >= 0, p <= 1 else { throw MongoError(.location(7_750_303), "The $percentile 'p' field must be an array of numbers from [0.0, 1.0], but found: \(ServerText.value(element))") }
            result.append(p)
        }
        return result
    }
}
