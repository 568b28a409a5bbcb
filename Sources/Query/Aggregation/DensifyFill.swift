// DensifyFill: `$densify` — adds documents so a numeric or date field steps evenly through a
// range (full, per partition, or explicit bounds) — and `$fill`, which becomes the window
// stage for its `locf`/`linear` methods followed by value fills. Both blocking.

internal import BSON
internal import Documents

/// `$densify`.
struct DensifySpec: Sendable {
    enum Bounds: Sendable {
        case full, partition
        case explicit(BSONValue, BSONValue)
    }

    let field: [String]
    let partitionByFields: [[String]]
    let step: BSONValue
    let unit: DateUnit?
    let bounds: Bounds

    /// Parses `{field, partitionByFields, range: {step, unit, bounds}}` with MongoDB's 5733401–5946802 errors.
    init(_ value: BSONValue) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.failedToParse, "The $densify stage specification must be an object, found \(ServerText.typeName(value))")
        }
        var field: String?
        var partitions: [String] = []
        var range: BSONDocument?
        for (key, option) in spec.elements {
            switch key {
            case "field":
                guard case .string(let name) = option else { throw Self.wrongType("field", option, "string") }
                field = name
            case "partitionByFields":
                guard case .array(let names) = option else { throw Self.wrongType("partitionByFields", option, "array") }
                for name in names {
                    guard case .string(let text) = name else { throw Self.wrongType("partitionByFields", name, "string") }
                    partitions.append(text)
                }
            case "range":
                guard case .document(let document) = option else { throw Self.wrongType("range", option, "object") }
                range = document
            default:
                throw MongoError(.location(40415), "BSON field '$densify.\(key)' is an unknown field.")
            }
        }
        guard let field else { throw MongoError(.location(40414), "BSON field '$densify.field' is missing but a required field") }
        guard let range else { throw MongoError(.location(40414), "BSON field '$densify.range' is missing but a required field") }
        var step: BSONValue?
        var unit: DateUnit?
        var boundsValue: BSONValue?
        for (key, option) in range.elements {
            switch key {
            case "step": step = option
            case "unit":
                guard case .string(let text) = option else { throw Self.wrongType("range.unit", option, "string") }
                guard let parsed = DateUnit(rawValue: text) else {
                    throw MongoError(.failedToParse, "unknown time unit value: \(text)")
                }
                unit = parsed
            case "bounds": boundsValue = option
            default: throw MongoError(.location(40415), "BSON field '$densify.range.\(key)' is an unknown field.")
            }
        }
        guard let step else { throw MongoError(.location(40414), "BSON field '$densify.range.step' is missing but a required field") }
        guard let boundsValue else { throw MongoError(.location(40414), "BSON field '$densify.range.bounds' is missing but a required field") }
        guard step.isNumeric, BSONValue.compare(step, .int32(0)) > 0 else {
            throw MongoError(.location(5_733_401), "The step parameter in a range statement must be a strictly positive numeric value")
        }
        if unit != nil && ExpressionArithmetic.doubleValue(step).rounded() != ExpressionArithmetic.doubleValue(step) {
            throw MongoError(.location(6_586_400), "The step parameter in a range statement must be a whole number when densifying a date range")
        }
        switch boundsValue {
        case .string("full"): bounds = .full
        case .string("partition"): bounds = .partition
        case .string:
            throw MongoError(.location(5_946_802), "Bounds string must either be 'full' or 'partition'")
        case .array(let pair):
            guard pair.count == 2 else {
                throw MongoError(.location(5_733_403), "A bounding array in a range statement must have exactly two elements")
            }
            guard BSONValue.compare(pair[0], pair[1]) <= 0 else {
                throw MongoError(.location(5_733_402), "A bounding array must be an ascending array of either two dates or two numbers")
            }
            if pair[0].isNumeric {
                guard unit == nil else { throw MongoError(.location(5_733_409), "Numeric bounds may not have unit parameter") }
                guard pair[1].isNumeric else {
                    throw MongoError(.location(5_733_406), "A bounding array must contain either both dates or both numeric types")
                }
                guard pair[0].type == pair[1].type && pair[0].type == step.type else {
                    throw MongoError(.location(5_876_900), "Upper bound, lower bound, and step must all have the same type")
                }
            } else if pair[0].type == .datetime {
                guard pair[1].type == .datetime else {
                    throw MongoError(.location(5_733_405), "A bounding array must contain either both dates or both numeric types")
                }
                guard unit != nil else { throw MongoError(.location(5_733_410), "A bounding array of dates must specify a unit") }
            } else {
                throw MongoError(.location(5_946_800), "Explicit bounds must be numeric or dates")
            }
            bounds = .explicit(pair[0], pair[1])
        default:
            throw MongoError(.location(5_733_404), "The bounds in a range statement must be the string 'full', 'partition', or an ascending array of two numbers or two dates")
        }
        for partition in partitions {
            if partition.hasPrefix(field) {
                throw MongoError(.location(8_993_000), "partitionByFields '\(partition)' cannot include field '\(field)' that is being densified.")
            }
            if field.hasPrefix(partition) {
                throw MongoError(.location(9_554_500), "field '\(field)' that is being densified cannot include partitionByFields '\(partition)'.")
            }
        }
        if case .partition = bounds, partitions.isEmpty {
            throw MongoError(.location(5_733_408), "One cannot specify the bounds as 'partition' without specifying a non-empty array of partitionByFields. You may have meant to specify 'full' bounds.")
        }
        if field.hasPrefix("$") || partitions.contains(where: { $0.hasPrefix("$") }) {
            throw MongoError(.location(16410), "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
        }
        self.field = try DocumentPaths.components(field)
        var partitionPaths: [[String]] = []
        for partition in partitions { partitionPaths.append(try DocumentPaths.components(partition)) }
        partitionByFields = partitionPaths
        self.step = step
        self.unit = unit
    }

    private static func wrongType(_ field: String, _ value: BSONValue, _ expected: String) -> MongoError {
        MongoError(.typeMismatch, "BSON field '$densify.\(field)' is the wrong type '\(value.type.alias)', expected type '\(expected)'")
    }

    /// `value + step` (in `unit`s for dates).
    func increment(_ value: BSONValue) throws(MongoError) -> BSONValue {
        if case .datetime(let date) = value, let unit {
            let millis = try ExpressionDates.add(date.millisecondsSinceEpoch, unit: unit, amount: ExpressionArithmetic.longValue(step), zone: .utc)
            return .datetime(BSONDateTime(millisecondsSinceEpoch: millis))
        }
        var sum = ExpressionArithmetic.Sum()
        try sum.add(value)
        try sum.add(step)
        return sum.value
    }

    /// Checks a field value against the range's kind: dates with a unit, numbers without.
    func validate(_ value: BSONValue) throws(MongoError) {
        if unit != nil {
            guard value.type == .datetime else {
                throw MongoError(.location(6_053_600), "Encountered non-date value in $densify field when unit was specified: \(ServerText.value(value))")
            }
        } else if !value.isNumeric {
            throw MongoError(.location(5_733_201), "Densify field type must be numeric, found \(ServerText.typeName(value))")
        }
    }
}

/// Holds the input, then emits each partition in field order with the missing steps added.
final class DensifySink: StageSink {
    let spec: DensifySpec
    private var passthrough: [BSONDocument] = []
    private var partitions: [[UInt8]: Int] = [:]
    private var groups: [(key: BSONDocument, entries: [(value: BSONValue, document: BSONDocument)])] = []
    private var budget: MemoryBudget
    /// The most documents one `$densify` may generate (MongoDB's default).
    static let maxGeneratedDocuments = 500_000

    init(_ spec: DensifySpec, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        budget = MemoryBudget(stage: "$densify", options: runtime.options)
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        try budget.charge(MemoryBudget.size(of: document))
        guard let value = DocumentPaths.value(at: spec.field, in: document), !ExpressionArithmetic.isNullish(value) else {
            passthrough.append(document)
            return true
        }
        try spec.validate(value)
        var key = BSONDocument()
        for path in spec.partitionByFields {
            if let part = DocumentPaths.value(at: path, in: document) { key = DocumentPaths.setting(path[...], to: part, in: key) }
        }
        let encoded = KeyEncoding.key(for: .document(key))
        if let index = partitions[encoded] {
            groups[index].entries.append((value, document))
        } else {
            partitions[encoded] = groups.count
            groups.append((key, [(value, document)]))
        }
        return true
    }

    override func finish() throws(MongoError) {
        runtime.peakMemory = max(runtime.peakMemory, budget.peak)
        var output = passthrough
        var globalMin: BSONValue?
        var globalMax: BSONValue?
        var sortedGroups = groups.map { group in
            (key: group.key, entries: group.entries.enumerated().sorted { a, b in
                let order = BSONValue.compare(a.element.value, b.element.value)
                return order != 0 ? order < 0 : a.offset < b.offset
            }.map(\.element))
        }
        sortedGroups.sort { BSONValue.compare(.document($0.key), .document($1.key)) < 0 }
        for group in sortedGroups {
            if let first = group.entries.first?.value, globalMin.map({ BSONValue.compare(first, $0) < 0 }) ?? true { globalMin = first }
            if let last = group.entries.last?.value, globalMax.map({ BSONValue.compare(last, $0) > 0 }) ?? true { globalMax = last }
        }
        var generated = 0
        for group in sortedGroups {
            // The values to generate: from `start`, stepping, while below `end` (or equal, when inclusive).
            let start: BSONValue
            let end: BSONValue
            let inclusive: Bool
            switch spec.bounds {
            case .full:
                guard let globalMin, let globalMax else { continue }
                (start, end, inclusive) = (globalMin, globalMax, true)
            case .partition:
                guard let first = group.entries.first?.value, let last = group.entries.last?.value else { continue }
                (start, end, inclusive) = (first, last, true)
            case .explicit(let lower, let upper):
                try spec.validate(lower)
                (start, end, inclusive) = (lower, upper, false)
            }
            func inRange(_ value: BSONValue) -> Bool {
                let order = BSONValue.compare(value, end)
                return inclusive ? order <= 0 : order < 0
            }
            func generate(_ value: BSONValue) throws(MongoError) {
                generated += 1
                // MongoDB's internalQueryMaxAllowedDensifyDocs: a step too small to move the
                // value (1E-6176 on 5) or a huge range would otherwise never end.
                guard generated <= Self.maxGeneratedDocuments else {
                    throw MongoError(.location(5_897_900), "Generated \(generated) documents in $densify, which is over the limit of \(Self.maxGeneratedDocuments). Increase the 'internalQueryMaxAllowedDensifyDocs' parameter to allow more generated documents")
                }
                try budget.charge(64)
                output.append(DocumentPaths.setting(spec.field[...], to: value, in: group.key))
            }
            // A step too small to move the value (1E-6176 on 5) would generate documents until
            // the limit; say so at once, with the limit's error.
            func advance(_ value: BSONValue) throws(MongoError) -> BSONValue {
                let next = try spec.increment(value)
                guard BSONValue.compare(next, value) > 0 else {
                    throw MongoError(.location(5_897_900), "The $densify step does not change the value \(ServerText.value(value)): it would generate more than \(Self.maxGeneratedDocuments) documents. Increase the 'internalQueryMaxAllowedDensifyDocs' parameter to allow more generated documents")
                }
                return next
            }
            var cursor = start
            for entry in group.entries {
                while inRange(cursor) && BSONValue.compare(cursor, entry.value) < 0 {
                    try generate(cursor)
                    cursor = try advance(cursor)
                }
                if BSONValue.compare(cursor, entry.value) == 0 { cursor = try advance(cursor) }
                output.append(entry.document)
            }
            while inRange(cursor) {
                try generate(cursor)
                cursor = try advance(cursor)
            }
        }
        groups = []
        partitions = [:]
        passthrough = []
        for document in output {
            guard try next.push(document) else { break }
        }
        try next.finish()
    }
}

/// `$fill`: a window stage for the `locf`/`linear` outputs, then `$ifNull`-style value fills.
struct FillSpec: Sendable {
    let window: WindowSpec?
    let values: [(path: [String], value: Expression)]

    /// Parses `{partitionBy, partitionByFields, sortBy, output}` with MongoDB's 6050200–6050204 errors.
    init(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.failedToParse, "The $fill stage specification must be an object, found \(ServerText.typeName(value))")
        }
        var partitionBy: BSONValue?
        var partitionByFields: [String]?
        var sortBy: BSONDocument?
        var output: BSONDocument?
        for (key, option) in spec.elements {
            switch key {
            case "partitionBy":
                guard option.type == .string || option.type == .document else {
                    throw MongoError(.typeMismatch, "BSON field '$fill.partitionBy' is the wrong type '\(option.type.alias)', expected types '[string, object]'")
                }
                partitionBy = option
            case "partitionByFields":
                guard case .array(let names) = option else {
                    throw MongoError(.typeMismatch, "BSON field '$fill.partitionByFields' is the wrong type '\(option.type.alias)', expected type 'array'")
                }
                var fields: [String] = []
                for name in names {
                    guard case .string(let text) = name else {
                        throw MongoError(.typeMismatch, "BSON field '$fill.partitionByFields' is the wrong type '\(name.type.alias)', expected type 'string'")
                    }
                    fields.append(text)
                }
                partitionByFields = fields
            case "sortBy":
                guard case .document(let sort) = option else {
                    throw MongoError(.typeMismatch, "BSON field '$fill.sortBy' is the wrong type '\(option.type.alias)', expected type 'object'")
                }
                sortBy = sort
            case "output":
                guard case .document(let fields) = option else {
                    throw MongoError(.typeMismatch, "BSON field '$fill.output' is the wrong type '\(option.type.alias)', expected type 'object'")
                }
                output = fields
            default:
                throw MongoError(.location(40415), "BSON field '$fill.\(key)' is an unknown field.")
            }
        }
        guard let output else { throw MongoError(.location(40414), "BSON field '$fill.output' is missing but a required field") }
        guard !output.isEmpty else {
            throw MongoError(.location(6_050_203), "The output field in '$fill' must contain an object with at least one element")
        }
        var windowOutputs: [BSONDocument] = []
        var values: [(path: [String], value: Expression)] = []
        for (field, fieldSpec) in output.elements {
            guard case .document(let fill) = fieldSpec else {
                throw MongoError(.location(6_050_200), "Each fill output specification must be an object with exactly one field")
            }
            for key in fill.keys where key != "method" && key != "value" {
                throw MongoError(.location(40415), "BSON field '$fill.output.\(key)' is an unknown field.")
            }
            if let method = fill["method"] {
                guard fill["value"] == nil else {
                    throw MongoError(.location(6_050_201), "Each fill output specification must have exactly one of 'method' or 'value' fields, not both")
                }
                guard case .string(let name) = method, name == "locf" || name == "linear" else {
                    throw MongoError(.location(6_050_202), "Method must be either locf or linear")
                }
                windowOutputs.append([field: .document([name == "linear" ? "$linearFill" : "$locf": .string("$" + field)])])
            }
            if let fillValue = fill["value"] {
                values.append((try DocumentPaths.components(field), try Expression.parse(fillValue, in: &context)))
            }
        }
        if partitionBy != nil && partitionByFields != nil {
            throw MongoError(.location(6_050_204), "Maximum one of 'partitionBy' and 'partitionByFields can be specified in '$fill'")
        }
        if windowOutputs.isEmpty {
            window = nil
        } else {
            var windowSpec = BSONDocument()
            var outputs = BSONDocument()
            for entry in windowOutputs { for (key, spec) in entry.elements { outputs.append(key, spec) } }
            windowSpec.append("output", .document(outputs))
            if let sortBy { windowSpec.append("sortBy", .document(sortBy)) }
            if let partitionBy { windowSpec.append("partitionBy", partitionBy) }
            if let partitionByFields {
                var partition = BSONDocument()
                for field in partitionByFields { partition.append(field, .string("$" + field)) }
                windowSpec.append("partitionBy", .document(partition))
            }
            let parsed = try WindowSpec(.document(windowSpec), &context)
            window = WindowSpec(partitionBy: parsed.partitionBy, sortBy: parsed.sortBy, outputs: parsed.outputs, stageName: "$fill")
        }
        self.values = values
    }

    /// The sinks: the window stage (if any methods) feeding the value fills (if any).
    func makeSink(next: DocumentSink, runtime: PipelineRuntime) -> DocumentSink {
        var sink = next
        if !values.isEmpty {
            let values = self.values
            sink = TransformSink(next: next, runtime: runtime) { (document, runtime) throws(MongoError) -> BSONDocument? in
                var output = document
                let scope = runtime.scope(for: document)
                for fill in values {
                    let current = DocumentPaths.value(at: fill.path, in: document)
                    if current == nil || ExpressionArithmetic.isNullish(current) {
                        output = DocumentPaths.setting(fill.path[...], to: try fill.value.evaluate(scope) ?? .null, in: output)
                    }
                }
                return output
            }
        }
        if let window { sink = WindowSink(window, next: sink, runtime: runtime) }
        return sink
    }
}
