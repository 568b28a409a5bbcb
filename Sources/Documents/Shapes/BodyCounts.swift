// How many slots of each storage class a record body has: everything needed, with the body's
// layout byte, to find the fixed region, the offset table and the variable data.

/// The per-class slot counts of a record body (a shape's, or an array's).
struct BodyCounts: Sendable, Equatable {
    /// Total bytes of the fixed-width, non-integer slots.
    var fixedBytes: Int = 0
    /// Slots in the 32-bit integer width.
    var int32Count: Int = 0
    /// Slots in the 64-bit integer width.
    var int64Count: Int = 0
    /// Slots in the variable region.
    var variableCount: Int = 0

    /// Counts for slots of the given kinds.
    init(kinds: some Sequence<ValueKind>) {
        for kind in kinds { add(kind) }
    }

    /// Counts for `count` slots that all have `kind` (a uniform array).
    init(uniform kind: ValueKind, count: Int) {
        switch kind.storage {
        case .empty: break
        case .fixed(let width): fixedBytes = width * count
        case .int32Width: int32Count = count
        case .int64Width: int64Count = count
        case .variable: variableCount = count
        }
    }

    /// Counts for `count` slots that all sit in the variable region (a mixed array).
    init(variableCount: Int) {
        self.variableCount = variableCount
    }

    mutating func add(_ kind: ValueKind) {
        switch kind.storage {
        case .empty: break
        case .fixed(let width): fixedBytes += width
        case .int32Width: int32Count += 1
        case .int64Width: int64Count += 1
        case .variable: variableCount += 1
        }
    }

    /// Whether the body starts with a layout byte: only when it has integer slots (whose width
    /// the byte gives) or an offset table (whose entry width the byte gives).
    var needsLayoutByte: Bool { int32Count > 0 || int64Count > 0 || variableCount > 0 }
}
