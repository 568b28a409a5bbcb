// The Extended JSON v2 emitter: appends compact canonical or relaxed Extended JSON for BSON
// values into one owned byte buffer. Owns number, string-escape, date and double formatting;
// allocates no String per value except to print non-integral doubles and decimals.

/// Appends Extended JSON for BSON values to a growing UTF-8 buffer.
///
/// Noncopyable because it owns its buffer: each write reserves the room it needs once and
/// then stores bytes directly, with no per-byte uniqueness or capacity checks.
struct ExtendedJSONWriter: ~Copyable {
    /// Canonical (type-preserving) or relaxed (plain JSON numbers and dates where lossless).
    let mode: ExtendedJSONMode
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    /// A writer for `mode` with room for `capacity` bytes before it grows.
    init(mode: ExtendedJSONMode, capacity: Int = 256) {
        self.mode = mode
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    var output: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The text written so far, as a String.
    var text: String {
        String(unsafeUninitializedCapacity: count) { target in
            guard let targetBase = target.baseAddress else { return 0 }
            targetBase.initialize(from: base, count: count)
            return count
        }
    }

    // MARK: Buffer

    /// Ensures room for `needed` more bytes.
    @inline(__always)
    private mutating func reserve(_ needed: Int) {
        if capacity - count < needed { grow(needed) }
    }

    @inline(never)
    private mutating func grow(_ needed: Int) {
        let newCapacity = Swift.max(capacity * 2, count + needed)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Stores a byte in room already reserved.
    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        put(byte)
    }

    @inline(__always)
    private mutating func append(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        (base + count).initialize(from: text.utf8Start, count: length)
        count += length
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    // MARK: Containers

    /// Appends `document` as a JSON object.
    mutating func write(_ document: BSONDocument) {
        append(UInt8(ascii: "{"))
        var isFirst = true
        for element in document.elements {
            if isFirst { isFirst = false } else { append(UInt8(ascii: ",")) }
            writeString(element.key)
            append(UInt8(ascii: ":"))
            write(element.value)
        }
        append(UInt8(ascii: "}"))
    }

    private mutating func write(_ array: [BSONValue]) {
        append(UInt8(ascii: "["))
        var isFirst = true
        for element in array {
            if isFirst { isFirst = false } else { append(UInt8(ascii: ",")) }
            write(element)
        }
        append(UInt8(ascii: "]"))
    }

    // MARK: Values

    /// Appends one value in this writer's mode.
    mutating func write(_ value: BSONValue) {
        switch value {
        case .double(let number):
            if mode == .relaxed, number.isFinite {
                writeDouble(number)
            } else {
                append("{\"$numberDouble\":\"")
                if number.isNaN {
                    append("NaN")
                } else if number.isInfinite {
                    append(number < 0 ? "-Infinity" : "Infinity")
                } else {
                    writeDouble(number)
                }
                append("\"}")
            }
        case .string(let string):
            writeString(string)
        case .document(let document):
            write(document)
        case .array(let array):
            write(array)
        case .binary(let binary):
            append("{\"$binary\":{\"base64\":\"")
            let encodedCount = Base64.encodedCount(binary.bytes.count)
            reserve(encodedCount)
            let target = base + count
            count += binary.bytes.withUnsafeBytes { Base64.encode($0, to: target) }
            append("\",\"subType\":\"")
            writeHexByte(binary.subtype.rawValue)
            append("\"}}")
        case .undefined:
            append("{\"$undefined\":true}")
        case .objectId(let id):
            append("{\"$oid\":\"")
            writeHex(id)
            append("\"}")
        case .bool(let flag):
            if flag { append("true") } else { append("false") }
        case .datetime(let date):
            let milliseconds = date.millisecondsSinceEpoch
            if mode == .relaxed, milliseconds >= 0, milliseconds <= ISODate.maxRelaxedMilliseconds {
                append("{\"$date\":\"")
                reserve(ISODate.maxTextLength)
                count += ISODate.write(milliseconds: milliseconds, to: base + count)
                append("\"}")
            } else {
                append("{\"$date\":{\"$numberLong\":\"")
                writeInteger(milliseconds)
                append("\"}}")
            }
        case .null:
            append("null")
        case .regex(let regex):
            append("{\"$regularExpression\":{\"pattern\":")
            writeString(regex.pattern)
            append(",\"options\":")
            if regex.options.utf8.isSorted {
                writeString(regex.options)
            } else {
                writeString(String(regex.options.sorted()))
            }
            append("}}")
        case .dbPointer(let pointer):
            append("{\"$dbPointer\":{\"$ref\":")
            writeString(pointer.ref)
            append(",\"$id\":{\"$oid\":\"")
            writeHex(pointer.id)
            append("\"}}}")
        case .javascript(let code):
            append("{\"$code\":")
            writeString(code)
            append(UInt8(ascii: "}"))
        case .symbol(let symbol):
            append("{\"$symbol\":")
            writeString(symbol)
            append(UInt8(ascii: "}"))
        case .javascriptWithScope(let code):
            append("{\"$code\":")
            writeString(code.code)
            append(",\"$scope\":")
            write(code.scope)
            append(UInt8(ascii: "}"))
        case .int32(let number):
            if mode == .relaxed {
                writeInteger(Int64(number))
            } else {
                append("{\"$numberInt\":\"")
                writeInteger(Int64(number))
                append("\"}")
            }
        case .timestamp(let timestamp):
            append("{\"$timestamp\":{\"t\":")
            writeUnsigned(UInt64(timestamp.timestamp))
            append(",\"i\":")
            writeUnsigned(UInt64(timestamp.increment))
            append("}}")
        case .int64(let number):
            if mode == .relaxed {
                writeInteger(number)
            } else {
                append("{\"$numberLong\":\"")
                writeInteger(number)
                append("\"}")
            }
        case .decimal128(let decimal):
            append("{\"$numberDecimal\":\"")
            var text = decimal.description
            text.withUTF8 { append($0) }
            append("\"}")
        case .minKey:
            append("{\"$minKey\":1}")
        case .maxKey:
            append("{\"$maxKey\":1}")
        }
    }

    // MARK: Strings

    /// Appends `string` as a quoted JSON string. Escapes `"`, `\` and control characters
    /// (`\b \t \n \f \r` by name, others as `\u00XX`); everything else is copied as UTF-8.
    mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { writeQuoted($0) }
    }

    private mutating func writeQuoted(_ source: UnsafeBufferPointer<UInt8>) {
        let length = source.count
        reserve(length + 2)
        put(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        while i < length {
            // Eight bytes at a time while none is a control character, `"` or `\`.
            if length - i >= 8, let start = source.baseAddress {
                let word = UnsafeRawPointer(start + i).loadUnaligned(as: UInt64.self)
                if !JSONScanner.hasQuoteBackslashOrControl(word) {
                    i += 8
                    continue
                }
            }
            let byte = source[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                i += 1
                continue
            }
            append(UnsafeBufferPointer(rebasing: source[runStart..<i]))
            writeEscape(byte)
            i += 1
            runStart = i
        }
        append(UnsafeBufferPointer(rebasing: source[runStart..<length]))
        append(UInt8(ascii: "\""))
    }

    private mutating func writeEscape(_ byte: UInt8) {
        reserve(6)
        put(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(byte)
        case 0x08: put(UInt8(ascii: "b"))
        case 0x09: put(UInt8(ascii: "t"))
        case 0x0A: put(UInt8(ascii: "n"))
        case 0x0C: put(UInt8(ascii: "f"))
        case 0x0D: put(UInt8(ascii: "r"))
        default:
            put(UInt8(ascii: "u"))
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "0"))
            putHexByte(byte)
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Stores two lowercase hex digits in room already reserved.
    @inline(__always)
    private mutating func putHexByte(_ byte: UInt8) {
        let digits = Self.hexDigits.utf8Start
        put(digits[Int(byte >> 4)])
        put(digits[Int(byte & 0x0F)])
    }

    private mutating func writeHexByte(_ byte: UInt8) {
        reserve(2)
        putHexByte(byte)
    }

    private mutating func writeHex(_ id: ObjectId) {
        reserve(24)
        withUnsafeBytes(of: id.bytes) { raw in
            for byte in raw { putHexByte(byte) }
        }
    }

    // MARK: Numbers

    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Appends the decimal digits of `value`.
    mutating func writeUnsigned(_ value: UInt64) {
        if value < 10 {
            append(0x30 + UInt8(truncatingIfNeeded: value))
            return
        }
        var digitCount = 2
        var threshold: UInt64 = 100
        while digitCount < 20, value >= threshold {
            digitCount += 1
            threshold &*= 10
        }
        reserve(digitCount)
        let pairs = Self.digitPairs.utf8Start
        var position = count + digitCount
        var rest = value
        while rest >= 100 {
            let pair = Int(rest % 100) * 2
            rest /= 100
            position -= 2
            base[position] = pairs[pair]
            base[position + 1] = pairs[pair + 1]
        }
        if rest >= 10 {
            let pair = Int(rest) * 2
            base[position - 2] = pairs[pair]
            base[position - 1] = pairs[pair + 1]
        } else {
            base[position - 1] = 0x30 + UInt8(truncatingIfNeeded: rest)
        }
        count += digitCount
    }

    /// Appends the decimal form of `value`, with a leading `-` when negative.
    mutating func writeInteger(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        writeUnsigned(value.magnitude)
    }

    /// Appends a finite double as the shortest decimal that reads back to the same bits:
    /// plain notation with at least one fractional digit (`1.0`, `-0.0`, `0.0001`) for
    /// magnitudes in [1e-4, 1e16), otherwise `d.dddE±x` (`1.2345678921232E+18`, `5.0E-324`).
    mutating func writeDouble(_ number: Double) {
        let magnitude = number.magnitude
        if magnitude < 1e16, magnitude.rounded(.towardZero) == magnitude {
            if number.sign == .minus { append(UInt8(ascii: "-")) }
            writeUnsigned(UInt64(magnitude))
            append(".0")
            return
        }
        // Swift's description is the shortest round-trip digit string; only its layout
        // (`1e-05`, `1.5e+20`, `0.001`) is rearranged here.
        var shortest = number.description
        shortest.withUTF8 { writeShortest($0) }
    }

    /// Re-lays out a shortest round-trip rendering (`-?digits[.digits][e±digits]`).
    private mutating func writeShortest(_ text: UnsafeBufferPointer<UInt8>) {
        // Collect the significant digits (at most 17 for a double) and where the point falls.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { digits in
            var digitCount = 0
            var integerDigits = 0
            var leadingZeros = 0
            var seenPoint = false
            var exponent = 0
            var negative = false
            var i = 0
            if i < text.count, text[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            scan: while i < text.count {
                let byte = text[i]
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if !seenPoint { integerDigits += 1 }
                    if digitCount == 0, byte == UInt8(ascii: "0") {
                        leadingZeros += 1
                    } else if digitCount < digits.count {
                        digits[digitCount] = byte
                        digitCount += 1
                    }
                case UInt8(ascii: "."):
                    seenPoint = true
                case UInt8(ascii: "e"), UInt8(ascii: "E"):
                    var j = i + 1
                    var negativeExponent = false
                    if j < text.count, text[j] == UInt8(ascii: "+") || text[j] == UInt8(ascii: "-") {
                        negativeExponent = text[j] == UInt8(ascii: "-")
                        j += 1
                    }
                    while j < text.count, JSONScanner.isDigit(text[j]), exponent < 100_000 {
                        exponent = exponent * 10 + Int(text[j] - 0x30)
                        j += 1
                    }
                    if negativeExponent { exponent = -exponent }
                    break scan
                default:
                    break
                }
                i += 1
            }
            while digitCount > 1, digits[digitCount - 1] == UInt8(ascii: "0") { digitCount -= 1 }
            reserve(digitCount + 32)
            if negative { put(UInt8(ascii: "-")) }
            guard digitCount > 0 else {
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "."))
                put(UInt8(ascii: "0"))
                return
            }
            // The value is d1.d2d3... × 10^scientific.
            let scientific = integerDigits - leadingZeros - 1 + exponent
            if scientific >= -4, scientific < 16 {
                if scientific < 0 {
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "."))
                    for _ in 0..<(-scientific - 1) { put(UInt8(ascii: "0")) }
                    for index in 0..<digitCount { put(digits[index]) }
                } else {
                    let whole = scientific + 1
                    for index in 0..<whole { put(index < digitCount ? digits[index] : UInt8(ascii: "0")) }
                    put(UInt8(ascii: "."))
                    if whole < digitCount {
                        for index in whole..<digitCount { put(digits[index]) }
                    } else {
                        put(UInt8(ascii: "0"))
                    }
                }
            } else {
                put(digits[0])
                put(UInt8(ascii: "."))
                if digitCount > 1 {
                    for index in 1..<digitCount { put(digits[index]) }
                } else {
                    put(UInt8(ascii: "0"))
                }
                put(UInt8(ascii: "E"))
                put(scientific < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                writeUnsigned(UInt64(scientific.magnitude))
            }
        }
    }
}

extension String.UTF8View {
    /// Whether the bytes are in non-decreasing order.
    fileprivate var isSorted: Bool {
        var previous: UInt8 = 0
        for byte in self {
            if byte < previous { return false }
            previous = byte
        }
        return true
    }
}
