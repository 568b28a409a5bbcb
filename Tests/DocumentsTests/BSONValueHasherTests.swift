// MongoDB's hashed-index hash against MongoDB's own test vectors: every expected value below
// is from mongodb/mongo src/mongo/db/hasher_test.cpp (BSONElementHasher tests, seed 0), where
// MongoDB's authors record them as "determined experimentally" to pin the hash across
// platforms and versions. Only the Timestamp vector is left out: it predates Timestamp's own
// canonical type (47, no longer Date's 45), so today's MongoDB no longer hashes it as a Date.

import BSON
import Testing
@testable import Documents

struct BSONValueHasherTests {
    private func hash(_ value: BSONValue) -> Int64 { BSONValueHasher.hash64(value) }

    @Test func intsLongsAndDoublesHashAsTheirTruncatedLong() {
        let cases: [(values: [BSONValue], expected: Int64)] = [
            ([.int32(42), .double(42.123), .int64(42)], -944302157085130861),
            ([.int32(0), .double(0.456), .int64(0), .double(.nan), .double(.signalingNaN)], 4854801880128277513),
            ([.int32(1), .double(1.987), .int64(1)], 5902408780260971510),
            ([.int32(-1), .double(-1.789), .int64(-1)], 1140205862565771219),
            ([.int32(.min), .double(Double(Int32.min)), .int64(Int64(Int32.min))], 6165898260261354870),
            ([.int32(.max), .double(Double(Int32.max)), .int64(Int64(Int32.max))], 1143184177162245883),
            ([.double(.greatestFiniteMagnitude), .int64(.max)], 921523596458303250),
            ([.double(-.greatestFiniteMagnitude), .int64(.min)], 4532067210535695462),
        ]
        for (values, expected) in cases {
            for value in values { #expect(hash(value) == expected, "\(value)") }
        }
    }

    @Test func negativeZeroAndDecimalsHashAsTheirLong() throws {
        // Not vectors of hasher_test.cpp: consequences of its rule that every number hashes
        // as the long it converts to, checked against the vectors above.
        #expect(hash(.double(-0.0)) == 4854801880128277513)
        let decimal = try #require(Decimal128("42"))
        #expect(hash(.decimal128(decimal)) == -944302157085130861)
        // The double 2^63 overflows to Int64.min (safeNumberLongForHash's kept behaviour).
        #expect(hash(.double(9_223_372_036_854_775_808.0)) == 4532067210535695462)
    }

    @Test func keysUndefinedAndNull() {
        #expect(hash(.minKey) == 7961148599568647290)
        #expect(hash(.maxKey) == 5504842513779440750)
        #expect(hash(.undefined) == 40158834000849533)
        #expect(hash(.null) == 2338878944348059895)
    }

    @Test func stringsAndSymbolsHashAlike() {
        #expect(hash(.string("abc")) == 8478485326885698097)
        #expect(hash(.symbol("abc")) == 8478485326885698097)
        #expect(hash(.string("")) == 2049396243249673340)
        #expect(hash(.symbol("")) == 2049396243249673340)
    }

    @Test func documentsAndArraysHashTheirElements() {
        #expect(hash(.document(["a": "abc", "b": .int64(123)])) == 4771603801758380216)
        #expect(hash(.document([:])) == 7980500913326740417)
        #expect(hash(.array(["bar", "baz", "qux"])) == -2938911267422831539)
        #expect(hash(.array([])) == 8849948234993459283)
    }

    @Test func binaryObjectIdBooleanAndDate() throws {
        let bytes: [UInt8] = [0, 1, 2, 3, 4, 6]
        #expect(hash(.binary(BSONBinary(subtype: .generic, bytes: bytes))) == 7252465090394235301)
        #expect(hash(.binary(BSONBinary(subtype: .userDefined, bytes: bytes))) == 5736670452907618262)
        #expect(hash(.binary(BSONBinary(subtype: .uuid, bytes: Array(0...15)))) == 6084661258071355978)
        #expect(hash(.objectId(try #require(ObjectId(hex: "010203040506070809101112")))) == -5588663249627035708)
        #expect(hash(.objectId(try #require(ObjectId(hex: "000000000000000000000000")))) == -4293118519463489418)
        #expect(hash(.bool(true)) == 6405873908747105701)
        #expect(hash(.bool(false)) == 6289544573401934092)
        #expect(hash(.datetime(BSONDateTime(millisecondsSinceEpoch: 0x5566_7788_1122_3344))) == 4476222765095560467)
        #expect(hash(.datetime(BSONDateTime(millisecondsSinceEpoch: 0))) == -1178696894582842035)
    }

    @Test func regexDBPointerAndCode() throws {
        #expect(hash(.regex(BSONRegex(pattern: "mongodb"))) == -7275792090268217043)
        #expect(hash(.regex(BSONRegex(pattern: ".*", options: "i"))) == 7095855029187981886)
        let id = try #require(ObjectId(hex: "010203040506070809101112"))
        #expect(hash(.dbPointer(BSONDBPointer(ref: "c", id: id))) == 940175826736461384)
        #expect(hash(.dbPointer(BSONDBPointer(ref: "db.c", id: id))) == 2426768198104018194)
        #expect(hash(.javascript("func f() { return 1; }")) == 6861638109178014270)
        let scoped = BSONCodeWithScope(code: "func f() { return 1; }", scope: ["c": true])
        #expect(hash(.javascriptWithScope(scoped)) == 501342939894575968)
    }

    @Test func nestedNumbersAreSquashedButStructureCounts() {
        // hasher_test.cpp's RecursiveSquashingIntsAndDoubles and SubDocumentGroupingHashesDiffer.
        #expect(hash(.document(["a": 3, "b": [3.1, ["c": 3]]])) == hash(.document(["a": 3.1, "b": [3, ["c": 3.0]]])))
        #expect(hash(.document(["a": [:], "b": 1])) != hash(.document(["a": ["b": 1]])))
        #expect(hash(.document(["0": 0, "1": 1])) != hash(.array([0, 1])))
        #expect(BSONValueHasher.hash64(4, seed: 0) != BSONValueHasher.hash64(4, seed: 1))
    }
}
