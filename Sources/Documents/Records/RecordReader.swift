// Materialises record bytes as BSON values: whole documents, arrays, or one value given its
// kind and byte range. Checks every bound, length and UTF-8 sequence; never traps.

import BSON

/// Decodes record bytes into ``BSONValue``s. All offsets are absolute within `raw`.
struct RecordReader {
    let raw: UnsafeRawBufferPointer
    let resolver: ShapeResolver
    let maximumDepth: Int

    /// Decodes the document record occupying `start..<end`.
    func document(start: Int, end: Int, depth: Int) throws(RecordError) -> BSONDocument {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let body = try DocumentBody(raw, start: start, end: end, resolver: resolver)
        let layout = body.layout
        var document = BSONDocument()
        document.reserveCapacity(layout.count)
        for slot in 0..<layout.count {
            let span = try body.span(ofSlot: slot, raw)
            document.append(layout.fields[slot].name, try value(layout.kinds[slot], span, depth: depth))
        }
        return document
    }

    /// Decodes the array occupying `start..<end`.
    func array(start: Int, end: Int, depth: Int) throws(RecordError) -> [BSONValue] {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let header = try ArrayHeader(raw, start: start, end: end)
        guard header.count > 0 else { return [] }
        let geometry = try BodyGeometry(raw, start: header.bodyStart, end: end, counts: header.counts)
        var values: [BSONValue] = []
        values.reserveCapacity(header.count)
        for index in 0..<header.count {
            let kind = try header.kind(at: index, raw)
            let span = try header.span(at: index, kind: kind, geometry: geometry, raw)
            values.append(try value(kind, span, depth: depth))
        }
        return values
    }

    /// Decodes one value of `kind` occupying `span`; nested containers are at `depth + 1`.
    func value(_ kind: ValueKind, _ span: Range<Int>, depth: Int) throws(RecordError) -> BSONValue {
        let start = span.lowerBound
        switch kind {
        case .double: return .double(Double(bitPattern: RecordBytes.loadUnsigned(raw, at: start, width: 8)))
        case .string: return .string(try string(span))
        case .document: return .document(try document(start: start, end: span.upperBound, depth: depth + 1))
        case .array: return .array(try array(start: start, end: span.upperBound, depth: depth + 1))
        case .binary:
            guard !span.isEmpty else { throw .invalidLayout(offset: start, reason: "binary without a subtype") }
            let bytes = Array(UnsafeRawBufferPointer(rebasing: raw[(start + 1)..<span.upperBound]))
            return .binary(BSONBinary(subtype: .init(raw[start]), bytes: bytes))
        case .uuid: return .binary(BSONBinary(subtype: .uuid, bytes: Array(UnsafeRawBufferPointer(rebasing: raw[span]))))
        case .undefined: return .undefined
        case .objectId: return .objectId(try objectId(at: start))
        case .boolFalse: return .bool(false)
        case .boolTrue: return .bool(true)
        case .datetime:
            return .datetime(BSONDateTime(millisecondsSinceEpoch: RecordBytes.loadSigned(raw, at: start, width: span.count)))
        case .null: return .null
        case .regex:
            var position = start
            let (pattern, optionsStart) = try prefixedString(&position, span)
            var regex = BSONRegex(pattern: pattern, options: "")
            regex.options = try string(optionsStart..<span.upperBound)  // exactly as stored, not re-sorted
            return .regex(regex)
        case .dbPointer:
            guard span.count >= 12 else { throw .invalidLayout(offset: start, reason: "DBPointer shorter than its id") }
            return .dbPointer(BSONDBPointer(ref: try string((start + 12)..<span.upperBound), id: try objectId(at: start)))
        case .javascript: return .javascript(try string(span))
        case .symbol: return .symbol(try string(span))
        case .javascriptWithScope:
            var position = start
            let (code, scopeStart) = try prefixedString(&position, span)
            let scope = try document(start: scopeStart, end: span.upperBound, depth: depth + 1)
            return .javascriptWithScope(BSONCodeWithScope(code: code, scope: scope))
        case .int32: return .int32(Int32(truncatingIfNeeded: RecordBytes.loadSigned(raw, at: start, width: span.count)))
        case .timestamp:
            let bits = RecordBytes.loadUnsigned(raw, at: start, width: 8)
            return .timestamp(BSONTimestamp(timestamp: UInt32(truncatingIfNeeded: bits >> 32), increment: UInt32(truncatingIfNeeded: bits)))
        case .int64: return .int64(RecordBytes.loadSigned(raw, at: start, width: span.count))
        case .decimal128:
            return .decimal128(Decimal128(
                high: RecordBytes.loadUnsigned(raw, at: start + 8, width: 8),
                low: RecordBytes.loadUnsigned(raw, at: start, width: 8)
            ))
        case .minKey: return .minKey
        case .maxKey: return .maxKey
        }
    }

    /// A validated UTF-8 string from `span`.
    @inline(__always)
    func string(_ span: Range<Int>) throws(RecordError) -> String {
        guard let string = String(wellFormedUTF8: UnsafeRawBufferPointer(rebasing: raw[span])) else {
            throw .invalidUTF8(offset: span.lowerBound)
        }
        return string
    }

    /// A varint-length-prefixed string inside `span` at `position`; returns it and the offset after it.
    func prefixedString(_ position: inout Int, _ span: Range<Int>) throws(RecordError) -> (String, Int) {
        let lengthOffset = position
        let length = try RecordBytes.readVarint(raw, at: &position, limit: span.upperBound)
        guard length <= UInt64(span.upperBound - position) else {
            throw .invalidLayout(offset: lengthOffset, reason: "string of \(length) bytes past its value")
        }
        let end = position + Int(length)
        return (try string(position..<end), end)
    }

    @inline(__always)
    func objectId(at offset: Int) throws(RecordError) -> ObjectId {
        guard let id = ObjectId(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 12)])) else {
            throw .invalidLayout(offset: offset, reason: "ObjectId")
        }
        return id
    }
}
