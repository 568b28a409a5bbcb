// ClientNumber: the checked conversions of a client's numbers at every edge (NaN, ±Inf,
// -0.0, 2^63, Int64.min/max, huge and tiny decimals, non-numbers); none may trap.

import BSON
import Testing

@Suite struct ClientNumberTests {
    private let edges: [BSONValue] = [
        .int32(.min), .int32(.max), .int64(.min), .int64(.max), .double(.nan), .double(.infinity),
        .double(-.infinity), .double(-0.0), .double(0x1p63), .double(-0x1p63), .double(1e308), .double(-1e308),
        .double(0.5), .double(-1.5), .double(.leastNonzeroMagnitude), .string("7"), .null, .bool(true),
    ]

    @Test func noEdgeTraps() throws {
        var values = edges
        for text in ["9.999999999999999999999999999999999E+6144", "-1E+40", "NaN", "Infinity", "-Infinity",
                     "9223372036854775808", "-9223372036854775808", "1E-6176", "-0"] {
            values.append(.decimal128(try #require(Decimal128(text))))
        }
        for value in values {
            _ = ClientNumber.exactInteger(value)
            _ = ClientNumber.truncatedInteger(value)
            _ = ClientNumber.saturatedInteger(value)
            if let double = value.doubleValue {
                _ = ClientNumber.int64(truncating: double)
                _ = ClientNumber.int64(saturating: double)
                _ = ClientNumber.int64(rounding: double, .up)
            }
        }
    }

    @Test func exactIntegersOnlyForIntegralValuesInRange() throws {
        #expect(ClientNumber.exactInteger(.double(-0.0)) == 0)
        #expect(ClientNumber.exactInteger(.double(.nan)) == nil)
        #expect(ClientNumber.exactInteger(.double(0x1p63)) == nil)
        #expect(ClientNumber.exactInteger(.double(-0x1p63)) == .min)
        #expect(ClientNumber.exactInteger(.double(2.5)) == nil)
        #expect(ClientNumber.exactInteger(.int64(.min)) == .min)
        #expect(ClientNumber.exactInteger(.decimal128(try #require(Decimal128("1E+6000")))) == nil)
        #expect(ClientNumber.exactInteger(.string("1")) == nil)
    }

    @Test func truncationAndSaturation() throws {
        #expect(ClientNumber.int64(truncating: -1.9) == -1)
        #expect(ClientNumber.int64(truncating: 0x1p63) == nil)
        #expect(ClientNumber.int64(truncating: -0x1p63) == .min)
        #expect(ClientNumber.int64(truncating: .infinity) == nil)
        #expect(ClientNumber.int64(saturating: .infinity) == .max)
        #expect(ClientNumber.int64(saturating: -1e300) == .min)
        #expect(ClientNumber.int64(saturating: .nan) == nil)
        #expect(ClientNumber.int64(rounding: 2.5, .toNearestOrAwayFromZero) == 3)
        #expect(ClientNumber.saturatedInteger(.decimal128(try #require(Decimal128("1E+40")))) == .max)
        #expect(ClientNumber.truncatedInteger(.decimal128(try #require(Decimal128("-7.9")))) == -7)
        #expect(ClientNumber.int(clamping: Int64.min.magnitude) == .max)
    }
}
