// Encoding straight from BSON wire bytes (a validated BSONDocumentView): walks each document
// once into element bounds, then writes the record as the BSONDocument path does. Bounds
// are still checked, so even unvalidated bytes end in a thrown error, never a trap.

import BSON

extension RecordWriter {
    /// Appends the wire document occupying `start..<end` as a record; returns its shape.
    @discardableResult
    mutating func writeWireDocument(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, depth: Int) throws(RecordError) -> Shape {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let base = wireElements.count
        defer { wireElements.removeSubrange(base...) }
        try collectWireElements(raw, start: start, end: end)
        let count = wireElements.count - base

        // Shape: match the hint by bytes, then follow transitions.
        var matched = 0
        var shape = registry.root
        if let hint = hint(at: depth) {
            let layout = hint.layout
            let limit = min(layout.count, count)
            while matched < limit {
                let element = wireElements[base + matched]
                let kind = try wireKind(element, raw)
                let name = UnsafeRawBufferPointer(rebasing: raw[element.keyStart..<element.keyEnd])
                guard layout.slot(matched, matches: kind, name: name) else { break }
                matched += 1
            }
            shape = hint.ancestor(withFieldCount: matched)
        }
        for index in matched..<count {
            let element = wireElements[base + index]
            let kind = try wireKind(element, raw)
            shape = try child(of: shape, name: UnsafeRawBufferPointer(rebasing: raw[element.keyStart..<element.keyEnd]), kind: kind)
        }
        settle(shape, depth: depth)

        let layout = shape.layout
        let counts = layout.counts
        var int32Width = 0
        var int64Needed = 0
        if counts.int32Count + counts.int64Count > 0 {
            for slot in 0..<count {
                let element = wireElements[base + slot]
                switch layout.kinds[slot] {
                case .int32: int32Width = max(int32Width, RecordBytes.signedWidth(Self.wireInt(raw, element, width: 4)))
                case .int64, .datetime: int64Needed = max(int64Needed, RecordBytes.signedWidth(Self.wireInt(raw, element, width: 8)))
                default: break
                }
            }
        }
        let int64Width = LayoutByte.int64Width(forNeeded: int64Needed)
        RecordBytes.appendVarint(UInt64(shape.id.rawValue), to: &out)
        let layoutPosition = out.count
        if counts.needsLayoutByte { out.append(0) }
        if counts.fixedBytes + counts.int32Count + counts.int64Count > 0 {
            for slot in 0..<count {
                writeWireFixed(raw, wireElements[base + slot], kind: layout.kinds[slot], int32Width: int32Width, int64Width: int64Width)
            }
        }
        var tableWidth = 1
        if counts.variableCount > 0 {
            let table = beginTable(variableCount: counts.variableCount)
            for slot in 0..<count where layout.kinds[slot].storage == .variable {
                try writeWireVariable(raw, wireElements[base + slot], depth: depth)
                ends.append(out.count - table.dataStart)
            }
            tableWidth = try finishTable(table)
        }
        if counts.needsLayoutByte {
            out[layoutPosition] = LayoutByte(int32Width: int32Width, int64Width: int64Width, tableWidth: tableWidth).encoded
        }
        return shape
    }

    /// Appends the wire array occupying `start..<end` as an encoded array (keys are ignored,
    /// as the BSON value model ignores them).
    mutating func writeWireArray(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, depth: Int) throws(RecordError) {
        guard depth <= maximumDepth else { throw .nestingTooDeep(limit: maximumDepth) }
        let base = wireElements.count
        defer { wireElements.removeSubrange(base...) }
        try collectWireElements(raw, start: start, end: end)
        let count = wireElements.count - base
        guard count > 0 else {
            out.append(0)
            return
        }
        let firstKind = try wireKind(wireElements[base], raw)
        var uniform = true
        var int32Width = 0
        var int64Needed = 0
        for index in 0..<count {
            let element = wireElements[base + index]
            let kind = try wireKind(element, raw)
            if kind != firstKind { uniform = false }
            switch kind {
            case .int32: int32Width = max(int32Width, RecordBytes.signedWidth(Self.wireInt(raw, element, width: 4)))
            case .int64, .datetime: int64Needed = max(int64Needed, RecordBytes.signedWidth(Self.wireInt(raw, element, width: 8)))
            default: break
            }
        }
        RecordBytes.appendVarint(UInt64(count) << 1 | (uniform ? 1 : 0), to: &out)
        if uniform {
            out.append(firstKind.rawValue)
            let counts = BodyCounts(uniform: firstKind, count: count)
            let int64Width = LayoutByte.int64Width(forNeeded: int64Needed)
            let layoutPosition = out.count
            if counts.needsLayoutByte { out.append(0) }
            var tableWidth = 1
            switch firstKind.storage {
            case .empty:
                break
            case .fixed, .int32Width, .int64Width:
                for index in 0..<count {
                    writeWireFixed(raw, wireElements[base + index], kind: firstKind, int32Width: int32Width, int64Width: int64Width)
                }
            case .variable:
                let table = beginTable(variableCount: count)
                for index in 0..<count {
                    try writeWireVariable(raw, wireElements[base + index], depth: depth)
                    ends.append(out.count - table.dataStart)
                }
                tableWidth = try finishTable(table)
            }
            if counts.needsLayoutByte {
                out[layoutPosition] = LayoutByte(int32Width: int32Width, int64Width: int64Width, tableWidth: tableWidth).encoded
            }
        } else {
            for index in 0..<count { out.append(try wireKind(wireElements[base + index], raw).rawValue) }
            let layoutPosition = out.count
            out.append(0)
            let table = beginTable(variableCount: count)
            for index in 0..<count {
                let element = wireElements[base + index]
                let kind = try wireKind(element, raw)
                switch kind.storage {
                case .empty: break
                case .fixed: writeWireFixed(raw, element, kind: kind, int32Width: 0, int64Width: 0)
                case .int32Width, .int64Width:
                    let value = Self.wireInt(raw, element, width: kind == .int32 ? 4 : 8)
                    RecordBytes.appendLittleEndian(UInt64(bitPattern: value), width: RecordBytes.signedWidth(value), to: &out)
                case .variable: try writeWireVariable(raw, element, depth: depth)
                }
                ends.append(out.count - table.dataStart)
            }
            let tableWidth = try finishTable(table)
            out[layoutPosition] = LayoutByte(int32Width: 0, int64Width: 0, tableWidth: tableWidth).encoded
        }
    }

    // MARK: Values

    mutating func writeWireFixed(_ raw: UnsafeRawBufferPointer, _ element: WireElement, kind: ValueKind, int32Width: Int, int64Width: Int) {
        let start = element.valueStart
        switch kind {
        case .double, .timestamp, .objectId, .decimal128:
            // Same byte order on the wire as in records (timestamp: increment, then seconds).
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<element.valueEnd]))
        case .uuid:
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(start + 5)..<element.valueEnd]))
        case .int32:
            RecordBytes.appendLittleEndian(UInt64(bitPattern: Self.wireInt(raw, element, width: 4)), width: int32Width, to: &out)
        case .int64, .datetime:
            RecordBytes.appendLittleEndian(UInt64(bitPattern: Self.wireInt(raw, element, width: 8)), width: int64Width, to: &out)
        default:
            break
        }
    }

    mutating func writeWireVariable(_ raw: UnsafeRawBufferPointer, _ element: WireElement, depth: Int) throws(RecordError) {
        let start = element.valueStart
        let end = element.valueEnd
        switch element.type {
        case 0x02, 0x0D, 0x0E:  // string, JavaScript, symbol: drop the length and the NUL
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(start + 4)..<(end - 1)]))
        case 0x03:
            try writeWireDocument(raw, start: start, end: end, depth: depth + 1)
        case 0x04:
            try writeWireArray(raw, start: start, end: end, depth: depth + 1)
        case 0x05:
            let subtype = raw[start + 4]
            var payload = start + 5
            if subtype == BSONBinary.Subtype.binaryOld.rawValue {
                // The legacy subtype repeats the length inside the payload; the model drops it.
                guard end - payload >= 4 else { throw .bson(.invalidLength(offset: start, length: end - payload, reason: "subtype 0x02 needs an inner length")) }
                payload += 4
            }
            out.append(subtype)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[payload..<end]))
        case 0x0B:
            var patternEnd = start
            while raw[patternEnd] != 0 { patternEnd += 1 }  // bounded: the walk found both NULs
            RecordBytes.appendVarint(UInt64(patternEnd - start), to: &out)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<patternEnd]))
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(patternEnd + 1)..<(end - 1)]))
        case 0x0C:
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(end - 12)..<end]))
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(start + 4)..<(end - 13)]))
        case 0x0F:
            let codeLength = Int(Self.int32(raw, at: start + 4))
            let codeEnd = start + 8 + codeLength  // one past the code's NUL
            guard codeLength >= 1, codeEnd <= end else {
                throw .bson(.invalidLength(offset: start + 4, length: codeLength, reason: "code extends past code with scope"))
            }
            RecordBytes.appendVarint(UInt64(codeLength - 1), to: &out)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(start + 8)..<(codeEnd - 1)]))
            try writeWireDocument(raw, start: codeEnd, end: end, depth: depth + 1)
        default:
            break
        }
    }

    // MARK: Walking wire bytes

    /// Appends the bounds of every element of the document at `start..<end` to `wireElements`.
    mutating func collectWireElements(_ raw: UnsafeRawBufferPointer, start: Int, end: Int) throws(RecordError) {
        guard end - start >= 5, Int(Self.int32(raw, at: start)) == end - start else {
            throw .bson(.invalidLength(offset: start, length: end - start, reason: "document length disagrees with its container"))
        }
        let contentEnd = end - 1
        guard raw[contentEnd] == 0 else { throw .bson(.missingTerminator(offset: contentEnd)) }
        var position = start + 4
        while position < contentEnd {
            let type = raw[position]
            let keyStart = position + 1
            var keyEnd = keyStart
            while keyEnd < contentEnd, raw[keyEnd] != 0 { keyEnd += 1 }
            guard keyEnd < contentEnd else { throw .bson(.missingTerminator(offset: contentEnd)) }
            let valueStart = keyEnd + 1
            let valueEnd = try Self.wireValueEnd(raw, type: type, at: valueStart, limit: contentEnd)
            wireElements.append(WireElement(type: type, keyStart: keyStart, keyEnd: keyEnd, valueStart: valueStart, valueEnd: valueEnd))
            position = valueEnd
        }
    }

    /// The kind of a wire element.
    func wireKind(_ element: WireElement, _ raw: UnsafeRawBufferPointer) throws(RecordError) -> ValueKind {
        switch element.type {
        case 0x05:
            let isUUID = raw[element.valueStart + 4] == BSONBinary.Subtype.uuid.rawValue
                && element.valueEnd - element.valueStart == 5 + 16
            return isUUID ? .uuid : .binary
        case 0x08:
            switch raw[element.valueStart] {
            case 0: return .boolFalse
            case 1: return .boolTrue
            case let byte: throw .bson(.invalidBoolean(offset: element.valueStart, byte: byte))
            }
        case 0x7F, 0xFF:
            return element.type == 0x7F ? .maxKey : .minKey
        default:
            // Every other BSON type byte is its kind's raw value; unknown bytes failed the walk.
            guard let kind = ValueKind(rawValue: element.type) else {
                throw .bson(.unknownType(offset: element.keyStart - 1, byte: element.type))
            }
            return kind
        }
    }

    /// The end of a value of `type` starting at `start`, checked against `limit`.
    static func wireValueEnd(_ raw: UnsafeRawBufferPointer, type: UInt8, at start: Int, limit: Int) throws(RecordError) -> Int {
        @inline(__always) func need(_ count: Int) throws(RecordError) -> Int {
            guard count >= 0, count <= limit - start else {
                throw .bson(.truncated(offset: start, needed: count - (limit - start)))
            }
            return start + count
        }
        @inline(__always) func length(minimum: Int) throws(RecordError) -> Int {
            _ = try need(4)
            let value = Int(int32(raw, at: start))
            guard value >= minimum else {
                throw .bson(.invalidLength(offset: start, length: value, reason: "too short for its type"))
            }
            return value
        }
        switch type {
        case 0x01, 0x09, 0x11, 0x12: return try need(8)
        case 0x10: return try need(4)
        case 0x13: return try need(16)
        case 0x07: return try need(12)
        case 0x08: return try need(1)
        case 0x06, 0x0A, 0xFF, 0x7F: return start
        case 0x02, 0x0D, 0x0E: return try need(4 + length(minimum: 1))
        case 0x03, 0x04: return try need(length(minimum: 5))
        case 0x0F: return try need(length(minimum: 14))
        case 0x05: return try need(5 + length(minimum: 0))
        case 0x0C: return try need(4 + length(minimum: 1) + 12)
        case 0x0B:
            var position = start
            for _ in 0..<2 {
                while position < limit, raw[position] != 0 { position += 1 }
                guard position < limit else { throw .bson(.missingTerminator(offset: limit)) }
                position += 1
            }
            return position
        default:
            throw .bson(.unknownType(offset: start, byte: type))
        }
    }

    @inline(__always)
    static func int32(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int32 {
        Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    /// A wire int32 (`width` 4) or int64/datetime (`width` 8) value, widened.
    @inline(__always)
    static func wireInt(_ raw: UnsafeRawBufferPointer, _ element: WireElement, width: Int) -> Int64 {
        width == 4
            ? Int64(int32(raw, at: element.valueStart))
            : Int64(littleEndian: raw.loadUnaligned(fromByteOffset: element.valueStart, as: Int64.self))
    }
}
