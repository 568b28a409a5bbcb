// A shape's slot table: names, kinds, each slot's precomputed position in a record body, and
// the name index. Built once per shape that records use; immutable and shared after that.

/// The slots of a ``Shape`` and where their values sit in a record.
///
/// Finding a slot by number is an array access and finding it by name is one hash probe, so
/// reading the last of 1,440 fields costs what reading the first does.
public final class ShapeLayout: Sendable {
    /// The fields in slot order.
    public let fields: [ShapeField]
    /// The field kinds in slot order.
    public let kinds: [ValueKind]
    /// All field names' UTF-8 bytes back to back; slot `i` is `nameStarts[i]..<nameStarts[i+1]`.
    let nameBytes: [UInt8]
    let nameStarts: [Int]
    /// Each slot's position in the body.
    let placements: [SlotPlacement]
    /// The body's slot counts per storage class.
    let counts: BodyCounts
    private let index: FieldNameIndex

    /// The layout of `shape`, walking its parent chain once.
    init(shape: Shape) {
        var reversed: [ShapeField] = []
        reversed.reserveCapacity(shape.fieldCount)
        var node: Shape? = shape
        while let current = node, let field = current.lastField {
            reversed.append(field)
            node = current.parent
        }
        let fields = Array(reversed.reversed())
        var nameBytes: [UInt8] = []
        var nameStarts: [Int] = [0]
        var placements: [SlotPlacement] = []
        nameStarts.reserveCapacity(fields.count + 1)
        placements.reserveCapacity(fields.count)
        var counts = BodyCounts(kinds: EmptyCollection())
        for field in fields {
            nameBytes.append(contentsOf: field.name.utf8)
            nameStarts.append(nameBytes.count)
            placements.append(SlotPlacement(
                fixedBytesBefore: Int32(truncatingIfNeeded: counts.fixedBytes),
                int32Before: Int32(truncatingIfNeeded: counts.int32Count),
                int64Before: Int32(truncatingIfNeeded: counts.int64Count),
                variableIndex: Int32(truncatingIfNeeded: counts.variableCount)
            ))
            counts.add(field.kind)
        }
        self.fields = fields
        self.kinds = fields.map(\.kind)
        self.nameBytes = nameBytes
        self.nameStarts = nameStarts
        self.placements = placements
        self.counts = counts
        self.index = FieldNameIndex(names: nameBytes, starts: nameStarts)
    }

    /// A new layout object sharing this one's tables (no table is copied).
    private init(sharingTablesOf other: ShapeLayout) {
        fields = other.fields
        kinds = other.kinds
        nameBytes = other.nameBytes
        nameStarts = other.nameStarts
        placements = other.placements
        counts = other.counts
        index = other.index
    }

    /// An equal layout in an object of the caller's own, for one reader to hold: reference
    /// counting on it then touches no memory other threads touch. See ``RecordLayoutCache``.
    func privateCopy() -> ShapeLayout {
        ShapeLayout(sharingTablesOf: self)
    }

    /// The number of slots.
    public var count: Int { kinds.count }

    /// The first slot named `name`, or `nil`.
    public func slot(named name: String) -> Int? {
        var name = name
        return name.withUTF8 { slot(nameBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The first slot whose name has exactly these UTF-8 bytes, or `nil`.
    func slot(nameBytes name: UnsafeRawBufferPointer) -> Int? {
        nameBytes.withUnsafeBytes { names in
            index.slot(for: name, names: names, starts: nameStarts)
        }
    }

    /// Whether slot `slot` has kind `kind` and a name with exactly these bytes.
    @inline(__always)
    func slot(_ slot: Int, matches kind: ValueKind, name: UnsafeRawBufferPointer) -> Bool {
        guard kinds[slot] == kind else { return false }
        return nameBytes.withUnsafeBytes { names in
            FieldNameIndex.equal(name, UnsafeRawBufferPointer(rebasing: names[nameStarts[slot]..<nameStarts[slot + 1]]))
        }
    }
}
