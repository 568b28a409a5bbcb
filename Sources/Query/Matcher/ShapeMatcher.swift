// The compiled matcher (W4): a filter specialised per document shape. For each shape it
// meets, it resolves the filter's top-level fields to slots once; a field the shape lacks
// is decided as "missing" at compile time, so a shape that cannot match is rejected from
// its shape id alone, and present fields are read by slot without decoding the record.
// Anything it cannot decide from scalar fields falls back to the full Filter.

internal import BSON
internal import Documents

/// A filter compiled against the shapes of the records it meets. Not thread-safe: make one
/// per query execution.
final class ShapeMatcher {
    /// The filter being matched.
    let filter: Filter
    /// Per shape id, the compiled test (`nil` entries: the shape needs the full filter).
    private var plans = ShapeIDMap<CompiledNode>()
    private let root: FilterNode
    /// Records decided by their shape alone (no field read).
    private(set) var decidedByShape = 0
    /// Records that needed decoding and the full filter.
    private(set) var fullEvaluations = 0

    init(_ filter: Filter) {
        self.filter = filter
        root = filter.root
    }

    /// Whether the record matches; decodes it only when its fields cannot decide.
    func matches(_ record: Record) throws(MongoError) -> Bool {
        let plan: CompiledNode
        if let cached = plans[record.shapeID] {
            plan = cached
        } else {
            plan = Compiler(layout: record.layout).compile(root)
            plans[record.shapeID] = plan
        }
        if case let .constant(answer) = plan {
            decidedByShape += 1
            return answer
        }
        switch try plan.evaluate(record) {
        case .yes: return true
        case .no: return false
        case .unknown:
            fullEvaluations += 1
            let document: BSONDocument
            do {
                document = try record.document()
            } catch {
                throw MongoError(.internalError, "unreadable record: \(error.description)")
            }
            return filter.matches(document)
        }
    }
}

/// Three-valued truth: a compiled node may need the whole document to decide.
enum Truth {
    case yes, no, unknown

    init(_ flag: Bool) { self = flag ? .yes : .no }
}

/// A filter node specialised to one shape.
indirect enum CompiledNode {
    case constant(Bool)
    case and([CompiledNode])
    case or([CompiledNode])
    case nor([CompiledNode])
    /// A top-level field in `slot`, tested as a scalar.
    case slot(Int, ScalarTest)
    /// A top-level integer field (the shape says int32 or int64) compared with an integer:
    /// read with one load, compared as integers.
    case integerSlot(Int, IntegerComparison, Int64)
    /// A dotted path under an embedded document, read with `Record.field(atPath:)`.
    case path(String, ScalarTest)
    /// Cannot be decided from fields.
    case unknown

    func evaluate(_ record: Record) throws(MongoError) -> Truth {
        switch self {
        case let .constant(flag):
            return Truth(flag)
        case let .and(children):
            var sawUnknown = false
            for child in children {
                switch try child.evaluate(record) {
                case .no: return .no
                case .unknown: sawUnknown = true
                case .yes: break
                }
            }
            return sawUnknown ? .unknown : .yes
        case let .or(children):
            var sawUnknown = false
            for child in children {
                switch try child.evaluate(record) {
                case .yes: return .yes
                case .unknown: sawUnknown = true
                case .no: break
                }
            }
            return sawUnknown ? .unknown : .no
        case let .nor(children):
            switch try CompiledNode.or(children).evaluate(record) {
            case .yes: return .no
            case .no: return .yes
            case .unknown: return .unknown
            }
        case let .slot(slot, test):
            do {
                guard let field = try record.field(slot: slot) else { return test.evaluate(nil) }
                return test.evaluate(try ScalarTest.value(of: field))
            } catch {
                throw MongoError(.internalError, "unreadable record: \(error.description)")
            }
        case let .integerSlot(slot, comparison, operand):
            let value: Int64?
            do {
                value = try record.integer(slot: slot)
            } catch {
                throw MongoError(.internalError, "unreadable record: \(error.description)")
            }
            guard let value else { return .unknown }
            return Truth(comparison.holds(value, operand))
        case let .path(path, test):
            do {
                guard let field = try record.field(atPath: path) else {
                    // Missing, unless an array on the way would have been traversed.
                    return .unknown
                }
                return test.evaluate(try ScalarTest.value(of: field))
            } catch {
                throw MongoError(.internalError, "unreadable record: \(error.description)")
            }
        case .unknown:
            return .unknown
        }
    }
}

/// How an integer field compares with an integer operand.
enum IntegerComparison {
    case equal, greaterThan, greaterThanOrEqual, lessThan, lessThanOrEqual

    @inline(__always)
    func holds(_ value: Int64, _ operand: Int64) -> Bool {
        switch self {
        case .equal: value == operand
        case .greaterThan: value > operand
        case .greaterThanOrEqual: value >= operand
        case .lessThan: value < operand
        case .lessThanOrEqual: value <= operand
        }
    }

    /// The comparison and integer operand of `predicate`, when it is one of these with an
    /// int32 or int64 operand.
    static func from(_ predicate: PathPredicate) -> (IntegerComparison, Int64)? {
        let (comparison, operand): (IntegerComparison, BSONValue)
        switch predicate {
        case let .equal(value): (comparison, operand) = (.equal, value)
        case let .greaterThan(value): (comparison, operand) = (.greaterThan, value)
        case let .greaterThanOrEqual(value): (comparison, operand) = (.greaterThanOrEqual, value)
        case let .lessThan(value): (comparison, operand) = (.lessThan, value)
        case let .lessThanOrEqual(value): (comparison, operand) = (.lessThanOrEqual, value)
        default: return nil
        }
        switch operand {
        case let .int32(number): return (comparison, Int64(number))
        case let .int64(number): return (comparison, number)
        default: return nil
        }
    }
}

/// A predicate on one value reached without crossing an array.
struct ScalarTest {
    let predicate: PathPredicate

    /// The field's value, or `.array` marker `nil` handled by the caller; arrays make the
    /// test unknown (MongoDB matches arrays element-wise).
    static func value(of field: RecordField) throws(RecordError) -> BSONValue? {
        switch field.kind {
        case .int32: return field.int32.map(BSONValue.int32)
        case .int64: return field.int64.map(BSONValue.int64)
        case .double: return field.double.map(BSONValue.double)
        default: return try field.value()
        }
    }

    /// Evaluates on `value` (`nil`: the path is missing).
    func evaluate(_ value: BSONValue?) -> Truth {
        ScalarTest.evaluate(predicate, value)
    }

    /// Whether `predicate` can be compiled at all.
    static func isCompilable(_ predicate: PathPredicate) -> Bool {
        switch predicate {
        case let .equal(operand), let .greaterThan(operand), let .greaterThanOrEqual(operand),
             let .lessThan(operand), let .lessThanOrEqual(operand):
            return isPlainOperand(operand)
        case let .in(operands):
            return operands.allSatisfy(isPlainOperand)
        case .exists:
            return true
        case let .and(parts):
            return parts.allSatisfy(isCompilable)
        case let .not(inner):
            return isCompilable(inner)
        default:
            return false
        }
    }

    private static func isPlainOperand(_ value: BSONValue) -> Bool {
        switch value {
        case .array, .regex, .minKey, .maxKey, .undefined, .document: return false
        case let .double(number): return !number.isNaN
        case let .decimal128(number): return !number.isNaN
        default: return true
        }
    }

    private static func evaluate(_ predicate: PathPredicate, _ value: BSONValue?) -> Truth {
        if let value {
            switch value {
            case .array, .document, .undefined: return .unknown
            case let .double(number) where number.isNaN: return .unknown
            case let .decimal128(number) where number.isNaN: return .unknown
            default: break
            }
        }
        switch predicate {
        case let .equal(operand):
            guard let value else { return Truth(operand == .null) }
            return Truth(sameBracket(value, operand) && BSONValue.compare(value, operand) == 0)
        case let .greaterThan(operand):
            return compare(value, operand) { $0 > 0 }
        case let .greaterThanOrEqual(operand):
            guard value != nil || operand != .null else { return .yes }
            return compare(value, operand) { $0 >= 0 }
        case let .lessThan(operand):
            return compare(value, operand) { $0 < 0 }
        case let .lessThanOrEqual(operand):
            guard value != nil || operand != .null else { return .yes }
            return compare(value, operand) { $0 <= 0 }
        case let .in(operands):
            // Operands are sorted by BSON order without duplicates: search, don't scan.
            guard let value else { return Truth(InList.containsNull(operands)) }
            guard let found = InList.index(of: value, in: operands) else { return .no }
            return Truth(sameBracket(value, operands[found]))
        case let .exists(flag):
            return Truth((value != nil) == flag)
        case let .and(parts):
            var sawUnknown = false
            for part in parts {
                switch evaluate(part, value) {
                case .no: return .no
                case .unknown: sawUnknown = true
                case .yes: break
                }
            }
            return sawUnknown ? .unknown : .yes
        case let .not(inner):
            switch evaluate(inner, value) {
            case .yes: return .no
            case .no: return .yes
            case .unknown: return .unknown
            }
        default:
            return .unknown
        }
    }

    private static func compare(_ value: BSONValue?, _ operand: BSONValue, _ accept: (Int) -> Bool) -> Truth {
        guard let value else { return .no }
        guard sameBracket(value, operand) else { return .no }
        return Truth(accept(BSONValue.compare(value, operand)))
    }

    private static func sameBracket(_ a: BSONValue, _ b: BSONValue) -> Bool {
        a.type.canonicalRank == b.type.canonicalRank
    }
}

/// Specialises a filter tree to one shape's slot table.
struct Compiler {
    let layout: ShapeLayout

    func compile(_ node: FilterNode) -> CompiledNode {
        switch node {
        case let .constant(flag):
            return .constant(flag)
        case let .and(children):
            return simplifyAnd(children.map(compile))
        case let .or(children):
            return simplifyOr(children.map(compile))
        case let .nor(children):
            switch simplifyOr(children.map(compile)) {
            case let .constant(flag): return .constant(!flag)
            case let other: return .nor([other])
            }
        case let .path(path, predicate):
            guard ScalarTest.isCompilable(predicate) else { return .unknown }
            let test = ScalarTest(predicate: predicate)
            guard let first = path.components.first, let slot = layout.slot(named: first) else {
                // The shape lacks the field: decided now, for every record of the shape.
                switch test.evaluate(nil) {
                case .yes: return .constant(true)
                case .no: return .constant(false)
                case .unknown: return .unknown
                }
            }
            if path.components.count == 1 {
                let kind = layout.kinds[slot]
                if kind == .int32 || kind == .int64, let (comparison, operand) = IntegerComparison.from(predicate) {
                    return .integerSlot(slot, comparison, operand)
                }
                return .slot(slot, test)
            }
            switch layout.kinds[slot] {
            case .document:
                return .path(path.dotted, test)
            case .array:
                return .unknown
            default:
                // A dotted path under a scalar reaches nothing.
                switch test.evaluate(nil) {
                case .yes: return .constant(true)
                case .no: return .constant(false)
                case .unknown: return .unknown
                }
            }
        default:
            return .unknown
        }
    }

    private func simplifyAnd(_ children: [CompiledNode]) -> CompiledNode {
        var kept: [CompiledNode] = []
        for child in children {
            switch child {
            case .constant(false): return .constant(false)
            case .constant(true): continue
            default: kept.append(child)
            }
        }
        if kept.isEmpty { return .constant(true) }
        return kept.count == 1 ? kept[0] : .and(kept)
    }

    private func simplifyOr(_ children: [CompiledNode]) -> CompiledNode {
        var kept: [CompiledNode] = []
        for child in children {
            switch child {
            case .constant(true): return .constant(true)
            case .constant(false): continue
            default: kept.append(child)
            }
        }
        if kept.isEmpty { return .constant(false) }
        return kept.count == 1 ? kept[0] : .or(kept)
    }
}
