// A lazy view of one shape-encoded document: find a field by slot, name or dotted path with
// offset arithmetic, without decoding the fields before it. Materialises only on request.

public import BSON

/// A read-only view of a shape-encoded document (top-level or embedded).
///
/// Opening a view reads only the shape id and the layout byte. Each field access reads the
/// bytes of that field (and, for a variable-width field, two offset-table entries), so its
/// cost does not depend on the field's position or on the document's size. Malformed bytes
/// surface as a thrown ``RecordError`` from the access that meets them.
public struct Record: Sendable {
    let storage: [UInt8]
    let body: DocumentBody
    let resolver: ShapeResolver
    let start: Int
    let end: Int

    init(storage: [UInt8], start: Int, end: Int, resolver: ShapeResolver) throws(RecordError) {
        body = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> DocumentBody in
            try DocumentBody(UnsafeRawBufferPointer(buffer), start: start, end: end, resolver: resolver)
        }
        self.storage = storage
        self.resolver = resolver
        self.start = start
        self.end = end
    }

    init(storage: [UInt8], resolver: ShapeResolver, layouts: inout RecordLayoutCache) throws(RecordError) {
        body = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> DocumentBody in
            try DocumentBody(UnsafeRawBufferPointer(buffer), start: 0, end: buffer.count, resolver: resolver, layouts: &layouts)
        }
        self.storage = storage
        self.resolver = resolver
        start = 0
        end = storage.count
    }

    /// The document's shape.
    public var shape: Shape {
        // Resolved when the view was made, so the lookup cannot fail; root is unreachable.
        (try? resolver.shape(body.shapeID)) ?? resolver.registry.root
    }

    /// The id of the document's shape (no registry lookup).
    public var shapeID: ShapeID { body.shapeID }

    /// The document's slot table: names and kinds in slot order.
    public var layout: ShapeLayout { body.layout }

    /// The number of fields.
    public var fieldCount: Int { body.layout.count }

    /// The record's bytes (shape id included).
    public var bytes: ArraySlice<UInt8> { storage[start..<end] }

    /// The field in slot `slot`, or `nil` if the shape has no such slot.
    public func field(slot: Int) throws(RecordError) -> RecordField? {
        guard slot >= 0, slot < body.layout.count else { return nil }
        let body = self.body
        let span = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> Range<Int> in
            try body.span(ofSlot: slot, UnsafeRawBufferPointer(buffer))
        }
        return RecordField(kind: body.layout.kinds[slot], storage: storage, span: span, resolver: resolver)
    }

    /// The integer in slot `slot` when that slot holds an int32 or int64, else `nil`: one
    /// offset computation and one load, no intermediate values (the compiled matcher's path).
    public func integer(slot: Int) throws(RecordError) -> Int64? {
        guard slot >= 0, slot < body.layout.count else { return nil }
        let kind = body.layout.kinds[slot]
        guard kind == .int32 || kind == .int64 else { return nil }
        let body = self.body
        let value = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> Int64 in
            let raw = UnsafeRawBufferPointer(buffer)
            let span = try body.span(ofSlot: slot, raw)
            return RecordBytes.loadSigned(raw, at: span.lowerBound, width: span.count)
        }
        return value
    }

    /// The first field named `name` (one hash probe, comparing bytes), or `nil`.
    public func field(named name: String) throws(RecordError) -> RecordField? {
        guard let slot = body.layout.slot(named: name) else { return nil }
        return try field(slot: slot)
    }

    /// The field at a dotted path such as `minute.23.59`, descending through embedded
    /// documents by name and through arrays by decimal index. `nil` if a step is missing or
    /// is not a container. Each step is one slot lookup, whatever the documents' sizes.
    public func field(atPath path: String) throws(RecordError) -> RecordField? {
        var path = path
        let outcome = path.withUTF8 { buffer -> Result<RecordField?, RecordError> in
            do throws(RecordError) {
                return .success(try self.field(atPath: UnsafeRawBufferPointer(buffer)))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// The path walk over raw bytes: per step one name probe and one span computation; no
    /// intermediate views are made.
    func field(atPath path: UnsafeRawBufferPointer) throws(RecordError) -> RecordField? {
        let resolver = self.resolver
        let located = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> (ValueKind, Range<Int>)? in
            let raw = UnsafeRawBufferPointer(buffer)
            var body = self.body
            var componentStart = 0
            while true {
                var componentEnd = componentStart
                while componentEnd < path.count, path[componentEnd] != UInt8(ascii: ".") { componentEnd += 1 }
                let component = UnsafeRawBufferPointer(rebasing: path[componentStart..<componentEnd])
                guard let slot = body.layout.slot(nameBytes: component) else { return nil }
                var kind = body.layout.kinds[slot]
                var span = try body.span(ofSlot: slot, raw)
                // Array steps: as many numeric components as there are nested arrays.
                while kind == .array, componentEnd < path.count {
                    let indexStart = componentEnd + 1
                    var indexEnd = indexStart
                    while indexEnd < path.count, path[indexEnd] != UInt8(ascii: ".") { indexEnd += 1 }
                    guard let index = Record.arrayIndex(UnsafeRawBufferPointer(rebasing: path[indexStart..<indexEnd])) else {
                        return nil
                    }
                    let header = try ArrayHeader(raw, start: span.lowerBound, end: span.upperBound)
                    guard index < header.count else { return nil }
                    let geometry = try BodyGeometry(raw, start: header.bodyStart, end: span.upperBound, counts: header.counts)
                    kind = try header.kind(at: index, raw)
                    span = try header.span(at: index, kind: kind, geometry: geometry, raw)
                    componentEnd = indexEnd
                }
                if componentEnd >= path.count { return (kind, span) }
                guard kind == .document else { return nil }
                body = try DocumentBody(raw, start: span.lowerBound, end: span.upperBound, resolver: resolver)
                componentStart = componentEnd + 1
            }
        }
        guard let (kind, span) = located else { return nil }
        return RecordField(kind: kind, storage: storage, span: span, resolver: resolver)
    }

    /// A decimal array index with no sign and no leading zeros, or `nil`.
    static func arrayIndex(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 9, bytes[0] != UInt8(ascii: "0") || bytes.count == 1 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The name of slot `slot`.
    public func name(ofSlot slot: Int) -> String { body.layout.fields[slot].name }

    /// Materialises the whole document.
    public func document(maximumDepth: Int = 200) throws(RecordError) -> BSONDocument {
        let (start, end, resolver) = (self.start, self.end, self.resolver)
        return try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> BSONDocument in
            try RecordReader(raw: UnsafeRawBufferPointer(buffer), resolver: resolver, maximumDepth: maximumDepth)
                .document(start: start, end: end, depth: 1)
        }
    }

    /// The document as BSON bytes, written straight from the record without materialising
    /// values (the read path to the wire).
    ///
    /// - Throws: ``RecordError/bson(_:)`` with ``BSONError/nulInCString(_:)`` for a key or
    ///   regex holding a NUL, which BSON cannot carry; other ``RecordError``s for bad bytes.
    public func bsonBytes(maximumDepth: Int = 200) throws(RecordError) -> [UInt8] {
        let (start, end, resolver) = (self.start, self.end, self.resolver)
        return try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> [UInt8] in
            var writer = RecordBSONWriter(raw: UnsafeRawBufferPointer(buffer), resolver: resolver, maximumDepth: maximumDepth)
            try writer.writeDocument(start: start, end: end, depth: 1)
            return writer.out
        }
    }
}
