// BucketAuto: `$bucketAuto` — sorts its input by `groupBy` and cuts it into `buckets` groups
// of about equal size (equal values never split), optionally on a preferred-number
// `granularity` series. Blocking: charges a MemoryBudget for the documents it holds.

internal import BSON
internal import Documents

/// `$bucketAuto`.
struct BucketAutoSpec: Sendable {
    let groupBy: Expression
    let buckets: Int
    let granularity: GranularitySeries?
    let fields: [(name: String, accumulator: Accumulator)]

    /// Parses `{groupBy, buckets, output, granularity}` with MongoDB's 40239–40261 errors.
    init(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.location(40240), "The argument to $bucketAuto must be an object, but found type: \(ServerText.typeName(value))")
        }
        var groupBy: Expression?
        var buckets: Int?
        var granularity: GranularitySeries?
        var fields: [(name: String, accumulator: Accumulator)] = []
        for (key, option) in spec.elements {
            switch key {
            case "groupBy":
                let isPath = { if case .string(let path) = option { return path.hasPrefix("$") } else { return false } }()
                let isObject = { if case .document = option { return true } else { return false } }()
                guard isPath || isObject else {
                    throw MongoError(.location(40239), "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, but found: \(ServerText.value(option))")
                }
                groupBy = try Expression.parse(option, in: &context)
            case "buckets":
                guard option.isNumeric else {
                    throw MongoError(.location(40241), "The $bucketAuto 'buckets' field must be a numeric value, but found type: \(ServerText.typeName(option))")
                }
                let number = ExpressionArithmetic.doubleValue(option)
                guard number.rounded() == number, number >= Double(Int32.min), number <= Double(Int32.max) else {
                    throw MongoError(.location(40242), "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found \(ServerText.value(.double(number)))")
                }
                buckets = Int(number)  // checked: integral and within Int32 (the guard above)
            case "output":
                guard case .document(let output) = option else {
                    throw MongoError(.location(40244), "The $bucketAuto 'output' field must be an object, but found type: \(ServerText.typeName(option))")
                }
                for (name, accumulatorValue) in output.elements {
                    fields.append((name, try Accumulator.parse(name, accumulatorValue, &context)))
                }
            case "granularity":
                guard case .string(let name) = option else {
                    throw MongoError(.location(40261), "The $bucketAuto 'granularity' field must be a string, but found type: \(ServerText.typeName(option))")
                }
                guard let series = GranularitySeries(name: name) else {
                    throw MongoError(.location(40257), "Unknown rounding granularity '\(name)'")
                }
                granularity = series
            default:
                throw MongoError(.location(40245), "Unrecognized option to $bucketAuto: \(key)")
            }
        }
        guard let groupBy, let buckets else {
            throw MongoError(.location(40246), "$bucketAuto requires 'groupBy' and 'buckets' to be specified")
        }
        guard buckets > 0 else {
            throw MongoError(.location(40243), "The $bucketAuto 'buckets' field must be greater than 0, but found: \(buckets)")
        }
        if fields.isEmpty {
            fields = [("count", try Accumulator.parse("count", .document(["$sum": .int32(1)]), &context))]
        }
        self.groupBy = groupBy
        self.buckets = buckets
        self.granularity = granularity
        self.fields = fields
    }
}

/// Holds the whole input, then emits one document per bucket in `groupBy` order.
final class BucketAutoSink: StageSink {
    let spec: BucketAutoSpec
    private var entries: [(key: BSONValue, document: BSONDocument)] = []
    private var budget: MemoryBudget

    init(_ spec: BucketAutoSpec, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        budget = MemoryBudget(stage: "$bucketAuto", options: runtime.options)
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        let key = try spec.groupBy.evaluate(runtime.scope(for: document)) ?? .null
        if spec.granularity != nil {
            guard key.isNumeric else {
                throw MongoError(.location(40258), "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a value with type: \(ServerText.typeName(key))")
            }
            let number = ExpressionArithmetic.doubleValue(key)
            guard !number.isNaN else {
                throw MongoError(.location(40259), "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a NaN")
            }
            guard number >= 0 else {
                throw MongoError(.location(40260), "$bucketAuto can specify a 'granularity' with non-negative numbers only, but found a negative number")
            }
        }
        entries.append((key, document))
        try budget.charge(MemoryBudget.size(of: document) + MemoryBudget.size(of: key))
        return true
    }

    override func finish() throws(MongoError) {
        runtime.peakMemory = max(runtime.peakMemory, budget.peak)
        let sorted = entries.enumerated().sorted { a, b in
            let order = BSONValue.compare(a.element.key, b.element.key)
            return order != 0 ? order < 0 : a.offset < b.offset
        }.map(\.element)
        entries = []
        for bucket in try buckets(of: sorted) {
            guard try next.push(bucket) else { break }
        }
        try next.finish()
    }

    /// MongoDB's bucketing: about `count / buckets` documents each, the last bucket takes the
    /// rest, documents equal to a bucket's largest value join it, and (without granularity) a
    /// bucket's max is the next bucket's min.
    private func buckets(of sorted: [(key: BSONValue, document: BSONDocument)]) throws(MongoError) -> [BSONDocument] {
        var output: [BSONDocument] = []
        guard !sorted.isEmpty else { return output }
        let share = (Double(sorted.count) / Double(spec.buckets)).rounded(.toNearestOrAwayFromZero)
        let approximateSize = max(1, ClientNumber.int(clamping: ClientNumber.int64(saturating: share) ?? 1))
        var position = 0
        var previousMax: BSONValue?
        var number = 1
        while position < sorted.count && number <= spec.buckets {
            let first = sorted[position].key
            var minimum = first
            if let granularity = spec.granularity { minimum = previousMax ?? granularity.roundDown(first) }
            var maximum = first
            var states = spec.fields.map { $0.accumulator.makeState() }
            func add(_ index: Int) throws(MongoError) {
                maximum = sorted[index].key
                let scope = runtime.scope(for: sorted[index].document)
                for (offset, field) in spec.fields.enumerated() { _ = try states[offset].add(field.accumulator, scope) }
            }
            try add(position)
            position += 1
            let isLast = number == spec.buckets
            var taken = 1
            while position < sorted.count && (taken < approximateSize || isLast) {
                try add(position)
                position += 1
                taken += 1
            }
            if let granularity = spec.granularity {
                let boundary = granularity.roundUp(maximum)
                while position < sorted.count
                    && (BSONValue.compare(boundary, sorted[position].key) > 0 || BSONValue.compare(maximum, sorted[position].key) == 0) {
                    try add(position)
                    position += 1
                }
                if ExpressionArithmetic.doubleValue(boundary) == 0 && position < sorted.count {
                    maximum = granularity.roundDown(sorted[position].key)
                } else {
                    maximum = boundary
                }
            } else {
                while position < sorted.count && BSONValue.compare(maximum, sorted[position].key) == 0 {
                    try add(position)
                    position += 1
                }
                if position < sorted.count { maximum = sorted[position].key }
            }
            previousMax = maximum
            var document: BSONDocument = ["_id": .document(["min": minimum, "max": maximum])]
            for (offset, field) in spec.fields.enumerated() { document.append(field.name, states[offset].result(field.accumulator)) }
            output.append(document)
            number += 1
        }
        return output
    }
}

/// The preferred-number series `granularity` names: Renard (R5...R80), E (E6...E192), 1-2-5
/// and powers of two. Boundaries round to a series value times a power of ten.
enum GranularitySeries: Sendable {
    case table([Double])
    case powersOfTwo

    init?(name: String) {
        switch name {
        case "POWERSOF2": self = .powersOfTwo
        case "1-2-5": self = .table([1, 2, 5])
        case "R5": self = .table([1.0, 1.6, 2.5, 4.0, 6.3])
        case "R10": self = .table([1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0])
        case "R20": self = .table([1.0, 1.12, 1.25, 1.4, 1.6, 1.8, 2.0, 2.24, 2.5, 2.8, 3.15, 3.55, 4.0, 4.5, 5.0, 5.6, 6.3, 7.1, 8.0, 9.0])
        case "R40":
            self = .table([1.0, 1.06, 1.12, 1.18, 1.25, 1.32, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.12, 2.24, 2.36, 2.5, 2.65, 2.8, 3.0,
                           3.15, 3.35, 3.55, 3.75, 4.0, 4.25, 4.5, 4.75, 5.0, 5.3, 5.6, 6.0, 6.3, 6.7, 7.1, 7.5, 8.0, 8.5, 9.0, 9.5])
        case "R80":
            self = .table([1.0, 1.03, 1.06, 1.09, 1.12, 1.15, 1.18, 1.22, 1.25, 1.28, 1.32, 1.36, 1.4, 1.45, 1.5, 1.55, 1.6, 1.65, 1.7, 1.75,
                           1.8, 1.85, 1.9, 1.95, 2.0, 2.06, 2.12, 2.18, 2.24, 2.3, 2.36, 2.43, 2.5, 2.58, 2.65, 2.72, 2.8, 2.9, 3.0, 3.07,
                           3.15, 3.25, 3.35, 3.45, 3.55, 3.65, 3.75, 3.87, 4.0, 4.12, 4.25, 4.37, 4.5, 4.62, 4.75, 4.87, 5.0, 5.15, 5.3, 5.45,
                           5.6, 5.8, 6.0, 6.15, 6.3, 6.5, 6.7, 6.9, 7.1, 7.3, 7.5, 7.75, 8.0, 8.25, 8.5, 8.75, 9.0, 9.25, 9.5, 9.75])
        case "E6": self = .table([1.0, 1.5, 2.2, 3.3, 4.7, 6.8])
        case "E12": self = .table([1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2])
        case "E24":
            self = .table([1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1])
        case "E48":
            self = .table([1.0, 1.05, 1.1, 1.15, 1.21, 1.27, 1.33, 1.4, 1.47, 1.54, 1.62, 1.69, 1.78, 1.87, 1.96, 2.05, 2.15, 2.26, 2.37, 2.49,
                           2.61, 2.74, 2.87, 3.01, 3.16, 3.32, 3.48, 3.65, 3.83, 4.02, 4.22, 4.42, 4.64, 4.87, 5.11, 5.36, 5.62, 5.9, 6.19, 6.49,
                           6.81, 7.15, 7.5, 7.87, 8.25, 8.66, 9.09, 9.53])
        case "E96":
            self = .table([1.0, 1.02, 1.05, 1.07, 1.1, 1.13, 1.15, 1.18, 1.21, 1.24, 1.27, 1.3, 1.33, 1.37, 1.4, 1.43, 1.47, 1.5, 1.54, 1.58,
                           1.62, 1.65, 1.69, 1.74, 1.78, 1.82, 1.87, 1.91, 1.96, 2.0, 2.05, 2.1, 2.15, 2.21, 2.26, 2.32, 2.37, 2.43, 2.49, 2.55,
                           2.61, 2.67, 2.74, 2.8, 2.87, 2.94, 3.01, 3.09, 3.16, 3.24, 3.32, 3.4, 3.48, 3.57, 3.65, 3.74, 3.83, 3.92, 4.02, 4.12,
                           4.22, 4.32, 4.42, 4.53, 4.64, 4.75, 4.87, 4.99, 5.11, 5.23, 5.36, 5.49, 5.62, 5.76, 5.9, 6.04, 6.19, 6.34, 6.49, 6.65,
                           6.81, 6.98, 7.15, 7.32, 7.5, 7.68, 7.87, 8.06, 8.25, 8.45, 8.66, 8.87, 9.09, 9.31, 9.53, 9.76])
        case "E192":
            self = .table([1.0, 1.01, 1.02, 1.04, 1.05, 1.06, 1.07, 1.09, 1.1, 1.11, 1.13, 1.14, 1.15, 1.17, 1.18, 1.2, 1.21, 1.23, 1.24, 1.26,
                           1.27, 1.29, 1.3, 1.32, 1.33, 1.35, 1.37, 1.38, 1.4, 1.42, 1.43, 1.45, 1.47, 1.49, 1.5, 1.52, 1.54, 1.56, 1.58, 1.6,
                           1.62, 1.64, 1.65, 1.67, 1.69, 1.72, 1.74, 1.76, 1.78, 1.8, 1.82, 1.84, 1.87, 1.89, 1.91, 1.93, 1.96, 1.98, 2.0, 2.03,
                           2.05, 2.08, 2.1, 2.13, 2.15, 2.18, 2.21, 2.23, 2.26, 2.29, 2.32, 2.34, 2.37, 2.4, 2.43, 2.46, 2.49, 2.52, 2.55, 2.58,
                           2.61, 2.64, 2.67, 2.71, 2.74, 2.77, 2.8, 2.84, 2.87, 2.91, 2.94, 2.98, 3.01, 3.05, 3.09, 3.12, 3.16, 3.2, 3.24, 3.28,
                           3.32, 3.36, 3.4, 3.44, 3.48, 3.52, 3.57, 3.61, 3.65, 3.7, 3.74, 3.79, 3.83, 3.88, 3.92, 3.97, 4.02, 4.07, 4.12, 4.17,
                           4.22, 4.27, 4.32, 4.37, 4.42, 4.48, 4.53, 4.59, 4.64, 4.7, 4.75, 4.81, 4.87, 4.93, 4.99, 5.05, 5.11, 5.17, 5.23, 5.3,
                           5.36, 5.42, 5.49, 5.56, 5.62, 5.69, 5.76, 5.83, 5.9, 5.97, 6.04, 6.12, 6.19, 6.26, 6.34, 6.42, 6.49, 6.57, 6.65, 6.73,
                           6.81, 6.9, 6.98, 7.06, 7.15, 7.23, 7.32, 7.41, 7.5, 7.59, 7.68, 7.77, 7.87, 7.96, 8.06, 8.16, 8.25, 8.35, 8.45, 8.56,
                           8.66, 8.76, 8.87, 8.98, 9.09, 9.2, 9.31, 9.42, 9.53, 9.65, 9.76, 9.88])
        default: return nil
        }
    }

    /// The smallest series value strictly greater than `value` (0 stays 0).
    func roundUp(_ value: BSONValue) -> BSONValue {
        let number = ExpressionArithmetic.doubleValue(value)
        guard number > 0 else { return .double(0) }
        switch self {
        case .powersOfTwo:
            var power = 1.0
            while power <= number { power *= 2 }
            while power / 2 > number { power /= 2 }
            return Self.integral(power, like: value)
        case .table(let series):
            var exponent = Self.exponent(below: number)
            while true {
                for step in series {
                    let candidate = Self.value(step, exponent)
                    if candidate > number { return .double(candidate) }
                }
                exponent += 1
            }
        }
    }

    /// The largest series value strictly less than `value` (0 stays 0).
    func roundDown(_ value: BSONValue) -> BSONValue {
        let number = ExpressionArithmetic.doubleValue(value)
        guard number > 0 else { return .double(0) }
        switch self {
        case .powersOfTwo:
            var power = 1.0
            while power >= number { power /= 2 }
            while power * 2 < number { power *= 2 }
            return Self.integral(power, like: value)
        case .table(let series):
            var exponent = Self.exponent(below: number) + 1
            while true {
                for step in series.reversed() {
                    let candidate = Self.value(step, exponent)
                    if candidate < number { return .double(candidate) }
                }
                exponent -= 1
            }
        }
    }

    /// The `k` with `10^k <= number < 10^(k+1)`.
    private static func exponent(below number: Double) -> Int {
        var exponent = 0
        var scale = 1.0
        while scale > number { scale /= 10; exponent -= 1 }
        while scale * 10 <= number { scale *= 10; exponent += 1 }
        return exponent
    }

    /// `step * 10^exponent` rounded once (the series have two decimals), so 2.24 * 10 is 22.4.
    private static func value(_ step: Double, _ exponent: Int) -> Double {
        var hundredths = (step * 100).rounded()
        if exponent >= 0 {
            for _ in 0..<exponent { hundredths *= 10 }
            return hundredths / 100
        }
        var divisor = 100.0
        for _ in 0..<(-exponent) { divisor *= 10 }
        return hundredths / divisor
    }

    /// Powers of two keep an integer input integral.
    private static func integral(_ power: Double, like value: BSONValue) -> BSONValue {
        switch value {
        case .int32 where power <= Double(Int32.max) && power >= 1:
            return .int32(Int32(power))  // checked: 1 <= power <= Int32.max, a power of two
        case .int64 where power >= 1:
            return ClientNumber.int64(truncating: power).map { .int64($0) } ?? .double(power)
        default: return .double(power)
        }
    }
}
