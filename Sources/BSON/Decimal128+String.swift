// Decimal128 text: parsing the strings the BSON corpus accepts (exactly, never rounding) and
// printing the canonical string of the IEEE 754 / BSON Decimal128 to-string rules. Owns no
// arithmetic beyond what the text needs; conversions to binary numbers live elsewhere.

extension Decimal128: LosslessStringConvertible {
    /// Parses a decimal string; `nil` where ``init(parsing:)`` throws.
    public init?(_ description: String) {
        guard let value = Self.parse(description) else { return nil }
        self = value
    }

    /// Parses a decimal string as the BSON Decimal128 specification does.
    ///
    /// Accepts an optional sign, then either `Inf`, `Infinity` or `NaN` (any case), or digits with
    /// at most one `.` and an optional exponent (`e` or `E`, optional sign, digits). The value
    /// must be representable exactly: digits beyond the 34th are accepted only when they are
    /// zeros that can be dropped, exponents above the range are clamped only by padding the
    /// coefficient with zeros, and exponents below it only by removing trailing zeros (zero
    /// clamps freely). No whitespace is allowed.
    ///
    /// - Throws: ``BSONError/invalidText(kind:text:)`` for malformed or inexact text.
    public init(parsing text: String) throws(BSONError) {
        guard let value = Self.parse(text) else { throw .invalidText(kind: "Decimal128", text: text) }
        self = value
    }

    /// The canonical string: `NaN`, `Infinity`, `-Infinity`, plain notation when the exponent is
    /// at most 0 and the adjusted exponent at least -6, scientific notation (`1.23E+5`) otherwise.
    public var description: String {
        if isNaN { return "NaN" }
        if isInfinite { return isSignMinus ? "-Infinity" : "Infinity" }
        let (isNegative, coefficient, exponent) = finiteParts
        return String(unsafeUninitializedCapacity: 48) { output in
            Self.format(isNegative: isNegative, coefficient: coefficient, exponent: exponent, into: output)
        }
    }
}

// MARK: - Parsing

extension Decimal128 {
    private static func parse(_ text: String) -> Decimal128? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    private static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Decimal128? {
        var index = 0
        let end = bytes.count
        var isNegative = false
        if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
            isNegative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        if index < end && bytes[index] | 0x20 >= UInt8(ascii: "a") && bytes[index] | 0x20 <= UInt8(ascii: "z") {
            return parseSpecial(UnsafeBufferPointer(rebasing: bytes[index...]), isNegative: isNegative)
        }

        // Digits and at most one point. Leading zeros are not significant; the first 34
        // significant digits form the coefficient and any further ones must be zeros.
        var coefficient: UInt128 = 0
        var significantDigits = 0
        var droppedZeros = 0
        var fractionDigits = 0
        var sawDigit = false
        var sawPoint = false
        while index < end {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                sawDigit = true
                if sawPoint { fractionDigits += 1 }
                let digit = byte - UInt8(ascii: "0")
                if significantDigits == 0 && digit == 0 {
                    // A leading zero.
                } else if significantDigits < precision {
                    coefficient = coefficient * 10 + UInt128(digit)
                    significantDigits += 1
                } else if digit == 0 {
                    droppedZeros += 1
                } else {
                    return nil  // more than 34 significant digits: would round
                }
            } else if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }

        // The exponent; its magnitude saturates far beyond any value that could be clamped.
        var writtenExponent = 0
        if index < end {
            guard bytes[index] | 0x20 == UInt8(ascii: "e") else { return nil }
            index += 1
            var exponentIsNegative = false
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                exponentIsNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < end else { return nil }
            while index < end {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                writtenExponent = min(writtenExponent * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000_000)
                index += 1
            }
            if exponentIsNegative { writtenExponent = -writtenExponent }
        }

        var exponent = writtenExponent - fractionDigits + droppedZeros
        if coefficient == 0 {
            exponent = min(max(exponent, minExponent), maxExponent)
        } else if exponent > maxExponent {
            // Clamp by padding the coefficient with zeros while it has room.
            while exponent > maxExponent && coefficient < powerOfTen128(precision - 1) {
                coefficient *= 10
                exponent -= 1
            }
            if exponent > maxExponent { return nil }  // overflow
        } else if exponent < minExponent {
            // Clamp by removing trailing zeros; anything else would round.
            while exponent < minExponent && coefficient % 10 == 0 {
                coefficient /= 10
                exponent += 1
            }
            if exponent < minExponent { return nil }  // underflow
        }
        return Decimal128(isNegative: isNegative, coefficient: coefficient, exponent: exponent)
    }

    /// `Inf`, `Infinity` or `NaN` in any case, and nothing else.
    private static func parseSpecial(_ bytes: UnsafeBufferPointer<UInt8>, isNegative: Bool) -> Decimal128? {
        if matchesIgnoringCase(bytes, "inf") || matchesIgnoringCase(bytes, "infinity") {
            return isNegative ? negativeInfinity : positiveInfinity
        }
        if matchesIgnoringCase(bytes, "nan") {
            return isNegative ? Decimal128(high: quietNaN.high | 1 << 63, low: 0) : quietNaN
        }
        return nil
    }

    /// Whether `bytes` spell `lowercase` (ASCII letters only) in any case.
    private static func matchesIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for offset in 0..<bytes.count where bytes[offset] | 0x20 != expected[offset] {
            return false
        }
        return true
    }
}

// MARK: - Printing

extension Decimal128 {
    /// Writes the canonical string of a finite value into `output` (at least 48 bytes) and
    /// returns its length.
    private static func format(
        isNegative: Bool, coefficient: UInt128, exponent: Int, into output: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        // The coefficient's digits go at the end of the buffer (48 bytes or more), then are
        // copied forward into place. The text in front of digit i is at most 8 bytes long
        // ("-0.00000"), so no write reaches a digit not yet copied; the exponent is written last.
        let digitCount = decimalDigitCount(coefficient)
        let digitsStart = output.count - digitCount
        let (high, low) = coefficient.quotientAndRemainder(dividingBy: UInt128(powersOfTen64[19]))
        var lowPart = UInt64(low)
        var highPart = UInt64(high)
        for position in stride(from: output.count - 1, through: digitsStart, by: -1) {
            if position >= output.count - 19 {
                output[position] = UInt8(ascii: "0") + UInt8(lowPart % 10)
                lowPart /= 10
            } else {
                output[position] = UInt8(ascii: "0") + UInt8(highPart % 10)
                highPart /= 10
            }
        }

        var length = 0
        func put(_ byte: UInt8) {
            output[length] = byte
            length += 1
        }
        func putDigits(_ range: Range<Int>) {
            for offset in range { put(output[digitsStart + offset]) }
        }

        if isNegative { put(UInt8(ascii: "-")) }
        let adjusted = exponent + digitCount - 1
        if exponent <= 0 && adjusted >= -6 {
            // Plain notation: at most "-0.00000" and 34 digits, 42 bytes.
            let integerDigits = digitCount + exponent
            if exponent == 0 {
                putDigits(0..<digitCount)
            } else if integerDigits > 0 {
                putDigits(0..<integerDigits)
                put(UInt8(ascii: "."))
                putDigits(integerDigits..<digitCount)
            } else {
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "."))
                for _ in 0..<(-integerDigits) { put(UInt8(ascii: "0")) }
                putDigits(0..<digitCount)
            }
        } else {
            // Scientific: at most "-d." 33 digits "E+6144", 42 bytes.
            putDigits(0..<1)
            if digitCount > 1 {
                put(UInt8(ascii: "."))
                putDigits(1..<digitCount)
            }
            put(UInt8(ascii: "E"))
            put(adjusted < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            var magnitude = adjusted.magnitude
            var divisor: UInt = 1
            while divisor * 10 <= magnitude { divisor *= 10 }
            while divisor > 0 {
                put(UInt8(ascii: "0") + UInt8(magnitude / divisor))
                magnitude %= divisor
                divisor /= 10
            }
        }
        return length
    }
}
