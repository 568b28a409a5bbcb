// WindowStage: `$setWindowFields` — partitions its input (partitionBy), sorts each partition
// (sortBy) and sets output fields from window functions over documents or range windows:
// the $group accumulators, $rank $denseRank $documentNumber $shift $derivative $integral
// $expMovingAvg $locf $linearFill (which $fill's methods become). Blocking: charges a MemoryBudget.

internal import BSON
internal import Documents

/// One end of a window.
enum WindowBound: Sendable {
    case unbounded
    case current
    /// A document offset (documents windows) or a value offset (range windows).
    case offset(BSONValue)
}

/// Which documents of the partition a window function sees for the current document.
enum WindowFrame: Sendable {
    case documents(WindowBound, WindowBound)
    case range(WindowBound, WindowBound, unit: DateUnit?)

    static let wholePartition = WindowFrame.documents(.unbounded, .unbounded)
}

/// A window function.
enum WindowFunction: Sendable {
    case accumulator(Accumulator)
    case rank, denseRank, documentNumber
    case shift(output: Expression, by: Int, defaultValue: BSONValue)
    case derivative(input: Expression, unit: DateUnit?)
    case integral(input: Expression, unit: DateUnit?)
    case expMovingAvg(input: Expression, alpha: Double)
    case locf(Expression)
    case linearFill(Expression)
}

/// One output field of `$setWindowFields`.
struct WindowOutput: Sendable {
    let path: [String]
    let function: WindowFunction
    let frame: WindowFrame
}

/// `$setWindowFields` (and the stage `$fill` becomes).
struct WindowSpec: Sendable {
    let partitionBy: Expression?
    let sortBy: SortSpec?
    let outputs: [WindowOutput]
    let stageName: String

    /// The single sortBy field range windows, $derivative, $integral and $linearFill read.
    var sortPath: [String]? {
        guard let sortBy, sortBy.keys.count == 1, let key = sortBy.keys.first else { return nil }
        return key.path.components
    }

    init(partitionBy: Expression?, sortBy: SortSpec?, outputs: [WindowOutput], stageName: String) {
        self.partitionBy = partitionBy
        self.sortBy = sortBy
        self.outputs = outputs
        self.stageName = stageName
    }

    /// Parses `{partitionBy, sortBy, output}`.
    init(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.failedToParse, "the $setWindowFields stage specification must be an object, found \(ServerText.typeName(value))")
        }
        var partitionBy: Expression?
        var sortBy: SortSpec?
        var output: BSONDocument?
        for (key, option) in spec.elements {
            switch key {
            case "partitionBy": partitionBy = try Expression.parse(option, in: &context)
            case "sortBy":
                guard case .document(let sort) = option else {
                    throw MongoError(.typeMismatch, "BSON field '$setWindowFields.sortBy' is the wrong type '\(option.type.alias)', expected type 'object'")
                }
                sortBy = try SortSpec(sort)
            case "output":
                guard case .document(let fields) = option else {
                    throw MongoError(.typeMismatch, "BSON field '$setWindowFields.output' is the wrong type '\(option.type.alias)', expected type 'object'")
                }
                output = fields
            default:
                throw MongoError(.location(40415), "BSON field '$setWindowFields.\(key)' is an unknown field.")
            }
        }
        guard let output else {
            throw MongoError(.location(40414), "BSON field '$setWindowFields.output' is missing but a required field")
        }
        var outputs: [WindowOutput] = []
        for (field, fieldSpec) in output.elements {
            outputs.append(try Self.parseOutput(field, fieldSpec, sortBy: sortBy, &context))
        }
        self.init(partitionBy: partitionBy, sortBy: sortBy, outputs: outputs, stageName: "$setWindowFields")
    }

    private static func parseOutput(_ field: String, _ value: BSONValue, sortBy: SortSpec?,
                                    _ context: inout ExpressionContext) throws(MongoError) -> WindowOutput {
        if field.hasPrefix("$") {
            throw MongoError(.location(16410), "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
        }
        let path = try DocumentPaths.components(field)
        guard case .document(let spec) = value else {
            throw MongoError(.failedToParse, "The field '\(field)' must be an object")
        }
        var window: BSONDocument?
        var function: (name: String, argument: BSONValue)?
        for (key, argument) in spec.elements {
            if key == "window" {
                guard case .document(let bounds) = argument else {
                    throw MongoError(.failedToParse, "'window' field must be an object")
                }
                window = bounds
            } else if function == nil, key.hasPrefix("$") {
                function = (key, argument)
            } else {
                throw MongoError(.failedToParse, "Window function found an unknown argument: \(key)")
            }
        }
        guard let function else { throw MongoError(.failedToParse, "Expected a $-prefixed window function, \(field)") }
        let frame = try window.map { (bounds) throws(MongoError) -> WindowFrame in try parseFrame(bounds, sortBy: sortBy) }
        let name = function.name
        let singleSortField = sortBy.map { $0.keys.count == 1 } ?? false
        func requireSortBy() throws(MongoError) {
            guard sortBy != nil else { throw MongoError(.failedToParse, "'\(name)' requires a sortBy") }
        }
        func rejectWindow() throws(MongoError) {
            guard window == nil else { throw MongoError(.failedToParse, "'\(name)' does not accept a 'window' field") }
        }
        switch name {
        case "$rank", "$denseRank", "$documentNumber":
            guard case .document(let empty) = function.argument, empty.isEmpty else {
                throw MongoError(.location(5_371_603), "\(name) must be specified with '{}' as the value")
            }
            if window != nil { throw MongoError(.location(5_371_601), "Rank style window functions take no other arguments") }
            guard singleSortField else {
                throw MongoError(.location(5_371_602), "\(name) must be specified with a top level sortBy expression with exactly one element")
            }
            let kind: WindowFunction = name == "$rank" ? .rank : (name == "$denseRank" ? .denseRank : .documentNumber)
            return WindowOutput(path: path, function: kind, frame: .wholePartition)
        case "$shift":
            try requireSortBy()
            try rejectWindow()
            let arguments = try namedArguments(name, function.argument, allowed: ["output", "by", "default"])
            guard let output = arguments["output"] else { throw MongoError(.failedToParse, "$shift requires an 'output' expression.") }
            guard let by = arguments["by"], by.isNumeric, let offset = ExpressionArithmetic.int32Value(by) else {
                throw MongoError(.failedToParse, "$shift requires 'by' as an integer value.")
            }
            var defaultValue: BSONValue = .null
            if let given = arguments["default"] {
                let parsed = try Expression.parse(given, in: &context)
                guard case .constant(let constant) = parsed else {
                    throw MongoError(.failedToParse, "'$shift:default' expression must yield a constant value.")
                }
                defaultValue = constant
            }
            return WindowOutput(path: path, function: .shift(output: try Expression.parse(output, in: &context), by: offset, defaultValue: defaultValue),
                                frame: .wholePartition)
        case "$derivative", "$integral":
            guard singleSortField else { throw MongoError(.failedToParse, "\(name) requires a sortBy that consists of exactly one field") }
            let arguments = try namedArguments(name, function.argument, allowed: ["input", "unit"])
            guard let input = arguments["input"] else { throw MongoError(.failedToParse, "\(name) requires an 'input' expression") }
            let unit = try arguments["unit"].flatMap { (value) throws(MongoError) -> DateUnit? in try timeUnit(value, name) }
            let parsed = try Expression.parse(input, in: &context)
            if name == "$derivative" {
                guard let frame else { throw MongoError(.failedToParse, "$derivative requires explicit window bounds") }
                return WindowOutput(path: path, function: .derivative(input: parsed, unit: unit), frame: frame)
            }
            return WindowOutput(path: path, function: .integral(input: parsed, unit: unit), frame: frame ?? .wholePartition)
        case "$expMovingAvg":
            try requireSortBy()
            try rejectWindow()
            let arguments = try namedArguments(name, function.argument, allowed: ["input", "N", "alpha"])
            guard let input = arguments["input"] else { throw MongoError(.failedToParse, "$expMovingAvg requires an 'input' expression") }
            let alpha: Double
            switch (arguments["N"], arguments["alpha"]) {
            case (let n?, nil):
                guard n.isNumeric, let count = ExpressionArithmetic.int32Value(n), count > 0 else {
                    throw MongoError(.failedToParse, "'N' field must be an integer, but found type \(n.type.alias)")
                }
                alpha = 2 / Double(count + 1)
            case (nil, let a?):
                let value = ExpressionArithmetic.doubleValue(a)
                guard a.isNumeric, value > 0, value < 1 else { throw MongoError(.failedToParse, "'alpha' must be between 0 and 1 (exclusive), found \(ServerText.value(a))") }
                alpha = value
            default:
                throw MongoError(.failedToParse, "$expMovingAvg must have exactly one of 'N' or 'alpha' fields")
            }
            return WindowOutput(path: path, function: .expMovingAvg(input: try Expression.parse(input, in: &context), alpha: alpha), frame: .wholePartition)
        case "$locf":
            try rejectWindow()
            return WindowOutput(path: path, function: .locf(try Expression.parse(function.argument, in: &context)), frame: .wholePartition)
        case "$linearFill":
            try rejectWindow()
            guard singleSortField else { throw MongoError(.location(605_001), "$linearFill requires a single sort field") }
            return WindowOutput(path: path, function: .linearFill(try Expression.parse(function.argument, in: &context)), frame: .wholePartition)
        default:
            guard Accumulator.Kind(rawValue: name) != nil else {
                throw MongoError(.failedToParse, "Unrecognized window function, \(name)")
            }
            let accumulator = try Accumulator.parse(field, .document([name: function.argument]), &context)
            return WindowOutput(path: path, function: .accumulator(accumulator), frame: frame ?? .wholePartition)
        }
    }

    private static func namedArguments(_ name: String, _ value: BSONValue, allowed: Set<String>) throws(MongoError) -> BSONDocument {
        guard case .document(let arguments) = value else {
            throw MongoError(.failedToParse, "Argument to \(name) must be an object, found \(ServerText.typeName(value))")
        }
        for key in arguments.keys where !allowed.contains(key) {
            throw MongoError(.failedToParse, "\(name) got unexpected argument: \(key)")
        }
        return arguments
    }

    private static func timeUnit(_ value: BSONValue, _ name: String) throws(MongoError) -> DateUnit {
        guard case .string(let text) = value, let unit = DateUnit(rawValue: text) else {
            throw MongoError(.failedToParse, "\(name) 'unit' must be a time unit string, found \(ServerText.value(value))")
        }
        guard unit.fixedMillis != nil else {
            throw MongoError(.location(5_490_704), "\(name) 'unit' must be a fixed unit of time (week or smaller), found '\(text)'")
        }
        return unit
    }

    private static func parseFrame(_ window: BSONDocument, sortBy: SortSpec?) throws(MongoError) -> WindowFrame {
        var documents: BSONValue?
        var range: BSONValue?
        var unit: DateUnit?
        for (key, value) in window.elements {
            switch key {
            case "documents": documents = value
            case "range": range = value
            case "unit":
                guard case .string(let text) = value, let parsed = DateUnit(rawValue: text) else {
                    throw MongoError(.failedToParse, "'unit' must be one of: year, quarter, month, week, day, hour, minute, second, millisecond")
                }
                unit = parsed
            default:
                throw MongoError(.failedToParse, "'window' field can only contain 'documents' as the only argument or 'range' with an optional 'unit' field")
            }
        }
        if documents != nil && range != nil {
            throw MongoError(.failedToParse, "Window bounds can specify either 'documents' or 'unit', not both.")
        }
        if let documents {
            if unit != nil { throw MongoError(.failedToParse, "Window bounds can specify either 'documents' or 'unit', not both.") }
            let (lower, upper) = try boundPair(documents, "documents", integral: true)
            if case .offset(let low) = lower, case .offset(let high) = upper, ExpressionArithmetic.longValue(low) > ExpressionArithmetic.longValue(high) {
                throw MongoError(.failedToParse, "Lower bound must not exceed upper bound: \(ServerText.value(documents))")
            }
            if case .current = lower, case .offset(let high) = upper, ExpressionArithmetic.longValue(high) < 0 {
                throw MongoError(.failedToParse, "Lower bound must not exceed upper bound: \(ServerText.value(documents))")
            }
            if case .offset(let low) = lower, case .current = upper, ExpressionArithmetic.longValue(low) > 0 {
                throw MongoError(.failedToParse, "Lower bound must not exceed upper bound: \(ServerText.value(documents))")
            }
            return .documents(lower, upper)
        }
        if let range {
            guard sortBy?.keys.count == 1 else {
                throw MongoError(.failedToParse, "Range-based window requires sortBy a single field")
            }
            let (lower, upper) = try boundPair(range, "range", integral: unit != nil)
            if case .offset(let low) = lower, case .offset(let high) = upper, BSONValue.compare(low, high) > 0 {
                throw MongoError(.failedToParse, "Lower bound must not exceed upper bound: \(ServerText.value(range))")
            }
            return .range(lower, upper, unit: unit)
        }
        throw MongoError(.failedToParse, "'window' field must specify either 'documents' or 'range'")
    }

    private static func boundPair(_ value: BSONValue, _ kind: String, integral: Bool) throws(MongoError) -> (WindowBound, WindowBound) {
        guard case .array(let pair) = value, pair.count == 2 else {
            throw MongoError(.failedToParse, "Window bounds must be a 2-element array: \(kind): \(ServerText.value(value))")
        }
        func bound(_ element: BSONValue) throws(MongoError) -> WindowBound {
            switch element {
            case .string("unbounded"): return .unbounded
            case .string("current"): return .current
            case _ where element.isNumeric:
                if integral {
                    guard ExpressionArithmetic.int32Value(element) != nil || (element.int64Value != nil) else {
                        throw MongoError(.failedToParse, "Numeric \(kind) window bounds must be an integer, but got: \(ServerText.value(element))")
                    }
                }
                return .offset(element)
            default:
                throw MongoError(.failedToParse, "Window bounds must be 'unbounded', 'current', or a number, found \(ServerText.value(element))")
            }
        }
        return (try bound(pair[0]), try bound(pair[1]))
    }
}

/// Holds the input, then emits it partition by partition in sort order with the outputs set.
final class WindowSink: StageSink {
    let spec: WindowSpec
    private var documents: [BSONDocument] = []
    private var budget: MemoryBudget

    init(_ spec: WindowSpec, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        budget = MemoryBudget(stage: spec.stageName, options: runtime.options)
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        documents.append(document)
        try budget.charge(MemoryBudget.size(of: document))
        return true
    }

    override func finish() throws(MongoError) {
        runtime.peakMemory = max(runtime.peakMemory, budget.peak)
        var keyed: [(partition: BSONValue, sort: [BSONValue], document: BSONDocument)] = []
        keyed.reserveCapacity(documents.count)
        for document in documents {
            try runtime.tick()
            let partition = try spec.partitionBy?.evaluate(runtime.scope(for: document)) ?? .null
            if case .array = partition {
                throw MongoError(.typeMismatch, "An expression used to partition cannot evaluate to value of type array")
            }
            let sort = try spec.sortBy?.validatedSortKey(for: document) ?? []
            keyed.append((partition, sort, document))
        }
        documents = []
        try runtime.checkForInterrupt()
        if spec.partitionBy != nil || spec.sortBy != nil {
            keyed = keyed.enumerated().sorted { a, b in
                var order = BSONValue.compare(a.element.partition, b.element.partition)
                if order == 0, let sortBy = spec.sortBy { order = sortBy.compareKeys(a.element.sort, b.element.sort) }
                return order != 0 ? order < 0 : a.offset < b.offset
            }.map(\.element)
        }
        var start = 0
        while start < keyed.count {
            var end = start + 1
            while end < keyed.count && BSONValue.compare(keyed[start].partition, keyed[end].partition) == 0 { end += 1 }
            let partition = WindowPartition(documents: keyed[start..<end].map(\.document), sortKeys: keyed[start..<end].map(\.sort),
                                            spec: spec, runtime: runtime)
            for document in try partition.evaluate() {
                guard try next.push(document) else {
                    try next.finish()
                    return
                }
            }
            start = end
        }
        try next.finish()
    }
}

/// One partition, sorted, and the window functions evaluated over it.
struct WindowPartition {
    let documents: [BSONDocument]
    let sortKeys: [[BSONValue]]
    let spec: WindowSpec
    let runtime: PipelineRuntime

    /// The partition's documents with every output field set.
    func evaluate() throws(MongoError) -> [BSONDocument] {
        var results: [[BSONValue]] = []
        for output in spec.outputs { results.append(try values(of: output)) }
        var output = documents
        for index in output.indices {
            for (position, field) in spec.outputs.enumerated() {
                output[index] = DocumentPaths.setting(field.path[...], to: results[position][index], in: output[index])
            }
        }
        return output
    }

    private func scope(_ index: Int) -> ExpressionScope {
        runtime.scope(for: documents[index])
    }

    private func values(of output: WindowOutput) throws(MongoError) -> [BSONValue] {
        let count = documents.count
        switch output.function {
        case .accumulator(let accumulator):
            return try accumulate(accumulator, output.frame)
        case .documentNumber:
            return (0..<count).map { ExpressionArithmetic.intOrLong(Int64($0 + 1)) }
        case .rank, .denseRank:
            var values: [BSONValue] = []
            var rank = 0
            var dense = 0
            for index in 0..<count {
                let tied = index > 0 && spec.sortBy.map { $0.compareKeys(sortKeys[index - 1], sortKeys[index]) == 0 } == true
                if !tied {
                    rank = index + 1
                    dense += 1
                }
                values.append(ExpressionArithmetic.intOrLong(Int64(output.function.isDense ? dense : rank)))
            }
            return values
        case .shift(let expression, let by, let defaultValue):
            var values: [BSONValue] = []
            for index in 0..<count {
                let target = index + by
                guard target >= 0 && target < count else {
                    values.append(defaultValue)
                    continue
                }
                values.append(try expression.evaluate(scope(target)) ?? .null)
            }
            return values
        case .derivative(let input, let unit), .integral(let input, let unit):
            let xs = try positions(unit: unit, name: output.function.isDerivative ? "$derivative" : "$integral")
            var ys: [Double?] = []
            for index in 0..<count {
                let value = try input.evaluate(scope(index))
                ys.append(value.flatMap { $0.isNumeric ? ExpressionArithmetic.doubleValue($0) : nil })
            }
            let windows = try frames(output.frame)
            var values: [BSONValue] = []
            for window in windows {
                guard let window else {
                    values.append(.null)
                    continue
                }
                if output.function.isDerivative {
                    guard window.count >= 2, let y0 = ys[window.lowerBound], let y1 = ys[window.upperBound - 1] else {
                        values.append(.null)
                        continue
                    }
                    let dx = xs[window.upperBound - 1] - xs[window.lowerBound]
                    values.append(dx == 0 ? .null : .double((y1 - y0) / dx))
                } else {
                    var total = 0.0
                    var previous: (x: Double, y: Double)?
                    for index in window {
                        guard let y = ys[index] else { continue }
                        if let previous { total += (xs[index] - previous.x) * (previous.y + y) / 2 }
                        previous = (xs[index], y)
                    }
                    values.append(previous == nil ? .null : .double(total))
                }
            }
            return values
        case .expMovingAvg(let input, let alpha):
            var values: [BSONValue] = []
            var average: Double?
            for index in 0..<count {
                if let value = try input.evaluate(scope(index)), value.isNumeric {
                    let x = ExpressionArithmetic.doubleValue(value)
                    average = average.map { alpha * x + (1 - alpha) * $0 } ?? x
                }
                values.append(average.map { .double($0) } ?? .null)
            }
            return values
        case .locf(let expression):
            var values: [BSONValue] = []
            var last: BSONValue = .null
            for index in 0..<count {
                let value = try expression.evaluate(scope(index))
                if let value, !ExpressionArithmetic.isNullish(value) { last = value }
                values.append(last)
            }
            return values
        case .linearFill(let expression):
            let xs = try positions(unit: nil, name: "$linearFill", allowDates: true)
            var ys: [BSONValue?] = []
            for index in 0..<count {
                let value = try expression.evaluate(scope(index))
                if let value, !ExpressionArithmetic.isNullish(value) {
                    guard value.isNumeric else {
                        throw MongoError(.typeMismatch, "$linearFill only supports numeric types, found \(ServerText.typeName(value))")
                    }
                    ys.append(value)
                } else {
                    ys.append(nil)
                }
            }
            var values: [BSONValue] = []
            for index in 0..<count {
                if let y = ys[index] {
                    values.append(y)
                    continue
                }
                guard let before = (0..<index).last(where: { ys[$0] != nil }), let after = ((index + 1)..<count).first(where: { ys[$0] != nil }),
                      let y0 = ys[before], let y1 = ys[after] else {
                    values.append(.null)
                    continue
                }
                let a = ExpressionArithmetic.doubleValue(y0)
                let b = ExpressionArithmetic.doubleValue(y1)
                let fraction = (xs[index] - xs[before]) / (xs[after] - xs[before])
                values.append(.double(a + (b - a) * fraction))
            }
            return values
        }
    }

    /// An accumulator over each document's window; running state when the window starts at
    /// the partition's first document, recomputed otherwise.
    private func accumulate(_ accumulator: Accumulator, _ frame: WindowFrame) throws(MongoError) -> [BSONValue] {
        let windows = try frames(frame)
        var values: [BSONValue] = []
        values.reserveCapacity(windows.count)
        var running = accumulator.makeState()
        var added = 0
        for window in windows {
            guard let window else {
                values.append(accumulator.makeState().result(accumulator))
                continue
            }
            if window.lowerBound == 0 && window.upperBound >= added {
                while added < window.upperBound {
                    try runtime.tick()
                    _ = try running.add(accumulator, scope(added))
                    added += 1
                }
                values.append(running.result(accumulator))
                continue
            }
            var state = accumulator.makeState()
            for index in window {
                try runtime.tick()
                _ = try state.add(accumulator, scope(index))
            }
            values.append(state.result(accumulator))
        }
        return values
    }

    /// `index` moved by a client's document offset, saturating (an offset may be Int64.max).
    private static func offsetting(_ index: Int, by offset: BSONValue) -> Int {
        let (moved, overflow) = index.addingReportingOverflow(ClientNumber.int(clamping: ExpressionArithmetic.longValue(offset)))
        return overflow ? (moved < 0 ? .max : .min) : moved
    }

    /// Each document's window as a range of indexes (nil when empty).
    private func frames(_ frame: WindowFrame) throws(MongoError) -> [Range<Int>?] {
        let count = documents.count
        switch frame {
        case .documents(let lower, let upper):
            return (0..<count).map { index in
                let low: Int
                switch lower {
                case .unbounded: low = 0
                case .current: low = index
                case .offset(let offset): low = Self.offsetting(index, by: offset)
                }
                let high: Int
                switch upper {
                case .unbounded: high = count - 1
                case .current: high = index
                case .offset(let offset): high = Self.offsetting(index, by: offset)
                }
                let clampedLow = max(low, 0)
                let clampedHigh = min(high, count - 1)
                return clampedLow <= clampedHigh ? clampedLow..<(clampedHigh + 1) : nil
            }
        case .range(let lower, let upper, let unit):
            let xs = try rangeValues(unit: unit)
            let ascending = spec.sortBy?.keys.first?.ascending ?? true
            var result: [Range<Int>?] = []
            for index in 0..<count {
                let low = try bound(lower, from: xs[index], unit: unit, unbounded: -Double.infinity)
                let high = try bound(upper, from: xs[index], unit: unit, unbounded: Double.infinity)
                // The window is contiguous in sort order: the documents whose value is in [low, high].
                let first: Int
                let last: Int
                if ascending {
                    first = Self.partitionPoint(xs) { $0 >= low }
                    last = Self.partitionPoint(xs) { $0 > high } - 1
                } else {
                    first = Self.partitionPoint(xs) { $0 <= high }
                    last = Self.partitionPoint(xs) { $0 < low } - 1
                }
                result.append(first <= last ? first..<(last + 1) : nil)
            }
            return result
        }
    }

    /// The first index where `predicate` becomes true (it is false, then true, along `values`).
    private static func partitionPoint(_ values: [Double], _ predicate: (Double) -> Bool) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(values[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private func bound(_ bound: WindowBound, from value: Double, unit: DateUnit?, unbounded: Double) throws(MongoError) -> Double {
        switch bound {
        case .unbounded: return unbounded
        case .current: return value
        case .offset(let offset):
            guard let unit else { return value + ExpressionArithmetic.doubleValue(offset) }
            return Double(try ExpressionDates.add(ClientNumber.int64(saturating: value) ?? 0, unit: unit, amount: ExpressionArithmetic.longValue(offset), zone: .utc))
        }
    }

    /// The sortBy value of each document as a number (dates in milliseconds) for range windows.
    private func rangeValues(unit: DateUnit?) throws(MongoError) -> [Double] {
        guard let path = spec.sortPath else { throw MongoError(.failedToParse, "Range-based window requires sortBy a single field") }
        var values: [Double] = []
        for document in documents {
            let value = DocumentPaths.value(at: path, in: document)
            if unit != nil {
                guard case .datetime(let date)? = value else {
                    throw MongoError(.location(5_429_513), "Invalid range: Expected the sortBy field to be a Date, but it was \(ServerText.typeName(value))")
                }
                values.append(Double(date.millisecondsSinceEpoch))
            } else {
                guard let value, value.isNumeric else {
                    throw MongoError(.location(5_429_414), "Invalid range: Expected the sortBy field to be a number, but it was \(ServerText.typeName(value))")
                }
                values.append(ExpressionArithmetic.doubleValue(value))
            }
        }
        return values
    }

    /// The sortBy value of each document as the x of $derivative/$integral/$linearFill: numbers,
    /// or dates in `unit`s (milliseconds for $linearFill).
    private func positions(unit: DateUnit?, name: String, allowDates: Bool = false) throws(MongoError) -> [Double] {
        guard let path = spec.sortPath else { throw MongoError(.failedToParse, "\(name) requires a sortBy that consists of exactly one field") }
        var values: [Double] = []
        for document in documents {
            let value = DocumentPaths.value(at: path, in: document)
            switch value {
            case .datetime(let date)? where unit != nil || allowDates:
                values.append(Double(date.millisecondsSinceEpoch) / Double(unit?.fixedMillis ?? 1))
            case let number? where number.isNumeric && unit == nil:
                values.append(ExpressionArithmetic.doubleValue(number))
            case .datetime?:
                throw MongoError(.location(5_624_901), "\(name) where the sortBy is a Date requires an 'unit'")
            default:
                if unit != nil {
                    throw MongoError(.location(5_624_900), "\(name) with 'unit' expects the sortBy field to be a Date, found \(ServerText.typeName(value))")
                }
                throw MongoError(.location(5_624_900), "\(name) expects the sortBy field to be numeric or a date, found \(ServerText.typeName(value))")
            }
        }
        return values
    }
}

extension WindowFunction {
    fileprivate var isDense: Bool {
        if case .denseRank = self { return true }
        return false
    }

    fileprivate var isDerivative: Bool {
        if case .derivative = self { return true }
        return false
    }
}
