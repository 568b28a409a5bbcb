// Decimal128 behaviour: the BSON corpus's decimal128 cases (parse, print, reject), conversions
// from and to Int64/Int32/Double, and numeric comparison and hashing across BSON number types.

import Foundation
import Testing
@testable import BSON

@Suite struct Decimal128Tests {
    // MARK: Corpus

    /// One `valid` entry of decimal128-1...5.json.
    struct ValidCase {
        var file: String
        var description: String
        var canonicalString: String
        var canonicalBits: Decimal128
        var degenerateString: String?
        var lossy: Bool
    }

    static func corpusFile(_ number: Int) throws -> [String: Any] {
        try Conformance.readJSONObject(Conformance.root.appendingPathComponent("bson-corpus/decimal128-\(number).json"))
    }

    /// The `$numberDecimal` string of a `{"d": {"$numberDecimal": ...}}` document.
    static func numberDecimal(_ extendedJSON: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(extendedJSON.utf8)) as? [String: Any]
        let wrapper = object?["d"] as? [String: Any]
        return try #require(wrapper?["$numberDecimal"] as? String, "no $numberDecimal in \(extendedJSON)")
    }

    static func validCases() throws -> [ValidCase] {
        var cases: [ValidCase] = []
        for number in 1...5 {
            let file = try corpusFile(number)
            for entry in file["valid"] as? [[String: Any]] ?? [] {
                let description = entry["description"] as? String ?? "?"
                let hex = try #require(entry["canonical_bson"] as? String)
                let document = try #require(bytes(fromHex: hex))
                try #require(document.count == 24, "\(description): unexpected document size")
                // {d: decimal}: 4-byte length, type 0x13, "d\0", then 16 little-endian bytes.
                let value = document[7..<23]
                let low = value.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let high = value.suffix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let canonical = try numberDecimal(try #require(entry["canonical_extjson"] as? String))
                let degenerate = try (entry["degenerate_extjson"] as? String).map(numberDecimal)
                cases.append(ValidCase(
                    file: "decimal128-\(number)", description: description, canonicalString: canonical,
                    canonicalBits: Decimal128(high: high, low: low), degenerateString: degenerate,
                    lossy: entry["lossy"] as? Bool ?? false))
            }
        }
        return cases
    }

    static func parseErrorStrings() throws -> [(description: String, string: String)] {
        var errors: [(String, String)] = []
        for number in [4, 6, 7] {
            for entry in try corpusFile(number)["parseErrors"] as? [[String: Any]] ?? [] {
                errors.append((entry["description"] as? String ?? "?", try #require(entry["string"] as? String)))
            }
        }
        return errors
    }

    static func hex(_ value: Decimal128) -> String {
        String(format: "%016llX%016llX", value.high, value.low)
    }

    @Test func corpusHasAllDecimalCases() throws {
        // 605 valid cases (319 with a degenerate form) and 131 parse errors when this was written.
        #expect(try Self.validCases().count >= 605)
        #expect(try Self.parseErrorStrings().count >= 131)
    }

    @Test func corpusCanonicalBitsPrintAsCanonicalString() throws {
        for entry in try Self.validCases() {
            #expect(entry.canonicalBits.description == entry.canonicalString, "\(entry.file): \(entry.description)")
        }
    }

    @Test func corpusCanonicalStringParsesToCanonicalBits() throws {
        // Lossy cases (NaN payloads and signs, non-canonical encodings) print a string that
        // denotes a different encoding of the same number; for them only the value must match.
        for entry in try Self.validCases() {
            let parsed = Decimal128(entry.canonicalString)
            if entry.lossy {
                #expect(parsed.map { Decimal128.compare($0, entry.canonicalBits) } == 0,
                        "\(entry.file): \(entry.description): \(entry.canonicalString)")
            } else {
                #expect(parsed.map(Self.hex) == Self.hex(entry.canonicalBits),
                        "\(entry.file): \(entry.description): \(entry.canonicalString)")
            }
        }
    }

    @Test func corpusDegenerateStringParsesToCanonicalBits() throws {
        var checked = 0
        for entry in try Self.validCases() {
            guard let degenerate = entry.degenerateString else { continue }
            checked += 1
            #expect(Decimal128(degenerate).map(Self.hex) == Self.hex(entry.canonicalBits),
                    "\(entry.file): \(entry.description): \(degenerate.prefix(80))")
        }
        #expect(checked >= 319)
    }

    @Test func corpusParseErrorsAreRejected() throws {
        for (description, string) in try Self.parseErrorStrings() {
            #expect(Decimal128(string) == nil, "\(description): \(string.debugDescription)")
        }
    }

    @Test func parsingThrowsInvalidTextNamingTheInput() {
        #expect(throws: BSONError.invalidText(kind: "Decimal128", text: "1.2.3")) {
            try Decimal128(parsing: "1.2.3")
        }
        #expect(throws: Never.self) { try Decimal128(parsing: "-1.5E+3") }
    }

    @Test func parsingRejectsNonASCIIAndSignalingNaN() {
        for text in ["１", "1٫5", "sNaN", "-sNaN", "Infinityy", "+", "-", "e", "1e+", "0x10", "1_000"] {
            #expect(Decimal128(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func printingUsesPlainNotationDownToAdjustedExponentMinusSix() {
        let cases: [(Decimal128, String)] = [
            (Decimal128(isNegative: false, coefficient: 1, exponent: -6), "0.000001"),
            (Decimal128(isNegative: false, coefficient: 1, exponent: -7), "1E-7"),
            (Decimal128(isNegative: false, coefficient: 10, exponent: -7), "0.0000010"),
            (Decimal128(isNegative: true, coefficient: 123, exponent: 1), "-1.23E+3"),
            (Decimal128(isNegative: false, coefficient: 0, exponent: 2), "0E+2"),
            (Decimal128(isNegative: false, coefficient: Decimal128.maxCoefficient, exponent: -6176),
             "9.999999999999999999999999999999999E-6143"),
        ]
        for (value, text) in cases {
            #expect(value.description == text)
            #expect(Decimal128(text) == value)
        }
    }

    // MARK: Conversions

    @Test func integerInitialisersAreExact() {
        #expect(Decimal128(Int64.max).description == "9223372036854775807")
        #expect(Decimal128(Int64.min).description == "-9223372036854775808")
        #expect(Decimal128(Int64(0)).description == "0")
        #expect(Decimal128(Int32.min).description == "-2147483648")
        #expect(Decimal128(Int32(7)) == Decimal128("7"))
    }

    @Test func doubleInitialiserRoundsExactValueTo34Digits() {
        // Expected strings: Python's decimal module, Decimal(x) rounded half-even to 34 digits.
        let cases: [(Double, String)] = [
            (0.1, "0.1000000000000000055511151231257827"),
            (0.3, "0.2999999999999999888977697537484346"),
            (1.0 / 3.0, "0.3333333333333333148296162562473910"),
            (1e-7, "9.999999999999999547481118258862587E-8"),
            (1e23, "99999999999999991611392"),
            (1e300, "1.000000000000000052504760255204420E+300"),
            (1e-300, "1.000000000000000025059091835208760E-300"),
            (0x1p120, "1.329227995784915872903807060280345E+36"),
            (.leastNonzeroMagnitude, "4.940656458412465441765687928682214E-324"),
            (.greatestFiniteMagnitude, "1.797693134862315708145274237317044E+308"),
            (.leastNormalMagnitude, "2.225073858507201383090232717332404E-308"),
            (0x1p63, "9223372036854775808"),
            (9007199254740992, "9007199254740992"),
        ]
        for (double, text) in cases {
            #expect(Decimal128(double).description == text, "\(double)")
        }
    }

    @Test func doubleInitialiserKeepsExactValuesWithSmallestExponent() {
        #expect(Decimal128(0.5).description == "0.5")
        #expect(Decimal128(-2.5).description == "-2.5")
        #expect(Decimal128(123456789.125).description == "123456789.125")
        #expect(Decimal128(1e20).description == "100000000000000000000")
        #expect(Decimal128(1.0).description == "1")
        #expect(Decimal128(0.0).description == "0")
        #expect(Decimal128(-0.0).description == "-0")
    }

    @Test func doubleInitialiserMapsNaNAndInfinities() {
        #expect(Decimal128(Double.nan).isNaN)
        #expect(Decimal128(-Double.nan).isNaN)
        #expect(Decimal128(Double.infinity).description == "Infinity")
        #expect(Decimal128(-Double.infinity).description == "-Infinity")
    }

    @Test func doubleValueMatchesCorrectlyRoundedParsingOfTheCorpus() throws {
        for entry in try Self.validCases() {
            let expected = try #require(Double(entry.canonicalString))
            let actual = entry.canonicalBits.doubleValue
            #expect(actual.bitPattern == expected.bitPattern || (actual.isNaN && expected.isNaN),
                    "\(entry.canonicalString): \(actual) vs \(expected)")
        }
    }

    @Test func doubleValueMatchesCorrectlyRoundedParsingOfRandomDecimals() throws {
        var generator = SeededGenerator(seed: 0xDEC1_28)
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...34, using: &generator)
            var coefficient = UInt128(UInt64.random(in: 0...UInt64.max, using: &generator))
                << 64 | UInt128(UInt64.random(in: 0...UInt64.max, using: &generator))
            coefficient %= powerOfTen128(digits)
            let exponent: Int
            switch UInt8.random(in: 0...2, using: &generator) {
            case 0: exponent = Int.random(in: -6176...6111, using: &generator)
            case 1: exponent = Int.random(in: -400...330, using: &generator)
            default: exponent = Int.random(in: -40...40, using: &generator)
            }
            let value = Decimal128(isNegative: Bool.random(using: &generator), coefficient: coefficient, exponent: exponent)
            let expected = try #require(Double(value.description))
            #expect(value.doubleValue.bitPattern == expected.bitPattern, "\(value): \(value.doubleValue) vs \(expected)")
        }
    }

    @Test func doubleValueHandlesRangeEdges() throws {
        // The midpoint between the largest Double and 2^1024 is 1.79769313486231580793728971405303415…E+308,
        // half the smallest subnormal 2.47032822920623272088284396434110686…E-324.
        #expect(try #require(Decimal128("1E+309")).doubleValue == .infinity)
        #expect(try #require(Decimal128("-1.797693134862315807937289714053035E+308")).doubleValue == -.infinity)
        #expect(try #require(Decimal128("1.797693134862315807937289714053034E+308")).doubleValue == .greatestFiniteMagnitude)
        #expect(try #require(Decimal128("2.470328229206232720882843964341106E-324")).doubleValue == 0)
        #expect(try #require(Decimal128("2.470328229206232720882843964341107E-324")).doubleValue == .leastNonzeroMagnitude)
        #expect(try #require(Decimal128("-1E-400")).doubleValue.bitPattern == (-0.0).bitPattern)
        #expect(try #require(Decimal128("-0")).doubleValue.bitPattern == (-0.0).bitPattern)
        #expect(try #require(Decimal128("NaN")).doubleValue.isNaN)
    }

    @Test func doublesRoundTripThroughDecimal() {
        var generator = SeededGenerator(seed: 0xD0B1E)
        for _ in 0..<20_000 {
            let double = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            guard double.isFinite else { continue }
            #expect(Decimal128(double).doubleValue.bitPattern == double.bitPattern, "\(double)")
        }
    }

    @Test func int64ValueIsExactForIntegralValuesInRange() throws {
        let cases: [(String, Int64?)] = [
            ("1.00", 1), ("1E+2", 100), ("-0", 0), ("0E+6111", 0), ("0E-6176", 0),
            ("9223372036854775807", .max), ("-9223372036854775808", .min),
            ("9223372036854775808", nil), ("-9223372036854775809", nil),
            ("92233720368547758.07E+2", .max), ("1.5", nil), ("1E+19", nil), ("1E-1", nil),
            ("12300000000000000000000000000000000E-30", 12300), ("NaN", nil), ("-Infinity", nil),
        ]
        for (text, expected) in cases {
            #expect(try #require(Decimal128(text)).int64Value == expected, "\(text)")
        }
    }

    // MARK: Decimal comparison

    static func decimal(_ text: String) -> Decimal128 {
        guard let value = Decimal128(text) else { preconditionFailure("bad test decimal \(text)") }
        return value
    }

    @Test func cohortMembersCompareEqual() {
        #expect(Decimal128.compare(Self.decimal("1.0"), Self.decimal("1.00")) == 0)
        #expect(Decimal128.compare(Self.decimal("100"), Self.decimal("1E+2")) == 0)
        #expect(Decimal128.compare(Self.decimal("-0"), Self.decimal("0E+300")) == 0)
        #expect(Decimal128.compare(Self.decimal("0"), Decimal128(high: 0x6C10_0000_0000_0000, low: 0)) == 0)  // non-canonical
    }

    @Test func nanComparesEqualToNaNAndBelowNegativeInfinity() {
        let nan = Self.decimal("NaN")
        let negativeNaN = Self.decimal("-NaN")
        let signalingNaN = Decimal128(high: 0x7E00_0000_0000_0000, low: 12)
        #expect(Decimal128.compare(nan, negativeNaN) == 0)
        #expect(Decimal128.compare(signalingNaN, nan) == 0)
        #expect(Decimal128.compare(nan, Self.decimal("-Infinity")) < 0)
        #expect(Decimal128.compare(Self.decimal("-Infinity"), negativeNaN) > 0)
    }

    @Test func decimalsOrderByValue() {
        let ascending = [
            "NaN", "-Infinity", "-9.999999999999999999999999999999999E+6144", "-1E+3", "-999.9", "-1",
            "-1E-6176", "0", "1E-6176", "9.99E-1", "1", "1.000000000000000000000000000000001",
            "1.1", "1E+33", "9999999999999999999999999999999999", "1E+34", "1E+6144", "Infinity",
        ].map(Self.decimal)
        for (i, a) in ascending.enumerated() {
            for (j, b) in ascending.enumerated() {
                let expected = i == j ? 0 : (i < j ? -1 : 1)
                #expect(Decimal128.compare(a, b).signum() == expected, "\(a) vs \(b)")
            }
        }
    }

    // MARK: Numeric comparison across types

    static func order(_ a: BSONValue, _ b: BSONValue) -> Int? {
        NumericComparison.compare(a, b).map { $0.signum() }
    }

    @Test func int64MaxIsBelowTwoToThe63AsDouble() {
        #expect(Self.order(.int64(.max), .double(0x1p63)) == -1)
        #expect(Self.order(.double(0x1p63), .int64(.max)) == 1)
        #expect(Self.order(.int64(.min), .double(-0x1p63)) == 0)
        #expect(Self.order(.int64(.max - 1), .double(Double(Int64.max - 1))) == -1)
    }

    @Test func int64BeyondTwoToThe53ComparesExactlyWithDouble() {
        #expect(Self.order(.int64(1 << 53 + 1), .double(0x1p53)) == 1)
        #expect(Self.order(.int64(1 << 53), .double(0x1p53)) == 0)
        #expect(Self.order(.int64(-(1 << 53) - 1), .double(-0x1p53)) == -1)
        #expect(Self.order(.int64(1 << 60), .double(0x1p60 + 256)) == -1)
        #expect(Self.order(.int64(3), .double(2.5)) == 1)
        #expect(Self.order(.int32(-3), .double(-2.5)) == -1)
    }

    @Test func nanOfEveryTypeIsEqualAndBelowNegativeInfinity() {
        let nans: [BSONValue] = [.double(.nan), .double(-.nan), .decimal128(Self.decimal("NaN")), .decimal128(Self.decimal("-NaN"))]
        let lows: [BSONValue] = [.double(-.infinity), .decimal128(Self.decimal("-Infinity")), .int64(.min), .int32(.min)]
        for nan in nans {
            for other in nans { #expect(Self.order(nan, other) == 0) }
            for low in lows {
                #expect(Self.order(nan, low) == -1)
                #expect(Self.order(low, nan) == 1)
            }
        }
    }

    @Test func negativeZeroEqualsZeroAcrossTypes() {
        let zeros: [BSONValue] = [
            .double(-0.0), .double(0.0), .int32(0), .int64(0), .decimal128(Self.decimal("-0")),
            .decimal128(Self.decimal("0E-6176")), .decimal128(Self.decimal("-0E+6111")),
        ]
        for a in zeros {
            for b in zeros { #expect(Self.order(a, b) == 0, "\(a) vs \(b)") }
        }
    }

    @Test func decimalVersusDoubleComparesExactValues() {
        // 0.1 as a double is 0.1000000000000000055511151231257827021181583404541015625.
        #expect(Self.order(.decimal128(Self.decimal("0.1")), .double(0.1)) == -1)
        #expect(Self.order(.decimal128(Self.decimal("0.1000000000000000055511151231257827")), .double(0.1)) == -1)
        #expect(Self.order(.decimal128(Self.decimal("0.1000000000000000055511151231257828")), .double(0.1)) == 1)
        #expect(Self.order(.double(0.1), .decimal128(Self.decimal("0.1"))) == 1)
        #expect(Self.order(.decimal128(Self.decimal("0.5")), .double(0.5)) == 0)
        #expect(Self.order(.decimal128(Self.decimal("-2.50")), .double(-2.5)) == 0)
        #expect(Self.order(.decimal128(Self.decimal("1E+400")), .double(.greatestFiniteMagnitude)) == 1)
        #expect(Self.order(.decimal128(Self.decimal("1E+400")), .double(.infinity)) == -1)
        #expect(Self.order(.decimal128(Self.decimal("1E-400")), .double(.leastNonzeroMagnitude)) == -1)
        #expect(Self.order(.decimal128(Self.decimal("-1E-400")), .double(-0.0)) == -1)
        #expect(Self.order(.decimal128(Self.decimal("9223372036854775808")), .double(0x1p63)) == 0)
        #expect(Self.order(.decimal128(Self.decimal("4.940656458412465441765687928682213E-324")), .double(.leastNonzeroMagnitude)) == -1)
        #expect(Self.order(.decimal128(Self.decimal("Infinity")), .double(.infinity)) == 0)
    }

    @Test func decimalVersusIntegerComparesExactValues() {
        #expect(Self.order(.decimal128(Self.decimal("9223372036854775807.0")), .int64(.max)) == 0)
        #expect(Self.order(.decimal128(Self.decimal("9223372036854775806.9")), .int64(.max)) == -1)
        #expect(Self.order(.int32(2), .decimal128(Self.decimal("1.99999999999999999999999999999999"))) == 1)
        #expect(Self.order(.int64(-5), .decimal128(Self.decimal("-5E+0"))) == 0)
    }

    @Test func decimalRoundedFromDoubleLiesBetweenTheDoublesNeighbours() {
        var generator = SeededGenerator(seed: 0xC0_4DA7E)
        for _ in 0..<5_000 {
            let double = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            guard double.isFinite, double != 0 else { continue }
            let decimal = BSONValue.decimal128(Decimal128(double))
            #expect(Self.order(decimal, .double(double.nextUp)) == -1, "\(double)")
            #expect(Self.order(decimal, .double(double.nextDown)) == 1, "\(double)")
            #expect(Self.order(.double(double.nextUp), decimal) == 1, "\(double)")
        }
    }

    @Test func nonNumbersHaveNoNumericOrder() {
        #expect(NumericComparison.compare(.string("1"), .int32(1)) == nil)
        #expect(NumericComparison.compare(.int32(1), .bool(true)) == nil)
        #expect(NumericComparison.compare(.null, .null) == nil)
    }

    // MARK: Hashing

    static func numericHash(_ value: BSONValue) -> Int {
        var hasher = Hasher()
        NumericComparison.hashNumeric(value, into: &hasher)
        return hasher.finalize()
    }

    @Test func equalNumbersHashEqually() {
        let groups: [[BSONValue]] = [
            [.int32(1), .int64(1), .double(1.0), .decimal128(Self.decimal("1.000")), .decimal128(Self.decimal("0.01E+2"))],
            [.int32(0), .int64(0), .double(-0.0), .double(0), .decimal128(Self.decimal("-0E+5")), .decimal128(Self.decimal("0E-6176"))],
            [.double(.nan), .double(-.nan), .decimal128(Self.decimal("NaN")), .decimal128(Self.decimal("-NaN"))],
            [.double(0.5), .decimal128(Self.decimal("0.50")), .decimal128(Self.decimal("5000E-4"))],
            [.double(0x1p63), .decimal128(Self.decimal("9223372036854775808")), .decimal128(Self.decimal("9.223372036854775808000E+18"))],
            [.double(0x1p70), .decimal128(Self.decimal("1180591620717411303424"))],
            [.double(-.infinity), .decimal128(Self.decimal("-Infinity"))],
            [.int64(.min), .double(-0x1p63), .decimal128(Self.decimal("-9223372036854775808"))],
            [.double(1e22), .decimal128(Self.decimal("1E+22")), .decimal128(Self.decimal("10000000000000000000000"))],
            [.double(0x1p-40), .decimal128(Self.decimal("9.094947017729282379150390625E-13"))],
            [.decimal128(Self.decimal("0.1")), .decimal128(Self.decimal("0.10000"))],
        ]
        for group in groups {
            for a in group {
                for b in group {
                    #expect(Self.order(a, b) == 0, "\(a) vs \(b)")
                    #expect(Self.numericHash(a) == Self.numericHash(b), "\(a) vs \(b)")
                }
            }
        }
    }

    @Test func numbersEqualToRandomDoublesHashLikeThem() {
        var generator = SeededGenerator(seed: 0x4A54)
        for _ in 0..<5_000 {
            let double = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            let decimal = BSONValue.decimal128(Decimal128(double))
            if Self.order(decimal, .double(double)) == 0 {
                #expect(Self.numericHash(decimal) == Self.numericHash(.double(double)), "\(double)")
            }
            if let integer = Int64(exactly: double) {
                #expect(Self.numericHash(.int64(integer)) == Self.numericHash(.double(double)), "\(double)")
            }
        }
    }
}
