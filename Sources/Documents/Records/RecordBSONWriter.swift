// Writes record bytes straight out as BSON wire bytes, without materialising values: the
// read path from storage to the wire. Checks what BSON requires (UTF-8, no NUL in keys and
// cstrings) and every record bound; never traps.

import BSON

/// Converts a record (documents, arrays, values) into BSON bytes.
struct RecordBSONWriter {
    let raw: UnsafeRawBufferPointer
    let resolver: ShapeResolver
    let maximumDepth: Int
    var out: [UInt8] = []

    init(raw: UnsafeRawBufferPointer, resolver: ShapeResolver, maximumDepth: Int) {
        self.raw = raw
        self.resolver = resolver
        self.maximumDepth = maximumDepth
        out.reserveCapacity(raw.count * 2 + 16)
    }

    /// A writer appending to `out`, which it takes over (the caller's array is left empty,
    /// so the writer's is uniquely referenced and grows in place).
    init(raw: UnsafeRawBufferPointer, resolver: ShapeResolver, maximumDepth: Int, takingOver out: inout [UInt8]) {
        self.raw = raw
        self.resolver = resolver
        self.maximumDepth = maximumDepth
        swap(&self.out, &out)
        self.out.reserveCapacity(self.out.count + raw.count * 2 + 16)
    }

    /// Appends the record at `start..<end` as a BSON document.
    mutating func writeDocument(start: Int, end: Int, depth: Int) throws(RecordError) {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let body = try DocumentBody(raw, start: start, end: end, resolver: resolver)
        let layout = body.layout
        let frame = beginFrame()
        for slot in 0..<layout.count {
            let kind = layout.kinds[slot]
            let span = try body.span(ofSlot: slot, raw)
            out.append(kind.bsonType.rawValue)
            let nameStart = layout.nameStarts[slot]
            let nameEnd = layout.nameStarts[slot + 1]
            if layout.nameBytes[nameStart..<nameEnd].contains(0) {
                throw .bson(.nulInCString(layout.fields[slot].name))
            }
            out.append(contentsOf: layout.nameBytes[nameStart..<nameEnd])
            out.append(0)
            try writeValue(kind, span, depth: depth)
        }
        endFrame(frame)
    }

    /// Appends the array at `start..<end` as a BSON array document.
    mutating func writeArray(start: Int, end: Int, depth: Int) throws(RecordError) {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let header = try ArrayHeader(raw, start: start, end: end)
        let frame = beginFrame()
        if header.count > 0 {
            let geometry = try BodyGeometry(raw, start: header.bodyStart, end: end, counts: header.counts)
            for index in 0..<header.count {
                let kind = try header.kind(at: index, raw)
                let span = try header.span(at: index, kind: kind, geometry: geometry, raw)
                out.append(kind.bsonType.rawValue)
                appendIndexKey(index)
                try writeValue(kind, span, depth: depth)
            }
        }
        endFrame(frame)
    }

    /// Appends the BSON value bytes (no type byte, no key) of a value of `kind` at `span`.
    mutating func writeValue(_ kind: ValueKind, _ span: Range<Int>, depth: Int) throws(RecordError) {
        let start = span.lowerBound
        switch kind {
        case .double, .timestamp, .objectId, .decimal128:
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[span]))
        case .string, .javascript, .symbol:
            try appendString(span)
        case .document:
            try writeDocument(start: start, end: span.upperBound, depth: depth + 1)
        case .array:
            try writeArray(start: start, end: span.upperBound, depth: depth + 1)
        case .binary:
            guard !span.isEmpty else { throw .invalidLayout(offset: start, reason: "binary without a subtype") }
            let subtype = raw[start]
            let length = span.count - 1
            if subtype == BSONBinary.Subtype.binaryOld.rawValue {
                appendInt32(length + 4)
                out.append(subtype)
                appendInt32(length)
            } else {
                appendInt32(length)
                out.append(subtype)
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(start + 1)..<span.upperBound]))
        case .uuid:
            appendInt32(16)
            out.append(BSONBinary.Subtype.uuid.rawValue)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[span]))
        case .undefined, .null, .minKey, .maxKey:
            break
        case .boolFalse:
            out.append(0)
        case .boolTrue:
            out.append(1)
        case .int32:
            RecordBytes.appendLittleEndian(UInt64(bitPattern: RecordBytes.loadSigned(raw, at: start, width: span.count)), width: 4, to: &out)
        case .int64, .datetime:
            RecordBytes.appendLittleEndian(UInt64(bitPattern: RecordBytes.loadSigned(raw, at: start, width: span.count)), width: 8, to: &out)
        case .regex:
            var position = start
            let length = try RecordBytes.readVarint(raw, at: &position, limit: span.upperBound)
            guard length <= UInt64(span.upperBound - position) else {
                throw .invalidLayout(offset: start, reason: "regex pattern past its value")
            }
            let patternEnd = position + Int(length)
            try appendCString(position..<patternEnd)
            try appendCString(patternEnd..<span.upperBound)
        case .dbPointer:
            guard span.count >= 12 else { throw .invalidLayout(offset: start, reason: "DBPointer shorter than its id") }
            try appendString((start + 12)..<span.upperBound)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 12)]))
        case .javascriptWithScope:
            var position = start
            let length = try RecordBytes.readVarint(raw, at: &position, limit: span.upperBound)
            guard length <= UInt64(span.upperBound - position) else {
                throw .invalidLayout(offset: start, reason: "code past its value")
            }
            let codeEnd = position + Int(length)
            let frame = beginFrame()
            try appendString(position..<codeEnd)
            try writeDocument(start: codeEnd, end: span.upperBound, depth: depth + 1)
            patchInt32(out.count - frame, at: frame)
        }
    }

    // MARK: Primitives

    private mutating func beginFrame() -> Int {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        return start
    }

    private mutating func endFrame(_ start: Int) {
        out.append(0)
        patchInt32(out.count - start, at: start)
    }

    private mutating func patchInt32(_ value: Int, at offset: Int) {
        RecordBytes.storeLittleEndian(UInt64(truncatingIfNeeded: value), width: 4, at: offset, in: &out)
    }

    private mutating func appendInt32(_ value: Int) {
        RecordBytes.appendLittleEndian(UInt64(truncatingIfNeeded: value), width: 4, to: &out)
    }

    /// A length-prefixed, NUL-terminated BSON string from validated record bytes.
    private mutating func appendString(_ span: Range<Int>) throws(RecordError) {
        let bytes = UnsafeRawBufferPointer(rebasing: raw[span])
        guard UTF8Check.isValid(bytes) else { throw .invalidUTF8(offset: span.lowerBound) }
        appendInt32(span.count + 1)
        out.append(contentsOf: bytes)
        out.append(0)
    }

    /// A NUL-terminated BSON cstring; record bytes holding a NUL cannot be one.
    private mutating func appendCString(_ span: Range<Int>) throws(RecordError) {
        let bytes = UnsafeRawBufferPointer(rebasing: raw[span])
        guard UTF8Check.isValid(bytes) else { throw .invalidUTF8(offset: span.lowerBound) }
        guard !bytes.contains(0) else { throw .bson(.nulInCString(String(decoding: bytes, as: UTF8.self))) }
        out.append(contentsOf: bytes)
        out.append(0)
    }

    /// An array index as a decimal key with its terminator.
    private mutating func appendIndexKey(_ index: Int) {
        var divisor = 1
        while divisor <= index / 10 { divisor *= 10 }
        var value = index
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor))
            value %= divisor
            divisor /= 10
        }
        out.append(0)
    }
}
