// RecordPatchRequest: the field changes of one delta update, checked and put in the order
// MongoDB applies them, plus the test whether any index key pattern reads one of the paths.
// Owns path validation and ordering; knows nothing of records or storage.

import BSON

/// The changes of one update that may become a record patch: every path valid, none a prefix
/// of another, ordered as MongoDB (5.0 and later) processes update fields.
struct RecordPatchRequest: Sendable {
    /// One change: a path and what to do there.
    struct Change: Sendable {
        /// What the change does.
        enum Operation: Sendable {
            /// `$set`: the field becomes `value`.
            case set(BSONValue)
            /// `$inc`: the field grows by `amount` (a number).
            case increment(BSONValue)
        }

        let path: [String]
        let operation: Operation

        /// The value a field that does not exist yet gets: `$set`'s value, or for `$inc` the
        /// amount itself (MongoDB: "If the field does not exist, $inc creates the field and
        /// sets the field to the specified value").
        var valueForNewField: BSONValue {
            switch operation {
            case let .set(value), let .increment(value): value
            }
        }
    }

    let changes: [Change]

    /// The changes, or `nil` when a delta cannot express them: an empty path or component, a
    /// component naming an operator or array position (`$`, `$[]`), a NUL byte, a change to
    /// `_id`, an `$inc` by something other than an int32, int64 or double, or two paths of
    /// which one is a prefix of (or equal to) the other (MongoDB rejects those; the full
    /// update path reports the error).
    init?(_ deltas: [FieldDelta]) {
        var changes: [Change] = []
        changes.reserveCapacity(deltas.count)
        for delta in deltas {
            let change: Change
            switch delta {
            case let .set(path, value):
                change = Change(path: path, operation: .set(value))
            case let .increment(path, amount):
                switch amount {
                case .int32, .int64, .double: break
                default: return nil
                }
                change = Change(path: path, operation: .increment(amount))
            }
            guard let first = change.path.first, first != "_id" else { return nil }
            for component in change.path {
                guard let lead = component.utf8.first, lead != UInt8(ascii: "$"), !component.utf8.contains(0) else { return nil }
            }
            changes.append(change)
        }
        changes.sort { Self.precedes($0.path, $1.path) }
        for index in changes.indices.dropFirst() where Self.isPrefix(changes[index - 1].path, of: changes[index].path) {
            // Sorted order puts a path right before the paths it prefixes.
            return nil
        }
        self.changes = changes
    }

    /// MongoDB's update field order: component by component; two all-digit names compare as
    /// numbers ("a.2" before "a.10"), other names by their bytes.
    static func precedes(_ lhs: [String], _ rhs: [String]) -> Bool {
        for (left, right) in zip(lhs, rhs) where left != right {
            return precedes(left, right)
        }
        return lhs.count < rhs.count
    }

    /// MongoDB's order of two distinct field names at one level.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8, right = rhs.utf8
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if left.allSatisfy(isDigit), right.allSatisfy(isDigit) {
            // Strip leading zeros, then a shorter number is smaller; ties by bytes.
            let l = left.drop { $0 == UInt8(ascii: "0") }, r = right.drop { $0 == UInt8(ascii: "0") }
            if l.count != r.count { return l.count < r.count }
            if !l.elementsEqual(r) { return l.lexicographicallyPrecedes(r) }
        }
        return left.lexicographicallyPrecedes(right)
    }

    /// Whether `prefix` equals `path` or is a proper prefix of it, component by component.
    static func isPrefix(_ prefix: [String], of path: [String]) -> Bool {
        prefix.count <= path.count && zip(prefix, path).allSatisfy { $0 == $1 }
    }

    // MARK: Indexes

    /// Whether any of `indexes` reads a changed path: a key field equal to, a prefix of, or
    /// under a path; a wildcard key over a path; or a field its partial filter names (an
    /// update there can move the document into or out of the index).
    func touches(_ indexes: [IndexDescription]) -> Bool {
        for index in indexes {
            for field in Self.fieldsRead(by: index) {
                if field.isEmpty { return true }  // `$**`: every path
                for change in changes where Self.isPrefix(field, of: change.path) || Self.isPrefix(change.path, of: field) {
                    return true
                }
            }
        }
        return false
    }

    /// The paths an index reads, as components; an empty path means every field.
    static func fieldsRead(by index: IndexDescription) -> [[String]] {
        var fields: [[String]] = []
        func add(_ dotted: String) {
            var components = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // A wildcard covers everything under its prefix.
            if components.last == "$**" { components.removeLast() }
            fields.append(components)
        }
        for element in index.key {
            add(element.key)
            // A text index also reads the fields its weights name.
            if element.value == .string("text") {
                if case let .document(weights)? = index.options["weights"] {
                    for weight in weights { add(weight.key) }
                }
            }
        }
        if case let .document(filter)? = index.options["partialFilterExpression"] {
            collectFilterFields(filter, into: &fields)
        }
        if case let .document(projection)? = index.options["wildcardProjection"], !projection.isEmpty {
            // Which fields a wildcard projection admits is the index layer's business; assume all.
            fields.append([])
        }
        return fields
    }

    /// The field paths a filter document names: its non-operator keys, and those inside
    /// `$and`, `$or` and `$nor` lists.
    static func collectFilterFields(_ filter: BSONDocument, into fields: inout [[String]]) {
        for element in filter {
            if element.key.utf8.first == UInt8(ascii: "$") {
                if case let .array(clauses) = element.value {
                    for clause in clauses {
                        if case let .document(document) = clause { collectFilterFields(document, into: &fields) }
                    }
                }
            } else {
                fields.append(element.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
            }
        }
    }
}
