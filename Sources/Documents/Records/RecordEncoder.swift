// The entry point for writing records: a BSON document (materialised or as wire bytes) to
// record bytes, interning shapes on the way and reporting those not yet persisted.
//
// Record format (all integers little-endian):
//   record   = varint(shape id) body
//   body     = [layout byte] fixed-region offset-table variable-data
//   layout   = bits 0-2: int32 width 0-4 · bits 3-5: int64/datetime width 0-6, 7 = 8 bytes ·
//              bits 6-7: offset-table entry width 1-4. Present only when the body has
//              integer slots or variable slots.
//   fixed    = in slot order, every value whose width the shape and the layout byte fix:
//              double/timestamp 8, ObjectId 12, Decimal128/UUID 16, int32 in the record's
//              int32 width, int64 and datetime in its int64 width (sign-extended).
//              null, undefined, minKey, maxKey, true, false: no bytes (the kind is the value).
//   table    = one entry per variable slot: its end offset from the data start; the last
//              entry must equal the data length, so truncation is always detected.
//   variable = strings (UTF-8, no length: the table bounds them), binary (subtype, bytes),
//              embedded documents (a whole record: its own shape id and body), arrays
//              (varint(count << 1 | uniform), one kind or count kinds, a body), regex and
//              code (varint length-prefixed first part), DBPointer (id, then namespace).
//
// Why this layout: a slot's offset is `fixedStart + bytesBefore + int32Before × w32 +
// int64Before × w64`, precomputed per shape except for the two widths, so reading field N
// costs the same for every N; a variable slot is two table reads. Integers are small (0-4
// or 0-8 bytes, zero for 0) without per-value varints: one width per record and integer
// class, stored once in the layout byte. Widths live in the record, not in the shape, so a
// counter growing from 255 to 256 does not make a new shape: shapes stay (names, kinds)
// and never explode with values. The price is that all int32s of one document share the
// widest one's width.

public import BSON

/// Encodes documents as shape-encoded records.
///
/// An encoder is a small value owned by one writer (one per connection or task); it keeps a
/// registry snapshot and the shapes it met last at each nesting depth, so a stream of
/// same-shaped documents is matched by comparing key bytes, with no hashing and no lock.
/// Encoders on different threads share one ``ShapeRegistry`` safely.
public struct RecordEncoder: Sendable {
    /// The registry shapes are interned in.
    public let registry: ShapeRegistry
    /// The deepest nesting of documents and arrays accepted.
    public var maximumDepth: Int = 200
    /// Whom new shapes are charged to: the namespace being written, so one collection cannot
    /// use up every other collection's shapes (see ``ShapeRegistry``).
    public var owner: String?
    var snapshot: ShapeSnapshot
    var hints: [Shape?] = []
    var lastSize = 64

    /// An encoder interning shapes in `registry`.
    public init(registry: ShapeRegistry, owner: String? = nil) {
        self.registry = registry
        self.owner = owner
        snapshot = registry.snapshot()
    }

    /// Encodes `document`.
    ///
    /// - Throws: ``RecordError/nestingTooDeep(limit:)`` or ``RecordError/tooManyShapes(limit:)``.
    public mutating func encode(_ document: BSONDocument) throws(RecordError) -> EncodedRecord {
        var writer = makeWriter()
        let shape = try writer.writeDocument(document, depth: 1)
        return finish(writer, shape: shape)
    }

    /// Encodes a BSON document straight from its (validated) wire bytes, without
    /// materialising a ``BSONDocument``. The result equals encoding the materialised document,
    /// except that regex options are kept in wire order rather than sorted.
    public mutating func encode(_ view: BSONDocumentView) throws(RecordError) -> EncodedRecord {
        var writer = makeWriter()
        let shape = try view.bytes.withUnsafeBufferPointer { (buffer) throws(RecordError) -> Shape in
            let raw = UnsafeRawBufferPointer(buffer)
            return try writer.writeWireDocument(raw, start: 0, end: raw.count, depth: 1)
        }
        return finish(writer, shape: shape)
    }

    private mutating func makeWriter() -> RecordWriter {
        // Hand the hints over (not a copy) so the writer can update them without copying.
        var hints: [Shape?] = []
        swap(&hints, &self.hints)
        return RecordWriter(
            registry: registry, snapshot: snapshot, hints: hints, maximumDepth: maximumDepth, capacity: lastSize,
            owner: owner
        )
    }

    private mutating func finish(_ writer: RecordWriter, shape: Shape) -> EncodedRecord {
        hints = writer.hints
        if writer.internedShapes { snapshot = registry.snapshot() }
        lastSize = writer.out.count
        var unpersisted = writer.unpersisted
        if unpersisted.count > 1 { unpersisted.sort { $0.id < $1.id } }
        return EncodedRecord(bytes: writer.out, shape: shape, unpersistedShapes: unpersisted)
    }
}
