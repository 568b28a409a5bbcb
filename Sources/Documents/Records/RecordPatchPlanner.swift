// RecordPatchPlanner: turns the field changes of one update into a RecordPatch against the
// current record — overwrites for counters that fit, and for new fields or wider integers a
// re-layout of only the (sub)documents on the changed paths. Interns new shapes at write time.

import BSON

/// Plans a ``RecordPatch`` for one document.
///
/// The plan walks each changed path through the record's (sub)documents by slot, so its cost
/// follows the paths, not the document's size. Untouched fields are never decoded: the patch
/// copies their bytes. What a patch cannot express (a kind change, a variable-size value
/// replaced, a path through an array or a scalar, numeric overflow MongoDB reports, a
/// document that would exceed 16 MiB) makes the plan `notApplicable`.
struct RecordPatchPlanner {
    /// What planning decided.
    enum Outcome {
        /// Every change leaves the document as it is (MongoDB's no-op update).
        case unchanged
        /// The changes need a full rewrite.
        case notApplicable
        /// The patch, the shape definitions it needs persisted with it, and MongoDB's
        /// `updatedFields` (dotted path → new value; a created subtree as one entry).
        case patch(RecordPatch, shapes: [ShapeDefinition], updatedFields: BSONDocument)
    }

    /// MongoDB's maximum BSON document size.
    static let maximumDocumentSize = 16 * 1024 * 1024

    let registry: ShapeRegistry
    let sizes: RecordPatchBSONSize
    var maximumDepth = 200
    /// Whom new shapes are charged to (see ``ShapeRegistry``).
    var owner: String?

    /// One existing (sub)document on a changed path.
    private final class Node {
        let path: [String]
        let start: Int
        let end: Int
        let depth: Int
        let body: DocumentBody
        let shape: Shape
        /// Existing fixed-size slots and their new values.
        var patches: [(slot: Int, value: BSONValue)] = []
        /// Subdocuments on a changed path, by slot.
        var children: [(slot: Int, node: Node)] = []
        /// New fields, in the order they are added.
        var appended: [(name: String, value: BSONValue)] = []

        init(path: [String], start: Int, end: Int, depth: Int, raw: UnsafeRawBufferPointer,
             resolver: ShapeResolver) throws(RecordError) {
            self.path = path
            self.start = start
            self.end = end
            self.depth = depth
            body = try DocumentBody(raw, start: start, end: end, resolver: resolver)
            shape = try resolver.shape(body.shapeID)
        }
    }

    /// A planning failure that means "rewrite the document instead".
    private struct Inapplicable: Error {}

    /// Plans `request` against `record`, the current stored (folded) record.
    ///
    /// - Throws: ``RecordError`` when `record` is malformed (failures to encode the new
    ///   values, such as too many shapes, make the plan `notApplicable` instead).
    func plan(_ request: RecordPatchRequest, record: [UInt8]) throws(RecordError) -> Outcome {
        let result = record.withUnsafeBytes { raw in
            Result { () throws(RecordError) -> Outcome in
                do {
                    return try plan(request, raw: raw)
                } catch let error as RecordError {
                    throw error
                } catch {
                    return .notApplicable
                }
            }
        }
        return try result.get()
    }

    private func plan(_ request: RecordPatchRequest, raw: UnsafeRawBufferPointer) throws -> Outcome {
        let root: Node
        switch try locateAll(request, raw: raw) {
        case .unchanged: return .unchanged
        case .tooLarge: return .notApplicable
        case .located(let located): root = located
        }

        var writer = RecordWriter(registry: registry, snapshot: ShapeSnapshot(root: registry.root), hints: [], maximumDepth: maximumDepth,
                                  capacity: 64, owner: owner)
        var edits: [RecordPatch.Edit] = []
        _ = try emit(root, into: &edits, writer: &writer, raw: raw)
        var updated = BSONDocument()
        describe(root, into: &updated)
        var shapes = writer.unpersisted
        shapes.sort { $0.id < $1.id }
        return .patch(RecordPatch(baseLength: raw.count, edits: edits), shapes: shapes, updatedFields: updated)
    }

    // MARK: Walking the paths

    private enum Location {
        case unchanged
        case tooLarge
        case located(Node)
    }

    /// Locates every change. The resolver (which shares the registry's shape table) lives
    /// only in here: while it is alive, interning a shape makes the registry copy its
    /// tables, O(shapes) per new shape, so it must be gone before `emit` interns.
    private func locateAll(_ request: RecordPatchRequest, raw: UnsafeRawBufferPointer) throws -> Location {
        let resolver = ShapeResolver(registry: registry)
        let root = try Node(path: [], start: 0, end: raw.count, depth: 1, raw: raw, resolver: resolver)
        var modified = false
        for change in request.changes {
            if try locate(change, from: root, raw: raw, resolver: resolver) { modified = true }
        }
        guard modified else { return .unchanged }
        return try fitsSizeLimit(root, raw: raw, resolver: resolver) ? .located(root) : .tooLarge
    }

    /// Records `change` on the nodes along its path; returns whether it modifies the document.
    private func locate(_ change: RecordPatchRequest.Change, from root: Node, raw: UnsafeRawBufferPointer,
                        resolver: ShapeResolver) throws -> Bool {
        var node = root
        var index = 0
        while true {
            let name = change.path[index]
            guard let slot = node.body.layout.slot(named: name) else {
                try append(change, at: index, to: node)
                return true
            }
            let kind = node.body.layout.kinds[slot]
            let span = try node.body.span(ofSlot: slot, raw)
            if index == change.path.count - 1 {
                // Only values whose size the record fixes can be patched.
                guard kind.storage != .variable else { throw Inapplicable() }
                if case let .set(value) = change.operation, ValueKind(of: value) != kind { throw Inapplicable() }
                let current = try RecordReader(raw: raw, resolver: resolver, maximumDepth: maximumDepth)
                    .value(kind, span, depth: node.depth)
                guard let value = try Self.newValue(of: change, current: current, kind: kind) else { return false }
                node.patches.append((slot, value))
                return true
            }
            guard kind == .document else { throw Inapplicable() }
            if let existing = node.children.first(where: { $0.slot == slot }) {
                node = existing.node
            } else {
                let child = try Node(path: node.path + [name], start: span.lowerBound, end: span.upperBound,
                                     depth: node.depth + 1, raw: raw, resolver: resolver)
                node.children.append((slot, child))
                node = child
            }
            index += 1
        }
    }

    /// Adds the new field `change.path[index]` (with any missing documents below it) to `node`,
    /// or adds the rest of the path to a document this plan already creates there.
    private func append(_ change: RecordPatchRequest.Change, at index: Int, to node: Node) throws {
        let name = change.path[index]
        let rest = change.path[(index + 1)...]
        let leaf = change.valueForNewField
        if let position = node.appended.firstIndex(where: { $0.name == name }) {
            guard case var .document(document) = node.appended[position].value, !rest.isEmpty else { throw Inapplicable() }
            try Self.insert(leaf, at: rest, into: &document)
            node.appended[position].value = .document(document)
        } else if rest.isEmpty {
            node.appended.append((name, leaf))
        } else {
            var document = BSONDocument()
            try Self.insert(leaf, at: rest, into: &document)
            node.appended.append((name, .document(document)))
        }
    }

    /// Puts `value` at `path` inside `document`, creating documents on the way.
    private static func insert(_ value: BSONValue, at path: ArraySlice<String>, into document: inout BSONDocument) throws {
        guard let name = path.first else { throw Inapplicable() }
        let rest = path.dropFirst()
        if rest.isEmpty {
            guard !document.contains(key: name) else { throw Inapplicable() }
            document.append(name, value)
            return
        }
        var inner = BSONDocument()
        if let existing = document[name] {
            guard case let .document(found) = existing else { throw Inapplicable() }
            inner = found
        }
        try insert(value, at: rest, into: &inner)
        document[name] = .document(inner)
    }

    /// The value an existing field of `kind` holding `current` gets, `nil` when it keeps its
    /// value; throws when a patch cannot express the change.
    private static func newValue(of change: RecordPatchRequest.Change, current: BSONValue, kind: ValueKind) throws -> BSONValue? {
        let result: BSONValue
        switch change.operation {
        case let .set(value):
            result = value
        case let .increment(amount):
            result = try increment(current, by: amount)
        }
        // Same kind (so the same shape), and a value whose size the record fixes.
        guard ValueKind(of: result) == kind, kind.storage != .variable else { throw Inapplicable() }
        // (Not `cond ? nil : result`: BSONValue is nil-literal expressible, so that `nil` is null.)
        if identical(result, current) { return Optional.none }
        return result
    }

    /// `$inc`'s arithmetic: int32 + int32 is an int32 unless it overflows (then an int64);
    /// with an int64 the result is an int64; with a double, a double. An int64 overflow (an
    /// error in MongoDB), decimals and non-numbers are left to the full update.
    private static func increment(_ current: BSONValue, by amount: BSONValue) throws -> BSONValue {
        switch (current, amount) {
        case let (.int32(a), .int32(b)):
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? .int64(Int64(a) + Int64(b)) : .int32(sum)
        case let (.int32(a), .int64(b)):
            let (sum, overflow) = Int64(a).addingReportingOverflow(b)
            guard !overflow else { throw Inapplicable() }
            return .int64(sum)
        case let (.int64(a), .int32(b)):
            let (sum, overflow) = a.addingReportingOverflow(Int64(b))
            guard !overflow else { throw Inapplicable() }
            return .int64(sum)
        case let (.int64(a), .int64(b)):
            let (sum, overflow) = a.addingReportingOverflow(b)
            guard !overflow else { throw Inapplicable() }
            return .int64(sum)
        case let (.double(a), _):
            guard let b = amount.doubleValue else { throw Inapplicable() }
            return .double(a + b)
        case let (_, .double(b)):
            guard let a = current.doubleValue else { throw Inapplicable() }
            return .double(a + b)
        default:
            throw Inapplicable()
        }
    }

    /// Bitwise identity (so `-0.0` and `0.0` differ, as their bytes do).
    private static func identical(_ lhs: BSONValue, _ rhs: BSONValue) -> Bool {
        if case let .double(a) = lhs, case let .double(b) = rhs { return a.bitPattern == b.bitPattern }
        return lhs == rhs
    }

    // MARK: Size limit

    /// Whether the document with the planned new fields stays within 16 MiB of BSON. Only
    /// new fields change the size (a patched value keeps its kind, so its BSON size).
    private func fitsSizeLimit(_ root: Node, raw: UnsafeRawBufferPointer, resolver: ShapeResolver) throws -> Bool {
        var added = 0
        var pending = [root]
        while let node = pending.popLast() {
            for (name, value) in node.appended {
                var element = BSONDocument()
                element.append(name, value)
                added += try element.bsonBytes().count - 5
            }
            pending.append(contentsOf: node.children.map(\.node))
        }
        guard added > 0 else { return true }
        return try sizes.documentSize(raw, start: 0, end: raw.count, resolver: resolver) + added <= Self.maximumDocumentSize
    }

    // MARK: Emitting edits

    /// Appends the edits of `node` (and its children) in offset order; returns by how many
    /// bytes the node's record grows.
    private func emit(_ node: Node, into edits: inout [RecordPatch.Edit], writer: inout RecordWriter,
                      raw: UnsafeRawBufferPointer) throws -> Int {
        let body = node.body
        let layout = body.layout
        let geometry = body.geometry

        // Children first: their growth decides this body's offset table.
        var childEdits: [RecordPatch.Edit] = []
        var shifts: [RecordPatch.TableShift] = []
        var childGrowth = 0
        for (slot, child) in node.children.sorted(by: { $0.node.start < $1.node.start }) {
            let growth = try emit(child, into: &childEdits, writer: &writer, raw: raw)
            if growth != 0 {
                shifts.append(RecordPatch.TableShift(from: Int(layout.placements[slot].variableIndex), delta: growth))
                childGrowth += growth
            }
        }

        // The new shape, and the integer widths every value of this body must fit.
        var shape = node.shape
        var int32Needed = geometry.int32Width
        var int64Needed = geometry.int64Width
        func need(_ value: BSONValue) {
            switch value {
            case let .int32(x): int32Needed = max(int32Needed, RecordBytes.signedWidth(Int64(x)))
            case let .int64(x): int64Needed = max(int64Needed, LayoutByte.int64Width(forNeeded: RecordBytes.signedWidth(x)))
            case let .datetime(x):
                int64Needed = max(int64Needed, LayoutByte.int64Width(forNeeded: RecordBytes.signedWidth(x.millisecondsSinceEpoch)))
            default: break
            }
        }
        for patch in node.patches { need(patch.value) }
        for (name, value) in node.appended {
            need(value)
            shape = try encoding { () throws(RecordError) in
                try registry.child(of: shape, field: ShapeField(name: name, kind: ValueKind(of: value)), owner: owner)
            }
        }
        if shape.id != body.shapeID { writer.settle(shape, depth: node.depth) }
        let int32Width = int32Needed, int64Width = int64Needed
        let newCounts = shape.layout.counts

        // New fields' bytes: fixed-region values, variable data, and their table entries.
        var appendedFixed: [UInt8] = []
        var appendedData: [UInt8] = []
        var appendedEnds: [Int] = []
        let oldDataLength = geometry.end - geometry.dataStart
        for (_, value) in node.appended {
            let kind = ValueKind(of: value)
            switch kind.storage {
            case .empty:
                break
            case .fixed, .int32Width, .int64Width:
                appendedFixed += encodeFixed(value, kind: kind, int32Width: int32Width, int64Width: int64Width, writer: &writer)
            case .variable:
                let mark = writer.out.count
                try encoding { () throws(RecordError) in try writer.writeVariable(value, depth: node.depth) }
                appendedData += writer.out[mark...]
                writer.out.removeSubrange(mark...)
                appendedEnds.append(oldDataLength + childGrowth + appendedData.count)
            }
        }
        let newDataLength = oldDataLength + childGrowth + appendedData.count
        let oldCounts = layout.counts
        let tableWidth: Int
        if newCounts.variableCount > 0 {
            tableWidth = max(oldCounts.variableCount > 0 ? geometry.tableWidth : 1, RecordBytes.unsignedWidth(UInt64(newDataLength)))
            guard tableWidth <= 4 else { throw Inapplicable() }
        } else {
            tableWidth = 1
        }

        var head: [RecordPatch.Edit] = []
        // Shape id.
        let oldIDLength = RecordBytes.varintSize(UInt64(body.shapeID.rawValue))
        if shape.id != body.shapeID {
            var id: [UInt8] = []
            RecordBytes.appendVarint(UInt64(shape.id.rawValue), to: &id)
            head.append(.splice(offset: node.start, removed: oldIDLength, bytes: id))
        }
        // Layout byte.
        let newLayout = LayoutByte(int32Width: int32Width, int64Width: int64Width, tableWidth: tableWidth).encoded
        if newCounts.needsLayoutByte {
            if oldCounts.needsLayoutByte {
                let position = geometry.fixedStart - 1
                if raw[position] != newLayout { head.append(.overwrite(offset: position, bytes: [newLayout])) }
            } else {
                head.append(.splice(offset: geometry.fixedStart, removed: 0, bytes: [newLayout]))
            }
        }
        // Fixed region: patched values, integers re-encoded to wider widths, new values.
        if int32Width != geometry.int32Width || int64Width != geometry.int64Width {
            // Only a widened region needs the slot → value map; the usual case edits in place.
            var patchValues: [Int: BSONValue] = [:]
            for patch in node.patches { patchValues[patch.slot] = patch.value }
            emitWidenedFixedRegion(body, patches: patchValues, int32Width: int32Width, int64Width: int64Width,
                                   into: &head, writer: &writer)
        } else {
            for (slot, value) in node.patches.sorted(by: { $0.slot < $1.slot }) {
                let span = try body.span(ofSlot: slot, raw)
                let bytes = encodeFixed(value, kind: layout.kinds[slot], int32Width: int32Width, int64Width: int64Width,
                                        writer: &writer)
                guard bytes.count == span.count else { throw Inapplicable() }
                if !bytes.isEmpty { head.append(.overwrite(offset: span.lowerBound, bytes: bytes)) }
            }
        }
        if !appendedFixed.isEmpty {
            head.append(.splice(offset: geometry.tableStart, removed: 0, bytes: appendedFixed))
        }
        // Offset table: shift entries after grown children, widen, and add the new entries.
        if oldCounts.variableCount > 0, !shifts.isEmpty || tableWidth != geometry.tableWidth {
            head.append(.table(offset: geometry.tableStart, count: oldCounts.variableCount, oldWidth: geometry.tableWidth,
                                newWidth: tableWidth, shifts: shifts))
        }
        if !appendedEnds.isEmpty {
            var entries: [UInt8] = []
            for end in appendedEnds { RecordBytes.appendLittleEndian(UInt64(end), width: tableWidth, to: &entries) }
            head.append(.splice(offset: geometry.dataStart, removed: 0, bytes: entries))
        }
        // Data: the children's edits, then the new values at the end.
        var tail: [RecordPatch.Edit] = []
        if !appendedData.isEmpty {
            tail.append(.splice(offset: node.end, removed: 0, bytes: appendedData))
        }
        let growth = (head + tail).reduce(childGrowth) { $0 + $1.insertedCount - $1.removedCount }
        edits += head
        edits += childEdits
        edits += tail
        return growth
    }

    /// The fixed-region edits of a body whose integer widths grow: runs of untouched integers
    /// of a widened class re-encoded, patched values written at their new width.
    private func emitWidenedFixedRegion(
        _ body: DocumentBody, patches: [Int: BSONValue], int32Width: Int, int64Width: Int,
        into edits: inout [RecordPatch.Edit], writer: inout RecordWriter
    ) {
        let layout = body.layout
        let geometry = body.geometry
        var run: (offset: Int, count: Int, oldWidth: Int, newWidth: Int)?
        func flush() {
            if let current = run, current.count > 0 {
                edits.append(.integers(offset: current.offset, count: current.count, oldWidth: current.oldWidth,
                                       newWidth: current.newWidth))
            }
            run = nil
        }
        for slot in 0..<layout.count {
            let kind = layout.kinds[slot]
            let offset = geometry.fixedOffset(layout.placements[slot])
            let oldWidth: Int, newWidth: Int
            switch kind.storage {
            case .empty, .variable:
                continue
            case .fixed:
                flush()
                if let value = patches[slot] {
                    let bytes = encodeFixed(value, kind: kind, int32Width: int32Width, int64Width: int64Width, writer: &writer)
                    edits.append(.overwrite(offset: offset, bytes: bytes))
                }
                continue
            case .int32Width:
                (oldWidth, newWidth) = (geometry.int32Width, int32Width)
            case .int64Width:
                (oldWidth, newWidth) = (geometry.int64Width, int64Width)
            }
            if let value = patches[slot] {
                flush()
                let bytes = encodeFixed(value, kind: kind, int32Width: int32Width, int64Width: int64Width, writer: &writer)
                edits.append(.splice(offset: offset, removed: oldWidth, bytes: bytes))
            } else if oldWidth == newWidth {
                flush()
            } else if let current = run, current.oldWidth == oldWidth, current.newWidth == newWidth,
                      current.offset + current.count * oldWidth == offset {
                run = (current.offset, current.count + 1, oldWidth, newWidth)
            } else {
                flush()
                run = (offset, 1, oldWidth, newWidth)
            }
        }
        flush()
    }

    /// Runs an encoding step of the new values: its failures (too many shapes, nesting too
    /// deep) mean the full update must run (and report them), not that the record is bad.
    private func encoding<T>(_ body: () throws(RecordError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw Inapplicable()
        }
    }

    /// The fixed-region bytes of `value` at the given integer widths.
    private func encodeFixed(_ value: BSONValue, kind: ValueKind, int32Width: Int, int64Width: Int,
                             writer: inout RecordWriter) -> [UInt8] {
        let mark = writer.out.count
        writer.writeFixed(value, kind: kind, int32Width: int32Width, int64Width: int64Width)
        let bytes = Array(writer.out[mark...])
        writer.out.removeSubrange(mark...)
        return bytes
    }

    // MARK: Describing

    /// MongoDB's `updatedFields`: each patched path with its new value, each new field (a
    /// created subtree as one entry) with its value.
    private func describe(_ node: Node, into updated: inout BSONDocument) {
        for (slot, value) in node.patches.sorted(by: { $0.slot < $1.slot }) {
            updated.append((node.path + [node.body.layout.fields[slot].name]).joined(separator: "."), value)
        }
        for child in node.children.sorted(by: { $0.slot < $1.slot }).map(\.node) {
            describe(child, into: &updated)
        }
        for (name, value) in node.appended {
            updated.append((node.path + [name]).joined(separator: "."), value)
        }
    }
}
