// The encoding state of one document: output bytes, the offset-table scratch stack, shape
// interning with per-depth hints, and the shapes to report unpersisted. BSONDocument input
// here; wire-bytes input in RecordWriter+Wire.swift.

import BSON

/// Writes one record. Made by ``RecordEncoder`` per document.
///
/// Record layout (see also ``BodyGeometry`` and ``ArrayHeader``):
/// `varint(shape id) [layout byte] fixed-slots offset-table variable-data`, where the fixed
/// region holds, in slot order, every value whose width the shape and the layout byte fix
/// (doubles, ObjectIds, ..., and integers in the record's integer widths), and the variable
/// region holds strings, binaries, embedded records and arrays, bounded by the table.
struct RecordWriter {
    let registry: ShapeRegistry
    let snapshot: ShapeSnapshot
    let maximumDepth: Int
    /// Whom new shapes are charged to (see ``ShapeRegistry``).
    let owner: String?
    /// The shape the previous document at each depth ended on.
    var hints: [Shape?]
    var out: [UInt8]
    /// End offsets (relative to their body's data start) of variable slots being written.
    var ends: [Int] = []
    /// Element bounds of wire documents being encoded (see RecordWriter+Wire.swift).
    var wireElements: [WireElement] = []
    var unpersisted: [ShapeDefinition] = []
    var reported: Set<ShapeID> = []
    /// Whether a shape was looked up in (or added to) the registry because the snapshot
    /// lacked it.
    var internedShapes = false

    init(
        registry: ShapeRegistry, snapshot: ShapeSnapshot, hints: [Shape?], maximumDepth: Int, capacity: Int,
        owner: String? = nil
    ) {
        self.registry = registry
        self.owner = owner
        self.snapshot = snapshot
        self.hints = hints
        self.maximumDepth = maximumDepth
        out = []
        out.reserveCapacity(capacity)
    }

    // MARK: Shapes

    /// The child of `parent` for the field `(name, kind)`: from the snapshot, else interned.
    mutating func child(of parent: Shape, name: UnsafeRawBufferPointer, kind: ValueKind) throws(RecordError) -> Shape {
        let hash = FieldNameIndex.hash(name)
        if let found = snapshot.child(of: parent, kind: kind, name: name, nameHash: hash) { return found }
        internedShapes = true
        return try registry.child(of: parent, kind: kind, name: name, nameHash: hash, owner: owner)
    }

    /// The hint for `depth`, if any.
    @inline(__always)
    func hint(at depth: Int) -> Shape? { depth < hints.count ? hints[depth] : nil }

    /// Remembers `shape` as the hint for `depth` and notes it if it is not yet persisted.
    mutating func settle(_ shape: Shape, depth: Int) {
        if depth >= hints.count { hints.append(contentsOf: repeatElement(nil, count: depth - hints.count + 1)) }
        hints[depth] = shape
        guard !shape.isPersisted else { return }
        var node: Shape? = shape
        while let current = node, !current.isPersisted, let definition = current.definition {
            // A reported shape's ancestors were reported with it.
            guard reported.insert(current.id).inserted else { break }
            unpersisted.append(definition)
            node = current.parent
        }
    }

    /// The shape of `document`: its prefix matched against the hint by comparing bytes, the
    /// rest by transitions.
    mutating func shape(for document: BSONDocument, depth: Int) throws(RecordError) -> Shape {
        let elements = document.elements
        var matched = 0
        var shape = registry.root
        if let hint = hint(at: depth) {
            let layout = hint.layout
            let limit = min(layout.count, elements.count)
            while matched < limit {
                var key = elements[matched].key
                let kind = ValueKind(of: elements[matched].value)
                let slot = matched
                guard key.withUTF8({ layout.slot(slot, matches: kind, name: UnsafeRawBufferPointer($0)) }) else { break }
                matched += 1
            }
            shape = hint.ancestor(withFieldCount: matched)
        }
        for index in matched..<elements.count {
            var key = elements[index].key
            let kind = ValueKind(of: elements[index].value)
            let parent = shape
            let found = key.withUTF8 { buffer -> Shape? in
                let name = UnsafeRawBufferPointer(buffer)
                return snapshot.child(of: parent, kind: kind, name: name, nameHash: FieldNameIndex.hash(name))
            }
            if let found {
                shape = found
            } else {
                internedShapes = true
                shape = try registry.child(of: parent, field: ShapeField(name: key, kind: kind), owner: owner)
            }
        }
        settle(shape, depth: depth)
        return shape
    }

    // MARK: Documents and arrays

    /// Appends `document` as a record; returns its shape.
    @discardableResult
    mutating func writeDocument(_ document: BSONDocument, depth: Int) throws(RecordError) -> Shape {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let shape = try self.shape(for: document, depth: depth)
        let layout = shape.layout
        let counts = layout.counts
        let elements = document.elements
        var int32Width = 0
        var int64Needed = 0
        if counts.int32Count + counts.int64Count > 0 {
            for element in elements {
                switch element.value {
                case .int32(let value): int32Width = max(int32Width, RecordBytes.signedWidth(Int64(value)))
                case .int64(let value): int64Needed = max(int64Needed, RecordBytes.signedWidth(value))
                case .datetime(let value): int64Needed = max(int64Needed, RecordBytes.signedWidth(value.millisecondsSinceEpoch))
                default: break
                }
            }
        }
        let int64Width = LayoutByte.int64Width(forNeeded: int64Needed)
        RecordBytes.appendVarint(UInt64(shape.id.rawValue), to: &out)
        let layoutPosition = out.count
        if counts.needsLayoutByte { out.append(0) }
        if counts.fixedBytes + counts.int32Count + counts.int64Count > 0 {
            for slot in 0..<elements.count {
                writeFixed(elements[slot].value, kind: layout.kinds[slot], int32Width: int32Width, int64Width: int64Width)
            }
        }
        var tableWidth = 1
        if counts.variableCount > 0 {
            let table = beginTable(variableCount: counts.variableCount)
            for slot in 0..<elements.count where layout.kinds[slot].storage == .variable {
                try writeVariable(elements[slot].value, depth: depth)
                ends.append(out.count - table.dataStart)
            }
            tableWidth = try finishTable(table)
        }
        if counts.needsLayoutByte {
            out[layoutPosition] = LayoutByte(int32Width: int32Width, int64Width: int64Width, tableWidth: tableWidth).encoded
        }
        return shape
    }

    /// Appends `values` as an encoded array (see ``ArrayHeader``).
    mutating func writeArray(_ values: [BSONValue], depth: Int) throws(RecordError) {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        guard let first = values.first else {
            out.append(0)
            return
        }
        let firstKind = ValueKind(of: first)
        var uniform = true
        var int32Width = 0
        var int64Needed = 0
        for value in values {
            if uniform, ValueKind(of: value) != firstKind { uniform = false }
            switch value {
            case .int32(let value): int32Width = max(int32Width, RecordBytes.signedWidth(Int64(value)))
            case .int64(let value): int64Needed = max(int64Needed, RecordBytes.signedWidth(value))
            case .datetime(let value): int64Needed = max(int64Needed, RecordBytes.signedWidth(value.millisecondsSinceEpoch))
            default: break
            }
        }
        RecordBytes.appendVarint(UInt64(values.count) << 1 | (uniform ? 1 : 0), to: &out)
        if uniform {
            out.append(firstKind.rawValue)
            let counts = BodyCounts(uniform: firstKind, count: values.count)
            let int64Width = LayoutByte.int64Width(forNeeded: int64Needed)
            let layoutPosition = out.count
            if counts.needsLayoutByte { out.append(0) }
            var tableWidth = 1
            switch firstKind.storage {
            case .empty:
                break
            case .fixed, .int32Width, .int64Width:
                for value in values { writeFixed(value, kind: firstKind, int32Width: int32Width, int64Width: int64Width) }
            case .variable:
                let table = beginTable(variableCount: values.count)
                for value in values {
                    try writeVariable(value, depth: depth)
                    ends.append(out.count - table.dataStart)
                }
                tableWidth = try finishTable(table)
            }
            if counts.needsLayoutByte {
                out[layoutPosition] = LayoutByte(int32Width: int32Width, int64Width: int64Width, tableWidth: tableWidth).encoded
            }
        } else {
            for value in values { out.append(ValueKind(of: value).rawValue) }
            let layoutPosition = out.count
            out.append(0)  // a mixed array's elements are all variable slots, so it has a table
            let table = beginTable(variableCount: values.count)
            for value in values {
                try writeLoose(value, kind: ValueKind(of: value), depth: depth)
                ends.append(out.count - table.dataStart)
            }
            let tableWidth = try finishTable(table)
            out[layoutPosition] = LayoutByte(int32Width: 0, int64Width: 0, tableWidth: tableWidth).encoded
        }
    }

    // MARK: Values

    /// Appends the fixed-region bytes of `value` if `kind` lives in the fixed region.
    @inline(__always)
    mutating func writeFixed(_ value: BSONValue, kind: ValueKind, int32Width: Int, int64Width: Int) {
        switch kind.storage {
        case .empty, .variable: return
        case .fixed, .int32Width, .int64Width: break
        }
        switch value {
        case .double(let value): RecordBytes.appendLittleEndian(value.bitPattern, width: 8, to: &out)
        case .objectId(let id): withUnsafeBytes(of: id.bytes) { out.append(contentsOf: $0) }
        case .timestamp(let value):
            RecordBytes.appendLittleEndian(UInt64(value.timestamp) << 32 | UInt64(value.increment), width: 8, to: &out)
        case .decimal128(let value):
            RecordBytes.appendLittleEndian(value.low, width: 8, to: &out)
            RecordBytes.appendLittleEndian(value.high, width: 8, to: &out)
        case .binary(let value): out.append(contentsOf: value.bytes)  // the .uuid kind: 16 bytes
        case .int32(let value):
            RecordBytes.appendLittleEndian(UInt64(bitPattern: Int64(value)), width: int32Width, to: &out)
        case .int64(let value):
            RecordBytes.appendLittleEndian(UInt64(bitPattern: value), width: int64Width, to: &out)
        case .datetime(let value):
            RecordBytes.appendLittleEndian(UInt64(bitPattern: value.millisecondsSinceEpoch), width: int64Width, to: &out)
        default: break
        }
    }

    /// Appends the variable-region bytes of a value of a variable kind.
    mutating func writeVariable(_ value: BSONValue, depth: Int) throws(RecordError) {
        switch value {
        case .string(let text), .javascript(let text), .symbol(let text):
            out.append(contentsOf: text.utf8)
        case .document(let document):
            try writeDocument(document, depth: depth + 1)
        case .array(let values):
            try writeArray(values, depth: depth + 1)
        case .binary(let binary):
            out.append(binary.subtype.rawValue)
            out.append(contentsOf: binary.bytes)
        case .regex(let regex):
            appendPrefixed(regex.pattern)
            out.append(contentsOf: regex.options.utf8)
        case .dbPointer(let pointer):
            withUnsafeBytes(of: pointer.id.bytes) { out.append(contentsOf: $0) }
            out.append(contentsOf: pointer.ref.utf8)
        case .javascriptWithScope(let code):
            appendPrefixed(code.code)
            try writeDocument(code.scope, depth: depth + 1)
        default:
            break
        }
    }

    /// Appends an element of a mixed array: every kind in the variable region, integers in
    /// their own minimal width.
    mutating func writeLoose(_ value: BSONValue, kind: ValueKind, depth: Int) throws(RecordError) {
        switch value {
        case .int32(let value):
            let wide = Int64(value)
            RecordBytes.appendLittleEndian(UInt64(bitPattern: wide), width: RecordBytes.signedWidth(wide), to: &out)
        case .int64(let value):
            RecordBytes.appendLittleEndian(UInt64(bitPattern: value), width: RecordBytes.signedWidth(value), to: &out)
        case .datetime(let value):
            let millis = value.millisecondsSinceEpoch
            RecordBytes.appendLittleEndian(UInt64(bitPattern: millis), width: RecordBytes.signedWidth(millis), to: &out)
        default:
            if kind.storage == .variable {
                try writeVariable(value, depth: depth)
            } else {
                writeFixed(value, kind: kind, int32Width: 0, int64Width: 0)
            }
        }
    }

    @inline(__always)
    mutating func appendPrefixed(_ text: String) {
        RecordBytes.appendVarint(UInt64(text.utf8.count), to: &out)
        out.append(contentsOf: text.utf8)
    }

    // MARK: Offset tables

    struct TableMark {
        let tableStart: Int
        let dataStart: Int
        let endsBase: Int
        let variableCount: Int
    }

    /// Reserves a one-byte-wide offset table for `variableCount` slots; the data follows.
    mutating func beginTable(variableCount: Int) -> TableMark {
        let tableStart = out.count
        out.append(contentsOf: repeatElement(0, count: variableCount))
        return TableMark(tableStart: tableStart, dataStart: out.count, endsBase: ends.count, variableCount: variableCount)
    }

    /// Fills the table reserved by `mark` from the recorded ends, widening it (and moving the
    /// data) when an entry needs more than one byte; returns the entry width.
    mutating func finishTable(_ mark: TableMark) throws(RecordError) -> Int {
        defer { ends.removeSubrange(mark.endsBase...) }
        let entries = mark.variableCount
        guard entries > 0 else { return 1 }
        let largest = ends[mark.endsBase + entries - 1]  // ends only grow
        let width = RecordBytes.unsignedWidth(UInt64(largest))
        guard width <= 4 else { throw .bson(.documentTooLarge(size: largest, limit: Int(UInt32.max))) }
        if width > 1 {
            out.insert(contentsOf: repeatElement(0, count: entries * (width - 1)), at: mark.tableStart)
        }
        for index in 0..<entries {
            RecordBytes.storeLittleEndian(
                UInt64(ends[mark.endsBase + index]), width: width, at: mark.tableStart + index * width, in: &out
            )
        }
        return width
    }
}
