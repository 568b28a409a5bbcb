// BSONDecoder's keyed container as Codable implementations use it beyond synthesised code:
// copies of one container (which share its fields), optional scalars that fail with their
// full coding path, every scalar type through the same lookup, and decoders with and
// without userInfo. Complements CodableTests, which covers the type mapping and shapes.

import Foundation
import Testing
@testable import BSON

/// Reads its fields through two copies of one keyed container, alternately.
private struct TwoCopies: Decodable, Equatable {
    var a: String
    var b: Int
    var c: Double?

    enum CodingKeys: String, CodingKey { case a, b, c }

    init(a: String, b: Int, c: Double?) {
        self.a = a
        self.b = b
        self.c = c
    }

    init(from decoder: any Decoder) throws {
        let first = try decoder.container(keyedBy: CodingKeys.self)
        let second = first
        a = try second.decode(String.self, forKey: .a)
        b = try first.decode(Int.self, forKey: .b)
        c = try second.decodeIfPresent(Double.self, forKey: .c)
        #expect(first.allKeys.map(\.stringValue) == second.allKeys.map(\.stringValue))
    }
}

/// Every scalar type the keyed container reads directly, optional and not.
private struct Scalars: Codable, Equatable {
    var bool: Bool, string: String, double: Double, float: Float
    var int: Int, int8: Int8, int16: Int16, int32: Int32, int64: Int64
    var uint: UInt, uint8: UInt8, uint16: UInt16, uint32: UInt32, uint64: UInt64
    var maybeBool: Bool?, maybeString: String?, maybeDouble: Double?, maybeFloat: Float?
    var maybeInt: Int?, maybeInt8: Int8?, maybeInt16: Int16?, maybeInt32: Int32?, maybeInt64: Int64?
    var maybeUInt: UInt?, maybeUInt8: UInt8?, maybeUInt16: UInt16?, maybeUInt32: UInt32?, maybeUInt64: UInt64?
}

private struct Outer: Codable, Equatable {
    var inner: Inner
    struct Inner: Codable, Equatable { var count: Int? }
}

@Suite("Codable keyed container")
struct CodableKeyedContainerTests {
    let decoder = BSONDecoder()

    @Test func copiesOfOneContainerReadTheSameFields() throws {
        let decoded = try decoder.decode(TwoCopies.self, from: ["a": "x", "b": .int64(7), "c": .double(-0.5)])
        #expect(decoded == TwoCopies(a: "x", b: 7, c: -0.5))
        let absent = try decoder.decode(TwoCopies.self, from: ["b": .int32(1), "a": "y"])
        #expect(absent == TwoCopies(a: "y", b: 1, c: nil))
    }

    @Test func extremeScalarsRoundTripAndOptionalsReadNullAsNil() throws {
        let extremes = Scalars(
            bool: true, string: "é\u{0}🙂", double: -.greatestFiniteMagnitude, float: .leastNonzeroMagnitude,
            int: .min, int8: .min, int16: .max, int32: .min, int64: .max, uint: UInt(Int64.max), uint8: .max,
            uint16: .max, uint32: .max, uint64: UInt64(Int64.max), maybeBool: false, maybeString: "",
            maybeDouble: .infinity, maybeFloat: -.infinity, maybeInt: .max, maybeInt8: .max, maybeInt16: .min,
            maybeInt32: .max, maybeInt64: .min, maybeUInt: 0, maybeUInt8: 0, maybeUInt16: 0, maybeUInt32: 0,
            maybeUInt64: 0)
        let document = try BSONEncoder().encode(extremes)
        #expect(try decoder.decode(Scalars.self, from: document) == extremes)
        var nulls = document
        for key in document.keys where key.hasPrefix("maybe") { nulls[key] = .null }
        let decoded = try decoder.decode(Scalars.self, from: nulls)
        #expect(decoded.maybeString == nil && decoded.maybeUInt64 == nil && decoded.maybeDouble == nil)
        #expect(decoded.int64 == .max && decoded.string == extremes.string)
    }

    @Test func optionalScalarOfWrongTypeFailsWithTypeMismatchAtItsFullPath() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Outer.self, from: ["inner": ["count": "three"]])
        }
        guard case .typeMismatch(let type, let context)? = error else {
            Issue.record("expected typeMismatch, got \(String(describing: error))")
            return
        }
        #expect(ObjectIdentifier(type) == ObjectIdentifier(Int.self))
        #expect(context.codingPath.map(\.stringValue) == ["inner", "count"])
    }

    @Test func inexactScalarFailsWithDataCorruptedAtItsPath() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Outer.self, from: ["inner": ["count": .double(2.5)]])
        }
        guard case .dataCorrupted(let context)? = error else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.codingPath.map(\.stringValue) == ["inner", "count"])
    }

    @Test func nullForARequiredScalarFailsWithValueNotFoundAtItsPath() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(TwoCopies.self, from: ["a": .null, "b": .int32(1)])
        }
        guard case .valueNotFound(_, let context)? = error else {
            Issue.record("expected valueNotFound, got \(String(describing: error))")
            return
        }
        #expect(context.codingPath.map(\.stringValue) == ["a"])
    }

    @Test func userInfoReachesNestedDecodersWhenSetAndIsEmptyOtherwise() throws {
        struct Probe: Decodable {
            var seen: [String]
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: BSONCodingKey.self)
                let inner = try container.superDecoder(forKey: "inner")
                seen = [decoder, inner].map { (decoder) in
                    CodingUserInfoKey(rawValue: "probe").flatMap { decoder.userInfo[$0] as? String } ?? "none"
                }
            }
        }
        #expect(try decoder.decode(Probe.self, from: ["inner": ["x": 1]]).seen == ["none", "none"])
        var configured = BSONDecoder()
        configured.userInfo[try #require(CodingUserInfoKey(rawValue: "probe"))] = "set"
        #expect(try configured.decode(Probe.self, from: ["inner": ["x": 1]]).seen == ["set", "set"])
    }
}
