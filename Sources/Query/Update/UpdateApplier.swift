// UpdateApplier: runs an update tree over an EditNode document the way MongoDB's
// UpdateObjectNode/UpdateArrayNode/ModifierNode apply() do: walking existing elements,
// collecting the missing tail of a path, creating it at the leaf, and recording no-ops.

internal import BSON
internal import Collation
internal import Documents

/// One application of an update tree to one document.
struct UpdateApplier {
    /// The document being edited.
    let root: EditNode
    /// The array index the query matched, for the positional `$`.
    let matchedField: String?
    /// Whether the document is being created by an upsert (`$setOnInsert` applies).
    let isInsert: Bool
    /// Whether top-level `$`-prefixed field names are rejected (not while building an upsert).
    let validateForStorage: Bool
    /// The time `$currentDate` writes.
    let now: BSONDateTime
    /// The compiled array filters by identifier.
    let arrayFilters: [String: Filter]
    /// The update's collation: `$min`/`$max`, `$addToSet`, `$pullAll` and `$push`'s `$sort`
    /// compare under it.
    let collator: Collator?
    /// The paths that changed, in the order they changed.
    private(set) var changedPaths: [[String]] = []

    init(root: EditNode, matchedField: String?, isInsert: Bool, validateForStorage: Bool, now: BSONDateTime,
         arrayFilters: [String: Filter], collator: Collator?) {
        self.root = root
        self.matchedField = matchedField
        self.isInsert = isInsert
        self.validateForStorage = validateForStorage
        self.now = now
        self.arrayFilters = arrayFilters
        self.collator = collator
    }

    /// Where a node applies: the deepest existing element on its path, the components that
    /// led there, and the components below it that do not exist (yet).
    struct Position {
        var element: EditNode
        var parent: EditNode?
        var pathTaken: [String]
        var pathToCreate: [String]
    }

    /// Applies `node` at `position`; returns whether anything changed.
    mutating func apply(_ node: UpdateNode, at position: Position) throws(MongoError) -> Bool {
        switch node {
        case .object(let object): try applyObject(object, at: position)
        case .array(let array): try applyArray(array, at: position)
        case .leaf(let modifier): try applyLeaf(modifier, at: position)
        }
    }

    // MARK: - Inner nodes

    private mutating func applyObject(_ node: ObjectNode, at start: Position) throws(MongoError) -> Bool {
        var pending = node.positional
        if pending != nil && matchedField == nil {
            throw MongoError(.badValue, "The positional operator did not find the match needed from the query.")
        }
        let matched = matchedField ?? ""
        var position = start
        var modified = false
        for (name, child) in node.children {
            if let positional = pending, name.hasSameBytes(as: matched) {
                let path = position.pathTaken + position.pathToCreate + [matched]
                let merged = try UpdateNode.merged(positional, child, path: path)
                modified = try applyChild(merged, named: name, at: &position) || modified
                pending = nil
                continue
            }
            if let positional = pending, matched.utf8.lexicographicallyPrecedes(name.utf8) {
                modified = try applyChild(positional, named: matched, at: &position) || modified
                pending = nil
            }
            modified = try applyChild(child, named: name, at: &position) || modified
        }
        if let positional = pending {
            modified = try applyChild(positional, named: matched, at: &position) || modified
        }
        return modified
    }

    private mutating func applyChild(_ child: UpdateNode, named field: String,
                                     at position: inout Position) throws(MongoError) -> Bool {
        let childPosition: Position
        if !position.pathToCreate.isEmpty {
            childPosition = Position(element: position.element, parent: position.parent,
                                     pathTaken: position.pathTaken, pathToCreate: position.pathToCreate + [field])
        } else if let existing = position.element.child(for: field) {
            childPosition = Position(element: existing, parent: position.element,
                                     pathTaken: position.pathTaken + [field], pathToCreate: [])
        } else {
            childPosition = Position(element: position.element, parent: position.parent,
                                     pathTaken: position.pathTaken, pathToCreate: [field])
        }
        let modified = try apply(child, at: childPosition)
        // A child may have created the missing part of this node's path; later siblings then
        // work below it.
        if !position.pathToCreate.isEmpty, var element = position.element.child(for: position.pathToCreate[0]) {
            var parent = position.element
            for component in position.pathToCreate.dropFirst() {
                guard let next = element.child(for: component) else { break }
                parent = element
                element = next
            }
            position = Position(element: element, parent: parent,
                                pathTaken: position.pathTaken + position.pathToCreate, pathToCreate: [])
        }
        return modified
    }

    private mutating func applyArray(_ node: ArrayNode, at position: Position) throws(MongoError) -> Bool {
        if !position.pathToCreate.isEmpty {
            let path = (position.pathTaken + position.pathToCreate).joined(separator: ".")
            throw MongoError(.badValue, "The path '\(path)' must exist in the document in order to apply array updates.")
        }
        let array = position.element
        guard array.isArray else {
            throw MongoError(.badValue, "Cannot apply array updates to non-array element \(array.text)")
        }
        // Which children apply to which element is decided before anything changes.
        let elements = array.children
        var plan: [(index: Int, updates: [UpdateNode])] = []
        for (index, element) in elements.enumerated() {
            var value: BSONValue?
            var updates: [UpdateNode] = []
            for (identifier, child) in node.children {
                if identifier.isEmpty {
                    updates.append(child)
                    continue
                }
                let elementValue = value ?? element.value
                value = elementValue
                if let filter = arrayFilters[identifier], filter.matches(BSONDocument([(identifier, elementValue)])) {
                    updates.append(child)
                }
            }
            if !updates.isEmpty { plan.append((index, updates)) }
        }
        var modified = false
        for (index, updates) in plan {
            let path = position.pathTaken + [String(index)]
            var merged = updates[0]
            for update in updates.dropFirst() {
                merged = try UpdateNode.merged(merged, update, path: path)
            }
            let elementPosition = Position(element: elements[index], parent: array, pathTaken: path, pathToCreate: [])
            modified = try apply(merged, at: elementPosition) || modified
        }
        return modified
    }

    // MARK: - Leaves

    private mutating func applyLeaf(_ modifier: Modifier, at position: Position) throws(MongoError) -> Bool {
        switch modifier {
        case .setOnInsert where !isInsert, .renameSource:
            return false
        case let .rename(from, fromDotted, toDotted):
            return try applyRename(from: from, fromDotted: fromDotted, toDotted: toDotted, at: position)
        default:
            break
        }
        if position.pathToCreate.isEmpty {
            guard try updateExisting(modifier, position) else { return false }
            try checkImmutableExisting(position.pathTaken)
            switch modifier {
            case .unset, .pop, .pull, .pullAll:
                break  // removing never makes a field name invalid
            default:
                try validateStorage(position.element, level: position.pathTaken.count)
            }
            changedPaths.append(position.pathTaken)
            return true
        }
        guard modifier.createsMissingField else {
            if case .unset = modifier { return false }
            try checkViability(position)
            return false
        }
        try create(try newValue(modifier), at: position)
        return true
    }

    /// Creates the missing path of `position` holding `value`.
    private mutating func create(_ value: BSONValue, at position: Position) throws(MongoError) {
        let element = position.element
        let first = try createPath(position.pathToCreate, under: element, value: value)
        try validateStorage(first, level: position.pathTaken.count + 1)
        if position.pathTaken.first == "_id" {
            throw MongoError(.immutableField, "Updating the path '\(position.pathTaken.joined(separator: "."))' to "
                             + "\(element.text) would modify the immutable field '_id'")
        }
        // Adding to an array changes the array as a whole.
        changedPaths.append(element.isArray ? position.pathTaken : position.pathTaken + position.pathToCreate)
    }

    /// MongoDB's `pathsupport::createPathAt`: pads an array with nulls up to a numeric
    /// component, then nests documents down to the new value. Returns the first new element.
    private func createPath(_ components: [String], under element: EditNode,
                            value: BSONValue) throws(MongoError) -> EditNode {
        func cannotCreate() -> MongoError {
            MongoError(.pathNotViable, "Cannot create field '\(components[0])' in element {\(element.text)}")
        }
        func nested(_ rest: ArraySlice<String>) -> BSONValue {
            guard let name = rest.first else { return value }
            return .document(BSONDocument([(name, nested(rest.dropFirst()))]))
        }
        switch element.type {
        case .document:
            let node = EditNode(name: components[0], value: nested(components.dropFirst()))
            element.append(node)
            return node
        case .array:
            guard let index = arrayIndex(components[0]) else { throw cannotCreate() }
            let count = element.children.count
            if index > count {
                if index - count > 1_500_000 {
                    throw MongoError(.cannotBackfillArray, "can't backfill more than 1500000 elements")
                }
                for _ in count..<index { element.append(EditNode(name: "", value: .null)) }
            }
            let node = EditNode(name: "", value: nested(components.dropFirst()))
            element.append(node)
            return node
        default:
            throw cannotCreate()
        }
    }

    /// MongoDB's `UpdateLeafNode::checkViability`, for modifiers that never create fields.
    private func checkViability(_ position: Position) throws(MongoError) {
        let element = position.element
        if element.isDocument { return }
        if element.isArray, arrayIndex(position.pathToCreate[0]) != nil { return }
        let path = (position.pathTaken + position.pathToCreate).joined(separator: ".")
        throw MongoError(.pathNotViable, "Cannot use the part (\(position.pathToCreate[0])) of (\(path)) "
                         + "to traverse the element ({\(element.text)})")
    }

    /// `_id` may not change: an existing element at or below it was modified.
    private func checkImmutableExisting(_ pathTaken: [String]) throws(MongoError) {
        if pathTaken.first == "_id" {
            throw MongoError(.immutableField, "Performing an update on the path '\(pathTaken.joined(separator: "."))' "
                             + "would modify the immutable field '_id'")
        }
    }

    /// Storage validation of an updated element: a top-level field may not start with `$`.
    private func validateStorage(_ element: EditNode, level: Int) throws(MongoError) {
        guard validateForStorage, level == 1, element.name.hasPrefix("$"),
              let index = root.children.firstIndex(where: { $0 === element }) else { return }
        try StorageValidation.validateDollarPrefixed(at: index, in: root.documentValue, fullName: element.name)
    }

    // MARK: - Modifiers on existing elements

    /// `_id: <value>` of the document, as mongod prints it, or its stand-in when absent.
    private func idText(missing: String) -> String {
        root.child(named: "_id")?.text ?? missing
    }

    /// Applies `modifier` to the existing element at `position`; returns whether it changed.
    private func updateExisting(_ modifier: Modifier, _ position: Position) throws(MongoError) -> Bool {
        let element = position.element
        let current = element.value
        let dotted = position.pathTaken.joined(separator: ".")
        switch modifier {
        case .set(let value), .setOnInsert(let value):
            if current == value { return false }
            element.setValue(value)
            return true
        case .unset:
            guard let parent = position.parent else { return false }
            if parent.isArray {
                // An array keeps its length: the element becomes null.
                element.setValue(.null)
            } else {
                parent.remove(element)
            }
            return true
        case .inc(let amount), .mul(let amount):
            let name = if case .inc = modifier { "$inc" } else { "$mul" }
            guard current.isNumeric else {
                throw MongoError(.typeMismatch, "Cannot apply \(name) to a value of non-numeric type. "
                                 + "{\(idText(missing: "INVALID-MUTABLE-ELEMENT"))} has the field '\(element.name)' "
                                 + "of non-numeric type \(current.type.alias)")
            }
            let result = if case .inc = modifier {
                NumericArithmetic.add(amount, current)
            } else {
                NumericArithmetic.multiply(amount, current)
            }
            guard let result else {
                throw MongoError(.badValue, "Failed to apply \(name) operations to current value "
                                 + "(\(ValueText.number(current))) for document {\(idText(missing: "no id"))}")
            }
            if NumericArithmetic.isIdentical(result, current) { return false }
            element.setValue(result)
            return true
        case .min(let value), .max(let value):
            let order = BSONValue.compare(current, value, collator: collator)
            let keep = if case .max = modifier { order >= 0 } else { order <= 0 }
            if keep { return false }
            element.setValue(value)
            return true
        case .currentDate(let asTimestamp):
            element.setValue(currentTime(asTimestamp: asTimestamp))
            return true
        case .bit(let steps):
            guard current.type == .int32 || current.type == .int64 else {
                throw MongoError(.badValue, "Cannot apply $bit to a value of non-integral type."
                                 + "\(idText(missing: "INVALID-MUTABLE-ELEMENT")) has the field \(element.name) "
                                 + "of non-integer type \(current.type.alias)")
            }
            let result = try applyBits(steps, to: current)
            if NumericArithmetic.isIdentical(result, current) { return false }
            element.setValue(result)
            return true
        case .push(let spec):
            guard case .array(var values) = current else {
                throw MongoError(.badValue, "The field '\(dotted)' must be an array but is of type "
                                 + "\(current.type.alias) in document {\(idText(missing: "no id"))}")
            }
            guard Self.push(spec, into: &values, collator: collator) else { return false }
            element.setValue(.array(values))
            return true
        case .addToSet(let additions):
            guard case .array(var values) = current else {
                throw MongoError(.badValue, "Cannot apply $addToSet to non-array field. Field named "
                                 + "'\(element.name)' has non-array type \(current.type.alias)")
            }
            let missing = additions.filter { addition in
                !values.contains { BSONValue.compare($0, addition, collator: collator) == 0 }
            }
            if missing.isEmpty { return false }
            values.append(contentsOf: missing)
            element.setValue(.array(values))
            return true
        case .pop(let fromFront):
            guard case .array(var values) = current else {
                throw MongoError(.typeMismatch, "Path '\(dotted)' contains an element of non-array type "
                                 + "'\(current.type.alias)'")
            }
            if values.isEmpty { return false }
            if fromFront { values.removeFirst() } else { values.removeLast() }
            element.setValue(.array(values))
            return true
        case .pull, .pullAll:
            guard case .array(let values) = current else {
                throw MongoError(.badValue, "Cannot apply $pull to a non-array value")
            }
            let kept: [BSONValue]
            if case .pull(let condition) = modifier {
                kept = values.filter { !condition.removes($0) }
            } else if case .pullAll(let removals) = modifier {
                kept = values.filter { value in !removals.contains { BSONValue.compare(value, $0, collator: collator) == 0 } }
            } else {
                kept = values
            }
            if kept.count == values.count { return false }
            element.setValue(.array(kept))
            return true
        case .rename, .renameSource:
            return false
        }
    }

    /// The value a creating modifier gives a field that did not exist.
    private func newValue(_ modifier: Modifier) throws(MongoError) -> BSONValue {
        switch modifier {
        case .set(let value), .setOnInsert(let value), .min(let value), .max(let value), .inc(let value):
            return value
        case .mul(let factor):
            // The product with zero keeps the factor's type (and a double's sign).
            return NumericArithmetic.multiply(factor, .int32(0)) ?? .int32(0)
        case .currentDate(let asTimestamp):
            return currentTime(asTimestamp: asTimestamp)
        case .bit(let steps):
            return try applyBits(steps, to: .int32(0))
        case .push(let spec):
            var values: [BSONValue] = []
            _ = Self.push(spec, into: &values, collator: collator)
            return .array(values)
        case .addToSet(let values):
            return .array(values)
        case .unset, .pop, .pull, .pullAll, .rename, .renameSource:
            return .null
        }
    }

    private func currentTime(asTimestamp: Bool) -> BSONValue {
        if asTimestamp {
            let seconds = UInt32(clamping: max(0, now.millisecondsSinceEpoch / 1000))
            return .timestamp(BSONTimestamp(timestamp: seconds, increment: 1))
        }
        return .datetime(now)
    }

    private func applyBits(_ steps: [Modifier.BitStep], to start: BSONValue) throws(MongoError) -> BSONValue {
        var value = start
        for step in steps {
            guard let next = NumericArithmetic.bitwise(step.operation, value, step.operand) else {
                throw MongoError(.badValue, "Failed to apply $bit operations to current value: \(ValueText.number(value))")
            }
            value = next
        }
        return value
    }

    /// `$push` into `values`; returns whether the array counts as modified.
    private static func push(_ spec: Modifier.PushSpec, into values: inout [BSONValue], collator: Collator?) -> Bool {
        var modified = false
        if !spec.values.isEmpty {
            let count = Int64(values.count)
            let index: Int
            if values.isEmpty {
                index = 0
            } else if let position = spec.position, position <= count {
                if position >= 0 {
                    index = Int(position)
                } else if position.magnitude < UInt64(count) {
                    index = Int(count - Int64(position.magnitude))
                } else {
                    index = 0
                }
            } else {
                index = values.count
            }
            values.insert(contentsOf: spec.values, at: index)
            modified = true
        }
        if let sort = spec.sort {
            values = PushSorter(sort, collator: collator).sorted(values)
            modified = true
        }
        if let slice = spec.slice {
            let limit = slice.magnitude
            if UInt64(values.count) > limit {
                let keep = Int(limit)
                values = slice >= 0 ? Array(values.prefix(keep)) : Array(values.suffix(keep))
                modified = true
            }
        }
        return modified
    }

    // MARK: - $rename

    private mutating func applyRename(from: [String], fromDotted: String, toDotted: String,
                                      at position: Position) throws(MongoError) -> Bool {
        // Find the source the way findLongestPrefix does, from the root.
        var nodes: [EditNode] = [root]
        var current = root
        var viable = true
        var found = true
        for component in from {
            let next: EditNode?
            switch current.type {
            case .document:
                next = current.child(named: component)
            case .array:
                guard let index = arrayIndex(component) else {
                    viable = false
                    next = nil
                    break
                }
                next = current.child(at: index)
            default:
                viable = false
                next = nil
            }
            if !viable { break }
            guard let next else {
                found = false
                break
            }
            current = next
            nodes.append(next)
        }
        if !viable {
            let part = from[nodes.count - 2]
            throw MongoError(.pathNotViable, "cannot use the part (\(part) of \(fromDotted)) to traverse the element "
                             + "({\(current.text)})")
        }
        guard found else { return false }
        let source = current
        let sourceParent = nodes[nodes.count - 2]

        // Neither end may be inside an array.
        for ancestor in nodes.dropFirst().dropLast().reversed() where ancestor.isArray {
            throw MongoError(.badValue, "The source field cannot be an array element, '\(fromDotted)' in doc with "
                             + "\(idText(missing: "no id")) has an array field called '\(ancestor.name)'")
        }
        var targetNodes: [EditNode] = []
        var walker = root
        for component in position.pathTaken {
            guard let next = walker.child(for: component) else { break }
            targetNodes.append(next)
            walker = next
        }
        let candidates = position.pathToCreate.isEmpty ? Array(targetNodes.dropLast()) : targetNodes
        for ancestor in candidates.reversed() where ancestor.isArray {
            throw MongoError(.badValue, "The destination field cannot be an array element, '\(toDotted)' in doc with "
                             + "\(idText(missing: "no id")) has an array field called '\(ancestor.name)'")
        }

        // A $set of the target to the source's value, then an $unset of the source.
        let value = source.value
        if position.pathToCreate.isEmpty {
            position.element.setValue(value)
            try checkImmutableExisting(position.pathTaken)
            try validateStorage(position.element, level: position.pathTaken.count)
            changedPaths.append(position.pathTaken)
        } else {
            try create(value, at: position)
        }
        try checkImmutableExisting(from)
        sourceParent.remove(source)
        changedPaths.append(from)
        return true
    }
}

/// `$push`'s `$sort`, as MongoDB's `PatternElementCmp`: whole values in BSON order, or the
/// values at the pattern's paths (null when missing; non-documents have none), stable;
/// strings in the update's collation.
struct PushSorter {
    let sort: Modifier.PushSort
    let collator: Collator?

    init(_ sort: Modifier.PushSort, collator: Collator?) {
        self.sort = sort
        self.collator = collator
    }

    func sorted(_ values: [BSONValue]) -> [BSONValue] {
        let keyed = values.enumerated().map { (index: $0.offset, value: $0.element) }
        return keyed.sorted { a, b in
            let order = compare(a.value, b.value)
            return order != 0 ? order < 0 : a.index < b.index
        }.map(\.value)
    }

    private func compare(_ a: BSONValue, _ b: BSONValue) -> Int {
        switch sort {
        case .whole(let descending):
            let order = BSONValue.compare(a, b, collator: collator)
            return descending ? -order : order
        case .fields(let fields):
            for (path, descending) in fields {
                let order = BSONValue.compare(Self.value(at: path, in: a), Self.value(at: path, in: b), collator: collator)
                if order != 0 { return descending ? -order : order }
            }
            return 0
        }
    }

    private static func value(at path: [String], in value: BSONValue) -> BSONValue {
        guard case .document = value else { return .null }
        var current = value
        for component in path {
            switch current {
            case .document(let document):
                guard let next = document[component] else { return .null }
                current = next
            case .array(let values):
                guard let index = arrayIndex(component), index < values.count else { return .null }
                current = values[index]
            default:
                return .null
            }
        }
        return current
    }
}
