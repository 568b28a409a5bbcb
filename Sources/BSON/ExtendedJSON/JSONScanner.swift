// JSONScanner: a strict RFC 8259 reader over UTF-8 bytes. Owns tokens (strings and their
// escapes, numbers, literals, punctuation), whitespace, the nesting limit and byte offsets
// for errors. Knows nothing of Extended JSON or BSON; never reads outside its buffer.

/// A JSON number token: where its text lies in the input and whether it is an integer
/// (no fraction and no exponent). The text has already been checked against RFC 8259.
struct JSONNumber: Sendable, Equatable {
    /// Offset of the first byte (the `-` or first digit).
    var start: Int
    /// Offset one past the last byte.
    var end: Int
    /// Whether the number has neither a fraction nor an exponent.
    var isInteger: Bool
}

/// A pull reader of JSON tokens. The caller drives the grammar (object members, array
/// elements) through ``nextKey(isFirst:)`` and ``nextElement(isFirst:)``, which enforce the
/// commas, colons and brackets, and the nesting limit.
struct JSONScanner {
    /// The nesting limit when none is given: the same as BSON decoding's.
    static let defaultMaxDepth = 200

    /// The UTF-8 input. Must outlive the scanner.
    let bytes: UnsafeBufferPointer<UInt8>
    /// How many containers may be open at once.
    let maxDepth: Int
    /// The offset of the next unread byte.
    private(set) var offset = 0
    /// How many containers are open.
    private(set) var depth = 0

    /// A scanner at the start of `bytes`. The bytes must be valid UTF-8 (see
    /// ``UTF8Validation``): the scanner checks JSON grammar, not encoding.
    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONScanner.defaultMaxDepth) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// An Extended JSON error at `offset` (the current position when omitted).
    func error(_ reason: String, at offset: Int? = nil) -> BSONError {
        .invalidExtendedJSON(offset: offset ?? self.offset, reason: reason)
    }

    // MARK: Whitespace and punctuation

    /// Skips JSON whitespace (space, tab, line feed, carriage return) and returns the next
    /// byte without consuming it, or `nil` at the end of the input.
    @inline(__always)
    mutating func peek() -> UInt8? {
        while offset < bytes.count {
            let byte = bytes[offset]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return byte }
            offset += 1
        }
        return nil
    }

    /// Consumes the next non-whitespace byte if it is `byte`.
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        offset += 1
        return true
    }

    /// Consumes `byte` or throws, naming what was expected.
    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(BSONError) {
        guard consume(byte) else { throw unexpected(expecting: what) }
    }

    /// An error describing the byte at the current position (or the end of input).
    mutating func unexpected(expecting what: StaticString) -> BSONError {
        guard let byte = peek() else { return error("unexpected end of input, expected \(what)") }
        if byte >= 0x20, byte < 0x7F {
            return error("unexpected '\(Character(Unicode.Scalar(byte)))', expected \(what)")
        }
        return error("unexpected byte 0x\(String(byte, radix: 16)), expected \(what)")
    }

    /// Throws unless only whitespace remains.
    mutating func expectEndOfInput() throws(BSONError) {
        if peek() != nil { throw error("unexpected data after the JSON value") }
    }

    // MARK: Containers

    /// Consumes `{` and opens an object.
    mutating func beginObject() throws(BSONError) {
        try enter()
        try expect(UInt8(ascii: "{"), "'{'")
    }

    /// Consumes `[` and opens an array.
    mutating func beginArray() throws(BSONError) {
        try enter()
        try expect(UInt8(ascii: "["), "'['")
    }

    private mutating func enter() throws(BSONError) {
        guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        depth += 1
    }

    /// Reads the next member's key and its colon, or consumes the closing `}` and returns
    /// `nil`. Pass the same `isFirst` (initially `true`) for every member of one object.
    ///
    /// Keys become BSON cstrings, so a key holding U+0000 is rejected here.
    mutating func nextKey(isFirst: inout Bool) throws(BSONError) -> String? {
        if isFirst {
            isFirst = false
            if consume(UInt8(ascii: "}")) { depth -= 1; return nil }
        } else {
            if consume(UInt8(ascii: "}")) { depth -= 1; return nil }
            try expect(UInt8(ascii: ","), "',' or '}'")
        }
        guard peek() == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string key") }
        let keyOffset = offset
        let (key, hasNUL) = try readStringReportingNUL()
        if hasNUL { throw error("a key may not contain U+0000", at: keyOffset) }
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Positions the scanner at the next array element and returns `true`, or consumes the
    /// closing `]` and returns `false`. Pass the same `isFirst` for every element of one array.
    mutating func nextElement(isFirst: inout Bool) throws(BSONError) -> Bool {
        if isFirst {
            isFirst = false
            if consume(UInt8(ascii: "]")) { depth -= 1; return false }
        } else {
            if consume(UInt8(ascii: "]")) { depth -= 1; return false }
            try expect(UInt8(ascii: ","), "',' or ']'")
        }
        return true
    }

    // MARK: Literals

    /// Reads `true` or `false`.
    mutating func readBool() throws(BSONError) -> Bool {
        if matchWord("true") { return true }
        if matchWord("false") { return false }
        throw unexpected(expecting: "a JSON value")
    }

    /// Reads `null`.
    mutating func readNull() throws(BSONError) {
        guard matchWord("null") else { throw unexpected(expecting: "a JSON value") }
    }

    private mutating func matchWord(_ word: StaticString) -> Bool {
        _ = peek()
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { return false }
        let start = word.utf8Start
        for index in 0..<count where bytes[offset + index] != start[index] { return false }
        offset += count
        return true
    }

    // MARK: Numbers

    /// Reads a number per RFC 8259 (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    mutating func readNumber() throws(BSONError) -> JSONNumber {
        _ = peek()
        let start = offset
        var i = offset
        let count = bytes.count
        if i < count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < count, Self.isDigit(bytes[i]) else { throw error("a number needs a digit", at: i) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < count, Self.isDigit(bytes[i]) { throw error("a number may not have leading zeros", at: i) }
        } else {
            while i < count, Self.isDigit(bytes[i]) { i += 1 }
        }
        var isInteger = true
        if i < count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, Self.isDigit(bytes[i]) else { throw error("a fraction needs a digit", at: i) }
            while i < count, Self.isDigit(bytes[i]) { i += 1 }
            isInteger = false
        }
        if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, Self.isDigit(bytes[i]) else { throw error("an exponent needs a digit", at: i) }
            while i < count, Self.isDigit(bytes[i]) { i += 1 }
            isInteger = false
        }
        offset = i
        return JSONNumber(start: start, end: i, isInteger: isInteger)
    }

    /// The text of a number token.
    func text(of number: JSONNumber) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[number.start..<number.end])
    }

    // MARK: Strings

    /// Reads a string, decoding its escapes.
    mutating func readString() throws(BSONError) -> String {
        try readStringReportingNUL().string
    }

    /// Reads a string, decoding its escapes, and says whether it holds U+0000 (which can only
    /// come from a `\u0000` escape, raw control characters being rejected).
    mutating func readStringReportingNUL() throws(BSONError) -> (string: String, hasNUL: Bool) {
        guard peek() == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string") }
        let start = offset + 1
        var i = start
        let count = bytes.count
        while i < count {
            if count - i >= 8, let base = bytes.baseAddress,
               !Self.hasQuoteBackslashOrControl(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
                i += 8
                continue
            }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                offset = i + 1
                return (String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self), false)
            }
            if byte == UInt8(ascii: "\\") { return try readEscapedString(contentStart: start, firstEscape: i) }
            if byte < 0x20 { throw error("a control character must be escaped in a string", at: i) }
            i += 1
        }
        throw error("unterminated string", at: offset)
    }

    /// The slow path of ``readStringReportingNUL()``: copies into a buffer while decoding.
    private mutating func readEscapedString(contentStart: Int, firstEscape: Int) throws(BSONError) -> (string: String, hasNUL: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(firstEscape - contentStart + 16)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<firstEscape]))
        var hasNUL = false
        var i = firstEscape
        let count = bytes.count
        while i < count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                offset = i + 1
                return (String(decoding: out, as: UTF8.self), hasNUL)
            }
            if byte < 0x20 { throw error("a control character must be escaped in a string", at: i) }
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < count else { break }
            let escapeOffset = i
            switch bytes[i + 1] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hexQuad(at: i + 2)
                i += 6
                switch scalar {
                case 0xD800...0xDBFF:
                    guard i + 1 < count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("a high surrogate escape must be followed by a low surrogate escape", at: escapeOffset)
                    }
                    let low = try hexQuad(at: i + 2)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw error("a high surrogate escape must be followed by a low surrogate escape", at: escapeOffset)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                case 0xDC00...0xDFFF:
                    throw error("a low surrogate escape without a high surrogate", at: escapeOffset)
                case 0:
                    hasNUL = true
                default:
                    break
                }
                Self.appendUTF8(scalar, to: &out)
                continue
            default:
                throw error("invalid escape sequence in a string", at: escapeOffset)
            }
            i += 2
        }
        throw error("unterminated string", at: contentStart - 1)
    }

    /// The value of four hexadecimal digits at `position`.
    private func hexQuad(at position: Int) throws(BSONError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("a \\u escape needs four hex digits", at: position) }
        var value: UInt32 = 0
        for index in position..<position + 4 {
            guard let digit = hexDigitValue(bytes[index]) else {
                throw error("a \\u escape needs four hex digits", at: index)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Whether any of eight bytes (loaded as one word) is a `"`, a `\\` or below 0x20. Exact:
    /// a word without such bytes always answers `false`.
    @inline(__always)
    static func hasQuoteBackslashOrControl(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        return (control | hasQuote | hasBackslash) & (ones &* 0x80) != 0
    }

    /// Whether `byte` is an ASCII digit `0`–`9`.
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Appends the UTF-8 encoding of a Unicode scalar value (never a surrogate).
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(scalar >> 6))
            out.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(scalar >> 12))
            out.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            out.append(0x80 | UInt8(scalar & 0x3F))
        default:
            out.append(0xF0 | UInt8(scalar >> 18))
            out.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            out.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            out.append(0x80 | UInt8(scalar & 0x3F))
        }
    }
}

