// RecordPatchBSONSize: the BSON size of a stored record computed from its shapes and variable
// slots without converting it, so a delta that adds fields can respect MongoDB's 16 MiB
// document limit. Caches per shape what the shape alone decides (names, fixed values).

internal import Synchronization

/// Computes the size a record would have as BSON.
///
/// Per shape it caches the bytes that depend only on the shape (element headers, field names,
/// fixed-size values); per record it then reads only the variable slots, recursively, so the
/// cost follows the number of strings, documents and arrays, not the number of fields.
final class RecordPatchBSONSize: Sendable {
    /// What one shape decides of a document's BSON size.
    struct ShapeFacts: Sendable {
        /// Length prefix, terminator, every element's type byte, name and NUL, and the values
        /// of every slot outside the variable region.
        let fixedBytes: Int
        /// The kinds of the variable slots, in table order.
        let variableKinds: [ValueKind]
    }

    private let facts = Mutex<[ShapeID: ShapeFacts]>([:])

    init() {}

    /// The BSON size of the document record occupying `start..<end`.
    func documentSize(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, resolver: ShapeResolver) throws(RecordError) -> Int {
        let body = try DocumentBody(raw, start: start, end: end, resolver: resolver)
        let facts = self.facts(for: body)
        var size = facts.fixedBytes
        for (index, kind) in facts.variableKinds.enumerated() {
            let span = try body.geometry.variableSpan(index, in: raw)
            size += try variableSize(kind, span, raw, resolver: resolver)
        }
        return size
    }

    private func facts(for body: DocumentBody) -> ShapeFacts {
        if let known = facts.withLock({ $0[body.shapeID] }) { return known }
        let layout = body.layout
        var fixedBytes = 5
        var variableKinds: [ValueKind] = []
        for slot in 0..<layout.count {
            let kind = layout.kinds[slot]
            fixedBytes += 2 + (layout.nameStarts[slot + 1] - layout.nameStarts[slot])
            if kind.storage == .variable {
                variableKinds.append(kind)
            } else {
                fixedBytes += Self.fixedValueSize(kind)
            }
        }
        let computed = ShapeFacts(fixedBytes: fixedBytes, variableKinds: variableKinds)
        facts.withLock { $0[body.shapeID] = computed }
        return computed
    }

    /// The BSON size of a value whose record form is not in the variable region.
    static func fixedValueSize(_ kind: ValueKind) -> Int {
        switch kind {
        case .int32: 4
        case .int64, .datetime, .double, .timestamp: 8
        case .objectId: 12
        case .decimal128: 16
        case .uuid: 21  // int32 length, subtype, 16 bytes
        case .boolTrue, .boolFalse: 1
        default: 0
        }
    }

    /// The BSON size of a variable-region value of `kind` stored in `span`.
    private func variableSize(
        _ kind: ValueKind, _ span: Range<Int>, _ raw: UnsafeRawBufferPointer, resolver: ShapeResolver
    ) throws(RecordError) -> Int {
        switch kind {
        case .string, .javascript, .symbol:
            return 4 + span.count + 1
        case .binary:
            return 4 + span.count  // record: subtype + bytes; BSON: length, subtype, bytes
        case .document:
            return try documentSize(raw, start: span.lowerBound, end: span.upperBound, resolver: resolver)
        case .array:
            return try arraySize(raw, start: span.lowerBound, end: span.upperBound, resolver: resolver)
        case .regex:
            var position = span.lowerBound
            let length = try RecordBytes.readVarint(raw, at: &position, limit: span.upperBound)
            return span.count - RecordBytes.varintSize(length) + 2  // pattern NUL options NUL
        case .dbPointer:
            return span.count + 5  // string length and NUL around the namespace; the 12-byte id
        case .javascriptWithScope:
            var position = span.lowerBound
            let codeLength = try RecordBytes.readVarint(raw, at: &position, limit: span.upperBound)
            guard codeLength <= UInt64(span.upperBound - position) else {
                throw .invalidLayout(offset: span.lowerBound, reason: "code longer than its value")
            }
            let scopeStart = position + Int(codeLength)
            let scope = try documentSize(raw, start: scopeStart, end: span.upperBound, resolver: resolver)
            return 4 + 4 + Int(codeLength) + 1 + scope
        default:
            // A kind outside the variable region inside a mixed array.
            return Self.fixedValueSize(kind)
        }
    }

    private func arraySize(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, resolver: ShapeResolver) throws(RecordError) -> Int {
        let header = try ArrayHeader(raw, start: start, end: end)
        let count = header.count
        // Length prefix and terminator, then per element a type byte, the index and a NUL.
        var size = 5 + 2 * count + Self.digitCount(below: count)
        guard count > 0 else { return size }
        if let kind = header.uniformKind, kind.storage != .variable {
            return size + count * Self.fixedValueSize(kind)
        }
        let geometry = try BodyGeometry(raw, start: header.bodyStart, end: end, counts: header.counts)
        for index in 0..<count {
            let kind = try header.kind(at: index, raw)
            if kind.storage == .variable {
                size += try variableSize(kind, try geometry.variableSpan(index, in: raw), raw, resolver: resolver)
            } else {
                size += Self.fixedValueSize(kind)
            }
        }
        return size
    }

    /// The decimal digits of all of 0, 1, ..., `count - 1` together.
    static func digitCount(below count: Int) -> Int {
        var total = 0
        var low = 0, high = 10, digits = 1
        while low < count {
            total += (min(count, high) - low) * digits
            low = high
            high = high > Int.max / 10 ? Int.max : high * 10
            digits += 1
        }
        return total
    }
}
