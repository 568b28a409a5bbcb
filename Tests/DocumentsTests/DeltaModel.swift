// The reference the delta tests compare against: MongoDB's documented `$set` and `$inc`
// semantics applied to a BSONDocument, and a seeded generator of nested documents and
// changes that reach existing counters, new fields, new subdocuments and wider integers.

import BSON
@testable import Documents

/// What MongoDB does with an update of `$set`/`$inc` changes, computed on plain BSON.
enum DeltaModel {
    enum Result: Equatable {
        /// The update succeeds with this document; `modified` as MongoDB's `nModified`.
        case updated(BSONDocument, modified: Bool)
        /// MongoDB rejects the update (conflicting paths, a path through a scalar, `$inc` on
        /// a non-number, int64 overflow).
        case rejected
        /// The path goes through an array: not modelled here (deltas never apply there).
        case throughArray
    }

    /// Applies `changes` as one update. Order per the MongoDB manual ("Update Operators ›
    /// Behavior"): "update operators process document fields with string-based names in
    /// lexicographic order. Fields with numeric names are processed in numeric order."
    static func apply(_ changes: [FieldDelta], to document: BSONDocument) -> Result {
        let paths = changes.map(path(of:))
        for (i, a) in paths.enumerated() {
            for b in paths[(i + 1)...] where a.starts(with: b) || b.starts(with: a) {
                return .rejected  // ConflictingUpdateOperators (40)
            }
        }
        let ordered = changes.sorted { precedes(path(of: $0), path(of: $1)) }
        var result = document
        for change in ordered {
            switch apply(change, path: path(of: change)[...], to: &result) {
            case .ok: continue
            case let failure: return failure == .array ? .throughArray : .rejected
            }
        }
        return .updated(result, modified: result != document)
    }

    private enum Step { case ok, rejected, array }

    private static func apply(_ change: FieldDelta, path: ArraySlice<String>, to document: inout BSONDocument) -> Step {
        guard let name = path.first else { return .rejected }
        let rest = path.dropFirst()
        if rest.isEmpty {
            switch change {
            case let .set(_, value):
                document[name] = value
                return .ok
            case let .increment(_, amount):
                guard let current = document[name] else {
                    document.append(name, amount)  // "$inc creates the field and sets the field to the specified value"
                    return .ok
                }
                guard let sum = add(current, amount) else { return .rejected }
                document[name] = sum
                return .ok
            }
        }
        switch document[name] {
        case nil:
            // "$set will create the embedded documents as needed to fulfill the dotted path"
            var inner = BSONDocument()
            let step = apply(change, path: rest, to: &inner)
            if step == .ok { document.append(name, .document(inner)) }
            return step
        case var .document(inner)?:
            let step = apply(change, path: rest, to: &inner)
            if step == .ok { document[name] = .document(inner) }
            return step
        case .array?:
            return .array
        default:
            return .rejected  // PathNotViable (28): cannot create a field in a scalar
        }
    }

    /// `$inc` arithmetic: int32 overflow becomes an int64; int with int64 gives an int64;
    /// anything with a double gives a double; an int64 overflow and non-numbers are errors.
    static func add(_ current: BSONValue, _ amount: BSONValue) -> BSONValue? {
        switch (current, amount) {
        case let (.int32(a), .int32(b)):
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? .int64(Int64(a) + Int64(b)) : .int32(sum)
        case let (.int32(a), .int64(b)), let (.int64(b), .int32(a)):
            let (sum, overflow) = Int64(a).addingReportingOverflow(b)
            if overflow { return Optional.none }  // BSONValue is nil-literal expressible: be explicit
            return .int64(sum)
        case let (.int64(a), .int64(b)):
            let (sum, overflow) = a.addingReportingOverflow(b)
            if overflow { return Optional.none }  // BSONValue is nil-literal expressible: be explicit
            return .int64(sum)
        case let (.double(a), .double(b)): return .double(a + b)
        case let (.double(a), .int32(b)): return .double(a + Double(b))
        case let (.double(a), .int64(b)): return .double(a + Double(b))
        case let (.int32(a), .double(b)): return .double(Double(a) + b)
        case let (.int64(a), .double(b)): return .double(Double(a) + b)
        default: return Optional.none
        }
    }

    static func path(of change: FieldDelta) -> [String] {
        switch change {
        case let .set(path, _), let .increment(path, _): path
        }
    }

    static func precedes(_ lhs: [String], _ rhs: [String]) -> Bool {
        for (a, b) in zip(lhs, rhs) where a != b {
            if let x = Int(a), let y = Int(b), a.allSatisfy(\.isNumber), b.allSatisfy(\.isNumber) { return x < y }
            return a < b
        }
        return lhs.count < rhs.count
    }
}

/// Seeded random documents and changes for the delta model test.
struct DeltaFuzz {
    var random: KeyOrderRandom
    static let names = ["a", "b", "c", "n", "9", "10", "hits", "x"]

    init(seed: UInt64) { random = KeyOrderRandom(seed: seed) }

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func integer() -> BSONValue {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return .int32(Int32.random(in: -3...3, using: &random))
        case 1: return .int32(pick([126, 127, 128, 255, 256, 32_767, -129, Int32.max - 1, Int32.min + 1]))
        case 2: return .int64(Int64.random(in: -1000...1000, using: &random))
        case 3: return .int64(pick([Int64(Int32.max) + 5, 1 << 40, -(1 << 47), Int64.max - 2]))
        case 4: return .int32(Int32.random(in: -100_000...100_000, using: &random))
        default: return .int32(Int32.random(in: 0...20, using: &random))
        }
    }

    mutating func scalar() -> BSONValue {
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1, 2, 3: return integer()
        case 4: return .double(pick([0.5, 1.25, -3.0, 1e10, 7.0]))
        case 5: return .bool(chance(50))
        case 6: return .string(pick(["", "s", "longer string"]))
        case 7: return .datetime(BSONDateTime(millisecondsSinceEpoch: pick([0, 1, 1_700_000_000_000, -5])))
        case 8: return .null
        default: return .objectId(ObjectId(bytes: [UInt8](repeating: UInt8.random(in: 0...255, using: &random), count: 12)) ?? ObjectId())
        }
    }

    mutating func document(depth: Int = 1) -> BSONDocument {
        var document = BSONDocument()
        for name in Self.names.shuffled(using: &random).prefix(Int.random(in: 0...4, using: &random)) {
            if depth < 3, chance(30) {
                document.append(name, .document(self.document(depth: depth + 1)))
            } else if chance(5) {
                document.append(name, .array([integer(), scalar()]))
            } else {
                document.append(name, scalar())
            }
        }
        return document
    }

    /// Paths of every field of `document` (leaves and subdocuments).
    static func paths(in document: BSONDocument, prefix: [String] = []) -> [[String]] {
        var result: [[String]] = []
        for element in document {
            let path = prefix + [element.key]
            result.append(path)
            if case let .document(inner) = element.value { result += paths(in: inner, prefix: path) }
        }
        return result
    }

    /// One to three changes: mostly increments of existing counters, also new fields (some
    /// under missing subdocuments), sets of same-typed values, now and then a type change,
    /// a path through a scalar or an array, or conflicting paths.
    mutating func changes(for document: BSONDocument) -> [FieldDelta] {
        let fields = Self.paths(in: document).filter { $0.first != "_id" }
        let containers = [[]] + fields.filter { path in
            if case .document? = Self.value(at: path, in: document) { true } else { false }
        }
        let numbers = fields.filter { Self.value(at: $0, in: document)?.isNumeric ?? false }
        var changes: [FieldDelta] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            var path: [String]
            let increment = chance(70)
            if increment, !numbers.isEmpty, chance(60) {
                path = pick(numbers)
            } else if !fields.isEmpty, chance(50) {
                path = pick(fields)
                if chance(5) { path.append(pick(Self.names)) }
            } else {
                path = pick(containers) + [pick(Self.names)]
                if chance(30) { path.append(pick(Self.names)) }
            }
            let paths = changes.map(DeltaModel.path(of:))
            if !chance(3), paths.contains(where: { $0.starts(with: path) || path.starts(with: $0) }) { continue }
            let current = Self.value(at: path, in: document)
            if increment {
                let amount: BSONValue
                switch current {
                case .double?: amount = chance(50) ? .double(pick([0.5, 2.0, 0.0])) : integer()
                case .int64?: amount = chance(80) ? .int64(Int64.random(in: -5...1 << 33, using: &random)) : integer()
                default: amount = chance(90) ? integer() : .double(pick([0.5, 2.0, 0.0]))
                }
                changes.append(.increment(path: path, by: amount))
            } else {
                var value = scalar()
                // Mostly a value of the field's own type, so the change can stay a delta.
                if let current, chance(70) {
                    switch current {
                    case .int32: value = .int32(Int32.random(in: -300...70_000, using: &random))
                    case .int64: value = .int64(Int64.random(in: -(1 << 40)...(1 << 40), using: &random))
                    case .double: value = .double(Double(Int.random(in: -50...50, using: &random)) / 4)
                    case .bool: value = .bool(chance(50))
                    case .datetime: value = .datetime(BSONDateTime(millisecondsSinceEpoch: Int64.random(in: 0...(1 << 42), using: &random)))
                    case .null: value = .null
                    default: break
                    }
                }
                changes.append(.set(path: path, value: value))
            }
        }
        return changes
    }

    /// The value at `path` in `document`, through embedded documents only.
    static func value(at path: [String], in document: BSONDocument) -> BSONValue? {
        guard let first = path.first, let value = document[first] else { return nil }
        if path.count == 1 { return value }
        guard case let .document(inner) = value else { return nil }
        return Self.value(at: Array(path.dropFirst()), in: inner)
    }
}
