// The validating BSON decoder: walks bytes once, checks every length, terminator, type byte,
// UTF-8 sequence and the nesting limit, and either materialises values or only validates.
// It never reads outside the buffer and never traps on malformed input.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads BSON from a raw buffer. All offsets are absolute within `buffer`.
struct BSONReader {
    let buffer: UnsafeRawBufferPointer
    let options: BSONDecodingOptions

    init(_ buffer: UnsafeRawBufferPointer, options: BSONDecodingOptions) {
        self.buffer = buffer
        self.options = options
    }

    // MARK: Primitive loads (callers have checked bounds)

    @inline(__always) func int32(at offset: Int) -> Int32 {
        Int32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }
    @inline(__always) func int64(at offset: Int) -> Int64 {
        Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }
    @inline(__always) func uint64(at offset: Int) -> UInt64 {
        UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) func uint32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func require(_ count: Int, at offset: Int, limit: Int) throws(BSONError) {
        if limit - offset < count { throw .truncated(offset: offset, needed: count - max(0, limit - offset)) }
    }

    // MARK: Frames

    /// Validates a document frame at `start` that must end at or before `limit`; returns its end.
    func documentEnd(at start: Int, limit: Int) throws(BSONError) -> Int {
        try require(4, at: start, limit: limit)
        let length = Int(int32(at: start))
        guard length >= 5 else {
            throw .invalidLength(offset: start, length: length, reason: "a document needs at least 5 bytes")
        }
        guard length <= limit - start else {
            throw .invalidLength(offset: start, length: length, reason: "document extends past its container")
        }
        let end = start + length
        guard buffer[end - 1] == 0 else { throw .missingTerminator(offset: end - 1) }
        return end
    }

    /// Finds the NUL that ends a cstring starting at `start` before `limit`; returns its offset.
    @inline(__always)
    func cstringEnd(at start: Int, limit: Int) throws(BSONError) -> Int {
        guard start < limit, let base = buffer.baseAddress else { throw .truncated(offset: start, needed: 1) }
        guard let hit = memchr(base + start, 0, limit - start) else {
            throw .missingTerminator(offset: limit)
        }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    @inline(__always)
    func validateUTF8(_ start: Int, _ end: Int) throws(BSONError) {
        guard UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: buffer[start..<end])) else {
            throw .invalidUTF8(offset: start)
        }
    }

    @inline(__always)
    func makeString(_ start: Int, _ end: Int) throws(BSONError) -> String {
        guard let string = String(wellFormedUTF8: UnsafeRawBufferPointer(rebasing: buffer[start..<end])) else {
            throw .invalidUTF8(offset: start)
        }
        return string
    }

    /// Validates a length-prefixed string at `start`; returns the range of its bytes
    /// (excluding the terminator) and the offset after it.
    @inline(__always)
    func stringBounds(at start: Int, limit: Int) throws(BSONError) -> (Int, Int, next: Int) {
        try require(4, at: start, limit: limit)
        let length = Int(int32(at: start))
        guard length >= 1 else {
            throw .invalidLength(offset: start, length: length, reason: "a string length includes its terminator")
        }
        guard length <= limit - start - 4 else {
            throw .invalidLength(offset: start, length: length, reason: "string extends past its container")
        }
        let terminator = start + 4 + length - 1
        guard buffer[terminator] == 0 else { throw .missingTerminator(offset: terminator) }
        return (start + 4, terminator, terminator + 1)
    }

    // MARK: Validation only

    /// Validates the whole document at `start` (ending at or before `limit`); returns its end.
    func validateDocument(at start: Int, limit: Int, depth: Int) throws(BSONError) -> Int {
        guard depth <= options.maxDepth else { throw .nestingTooDeep(offset: start, limit: options.maxDepth) }
        let end = try documentEnd(at: start, limit: limit)
        let contentEnd = end - 1
        var position = start + 4
        while position < contentEnd {
            let typeByte = buffer[position]
            guard let type = BSONType(rawValue: typeByte) else {
                throw .unknownType(offset: position, byte: typeByte)
            }
            let keyEnd = try cstringEnd(at: position + 1, limit: contentEnd)
            try validateUTF8(position + 1, keyEnd)
            position = try validateValue(type, at: keyEnd + 1, limit: contentEnd, depth: depth)
        }
        guard position == contentEnd else { throw .missingTerminator(offset: contentEnd) }
        return end
    }

    /// Validates one value of `type` at `start`; returns the offset after it.
    func validateValue(_ type: BSONType, at start: Int, limit: Int, depth: Int) throws(BSONError) -> Int {
        switch type {
        case .double, .datetime, .timestamp, .int64:
            try require(8, at: start, limit: limit)
            return start + 8
        case .int32:
            try require(4, at: start, limit: limit)
            return start + 4
        case .decimal128:
            try require(16, at: start, limit: limit)
            return start + 16
        case .objectId:
            try require(12, at: start, limit: limit)
            return start + 12
        case .undefined, .null, .minKey, .maxKey:
            return start
        case .bool:
            try require(1, at: start, limit: limit)
            let byte = buffer[start]
            guard byte <= 1 else { throw .invalidBoolean(offset: start, byte: byte) }
            return start + 1
        case .string, .javascript, .symbol:
            let (s, e, next) = try stringBounds(at: start, limit: limit)
            try validateUTF8(s, e)
            return next
        case .document, .array:
            return try validateDocument(at: start, limit: limit, depth: depth + 1)
        case .binary:
            return try binaryBounds(at: start, limit: limit).next
        case .regex:
            let patternEnd = try cstringEnd(at: start, limit: limit)
            try validateUTF8(start, patternEnd)
            let optionsEnd = try cstringEnd(at: patternEnd + 1, limit: limit)
            try validateUTF8(patternEnd + 1, optionsEnd)
            return optionsEnd + 1
        case .dbPointer:
            let (s, e, next) = try stringBounds(at: start, limit: limit)
            try validateUTF8(s, e)
            try require(12, at: next, limit: limit)
            return next + 12
        case .javascriptWithScope:
            let (codeStart, codeEnd, scopeStart, end) = try codeWithScopeBounds(at: start, limit: limit)
            try validateUTF8(codeStart, codeEnd)
            let scopeEnd = try validateDocument(at: scopeStart, limit: end, depth: depth + 1)
            guard scopeEnd == end else {
                throw .invalidLength(offset: start, length: end - start, reason: "code with scope length disagrees with its parts")
            }
            return end
        }
    }

    /// Validates a binary value's frame; returns the payload range and the offset after it.
    func binaryBounds(at start: Int, limit: Int) throws(BSONError) -> (subtype: UInt8, payloadStart: Int, payloadEnd: Int, next: Int) {
        try require(5, at: start, limit: limit)
        let length = Int(int32(at: start))
        guard length >= 0 else { throw .invalidLength(offset: start, length: length, reason: "negative binary length") }
        guard length <= limit - start - 5 else {
            throw .invalidLength(offset: start, length: length, reason: "binary extends past its container")
        }
        let subtype = buffer[start + 4]
        let dataStart = start + 5
        let next = dataStart + length
        if subtype == BSONBinary.Subtype.binaryOld.rawValue {
            // The legacy subtype repeats the payload length inside the payload.
            guard length >= 4 else {
                throw .invalidLength(offset: start, length: length, reason: "subtype 0x02 needs an inner length")
            }
            let inner = Int(int32(at: dataStart))
            guard inner == length - 4 else {
                throw .invalidLength(offset: dataStart, length: inner, reason: "subtype 0x02 inner length disagrees with the outer length")
            }
            return (subtype, dataStart + 4, next, next)
        }
        return (subtype, dataStart, next, next)
    }

    /// Validates the outer frame of code-with-scope and its string; returns the code bytes,
    /// where the scope starts, and where the whole value ends.
    func codeWithScopeBounds(at start: Int, limit: Int) throws(BSONError) -> (Int, Int, Int, Int) {
        try require(4, at: start, limit: limit)
        let total = Int(int32(at: start))
        // 4 (total) + 4 (string length) + 1 (empty string) + 5 (empty scope)
        guard total >= 14 else {
            throw .invalidLength(offset: start, length: total, reason: "code with scope needs at least 14 bytes")
        }
        guard total <= limit - start else {
            throw .invalidLength(offset: start, length: total, reason: "code with scope extends past its container")
        }
        let end = start + total
        let (codeStart, codeEnd, scopeStart) = try stringBounds(at: start + 4, limit: end)
        return (codeStart, codeEnd, scopeStart, end)
    }

    // MARK: Materialisation

    /// Decodes the document at `start`; returns it and its end offset.
    func readDocument(at start: Int, limit: Int, depth: Int) throws(BSONError) -> (BSONDocument, Int) {
        guard depth <= options.maxDepth else { throw .nestingTooDeep(offset: start, limit: options.maxDepth) }
        let end = try documentEnd(at: start, limit: limit)
        let contentEnd = end - 1
        var document = BSONDocument()
        var position = start + 4
        while position < contentEnd {
            let typeByte = buffer[position]
            guard let type = BSONType(rawValue: typeByte) else {
                throw .unknownType(offset: position, byte: typeByte)
            }
            let keyEnd = try cstringEnd(at: position + 1, limit: contentEnd)
            let key = try makeString(position + 1, keyEnd)
            let (value, next) = try readValue(type, at: keyEnd + 1, limit: contentEnd, depth: depth)
            document.append(key, value)
            position = next
        }
        guard position == contentEnd else { throw .missingTerminator(offset: contentEnd) }
        return (document, end)
    }

    /// Decodes the array at `start` (keys are skipped, not checked); returns it and its end.
    func readArray(at start: Int, limit: Int, depth: Int) throws(BSONError) -> ([BSONValue], Int) {
        guard depth <= options.maxDepth else { throw .nestingTooDeep(offset: start, limit: options.maxDepth) }
        let end = try documentEnd(at: start, limit: limit)
        let contentEnd = end - 1
        var array: [BSONValue] = []
        var position = start + 4
        while position < contentEnd {
            let typeByte = buffer[position]
            guard let type = BSONType(rawValue: typeByte) else {
                throw .unknownType(offset: position, byte: typeByte)
            }
            let keyEnd = try cstringEnd(at: position + 1, limit: contentEnd)
            try validateUTF8(position + 1, keyEnd)
            let (value, next) = try readValue(type, at: keyEnd + 1, limit: contentEnd, depth: depth)
            array.append(value)
            position = next
        }
        guard position == contentEnd else { throw .missingTerminator(offset: contentEnd) }
        return (array, end)
    }

    /// Decodes one value of `type` at `start`; returns it and the offset after it.
    func readValue(_ type: BSONType, at start: Int, limit: Int, depth: Int) throws(BSONError) -> (BSONValue, Int) {
        switch type {
        case .double:
            try require(8, at: start, limit: limit)
            return (.double(Double(bitPattern: uint64(at: start))), start + 8)
        case .string:
            let (s, e, next) = try stringBounds(at: start, limit: limit)
            return (.string(try makeString(s, e)), next)
        case .document:
            let (document, end) = try readDocument(at: start, limit: limit, depth: depth + 1)
            return (.document(document), end)
        case .array:
            let (array, end) = try readArray(at: start, limit: limit, depth: depth + 1)
            return (.array(array), end)
        case .binary:
            let (subtype, payloadStart, payloadEnd, next) = try binaryBounds(at: start, limit: limit)
            let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[payloadStart..<payloadEnd]))
            return (.binary(BSONBinary(subtype: .init(subtype), bytes: bytes)), next)
        case .undefined:
            return (.undefined, start)
        case .objectId:
            try require(12, at: start, limit: limit)
            return (.objectId(ObjectId(uncheckedBytes: buffer, at: start)), start + 12)
        case .bool:
            try require(1, at: start, limit: limit)
            let byte = buffer[start]
            guard byte <= 1 else { throw .invalidBoolean(offset: start, byte: byte) }
            return (.bool(byte == 1), start + 1)
        case .datetime:
            try require(8, at: start, limit: limit)
            return (.datetime(BSONDateTime(millisecondsSinceEpoch: int64(at: start))), start + 8)
        case .null:
            return (.null, start)
        case .regex:
            let patternEnd = try cstringEnd(at: start, limit: limit)
            let pattern = try makeString(start, patternEnd)
            let optionsEnd = try cstringEnd(at: patternEnd + 1, limit: limit)
            let options = try makeString(patternEnd + 1, optionsEnd)
            return (.regex(BSONRegex(pattern: pattern, options: options)), optionsEnd + 1)
        case .dbPointer:
            let (s, e, next) = try stringBounds(at: start, limit: limit)
            let ref = try makeString(s, e)
            try require(12, at: next, limit: limit)
            return (.dbPointer(BSONDBPointer(ref: ref, id: ObjectId(uncheckedBytes: buffer, at: next))), next + 12)
        case .javascript:
            let (s, e, next) = try stringBounds(at: start, limit: limit)
            return (.javascript(try makeString(s, e)), next)
        case .symbol:
            let (s, e, next) = try stringBounds(at: start, limit: limit)
            return (.symbol(try makeString(s, e)), next)
        case .javascriptWithScope:
            let (codeStart, codeEnd, scopeStart, end) = try codeWithScopeBounds(at: start, limit: limit)
            let code = try makeString(codeStart, codeEnd)
            let (scope, scopeEnd) = try readDocument(at: scopeStart, limit: end, depth: depth + 1)
            guard scopeEnd == end else {
                throw .invalidLength(offset: start, length: end - start, reason: "code with scope length disagrees with its parts")
            }
            return (.javascriptWithScope(BSONCodeWithScope(code: code, scope: scope)), end)
        case .int32:
            try require(4, at: start, limit: limit)
            return (.int32(int32(at: start)), start + 4)
        case .timestamp:
            try require(8, at: start, limit: limit)
            return (.timestamp(BSONTimestamp(timestamp: uint32(at: start + 4), increment: uint32(at: start))), start + 8)
        case .int64:
            try require(8, at: start, limit: limit)
            return (.int64(int64(at: start)), start + 8)
        case .decimal128:
            try require(16, at: start, limit: limit)
            return (.decimal128(Decimal128(high: uint64(at: start + 8), low: uint64(at: start))), start + 16)
        case .minKey:
            return (.minKey, start)
        case .maxKey:
            return (.maxKey, start)
        }
    }

    // MARK: Top level

    /// Checks the top-level frame: the stated length must equal the input's length.
    func checkTopLevel() throws(BSONError) {
        guard buffer.count >= 4 else { throw .truncated(offset: 0, needed: 4 - buffer.count) }
        let stated = Int(int32(at: 0))
        guard stated <= options.maxDocumentSize else {
            throw .documentTooLarge(size: stated, limit: options.maxDocumentSize)
        }
        if stated >= 5, stated < buffer.count { throw .trailingBytes(offset: stated) }
    }
}

extension BSONDocument {
    /// Decodes and fully validates one BSON document occupying exactly `bytes`.
    public init(bsonBytes bytes: UnsafeRawBufferPointer, options: BSONDecodingOptions = .default) throws(BSONError) {
        let reader = BSONReader(bytes, options: options)
        try reader.checkTopLevel()
        let (document, _) = try reader.readDocument(at: 0, limit: bytes.count, depth: 1)
        self = document
    }

    /// Decodes and fully validates one BSON document occupying exactly `bytes`.
    public init(bsonBytes bytes: [UInt8], options: BSONDecodingOptions = .default) throws(BSONError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(BSONError) in try BSONDocument(bsonBytes: raw, options: options) }
        }
        self = try result.get()
    }

    /// Validates one BSON document occupying exactly `bytes` without materialising it.
    public static func validate(bsonBytes bytes: UnsafeRawBufferPointer, options: BSONDecodingOptions = .default) throws(BSONError) {
        let reader = BSONReader(bytes, options: options)
        try reader.checkTopLevel()
        _ = try reader.validateDocument(at: 0, limit: bytes.count, depth: 1)
    }
}
