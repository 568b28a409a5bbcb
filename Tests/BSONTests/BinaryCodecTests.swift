// The binary codec and lazy view on inputs the corpus does not cover: hostile bytes
// (truncation, lying lengths, deep nesting, random noise), limits, and view lookups.

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BSON

@Suite("Binary codec")
struct BinaryCodecTests {
    static let sample: BSONDocument = [
        "_id": .objectId(ObjectId(hex: "56e1fc72e0c917e9c4714161") ?? ObjectId()),
        "name": "tessera",
        "n": 42,
        "big": .int64(1 << 40),
        "pi": 3.25,
        "ok": true,
        "nothing": nil,
        "nested": ["a": ["b": ["c": 7]]],
        "list": [1, "two", ["three": 3]],
    ]

    @Test func encodingKeepsKeyOrderAndDuplicateKeys() throws {
        var document = BSONDocument()
        document.append("z", 1)
        document.append("a", 2)
        document.append("z", 3)
        document.append("$set.with.dots", 4)
        let decoded = try BSONDocument(bsonBytes: try document.bsonBytes())
        #expect(decoded.keys == ["z", "a", "z", "$set.with.dots"])
        #expect(decoded == document)
    }

    @Test func everyTruncationOfAValidDocumentIsRejected() throws {
        let bytes = try Self.sample.bsonBytes()
        for length in 0..<bytes.count {
            #expect(throws: BSONError.self) { try BSONDocument(bsonBytes: Array(bytes[..<length])) }
            #expect(throws: BSONError.self) { try BSONDocumentView(validating: Array(bytes[..<length])) }
        }
    }

    @Test func everySingleByteCorruptionIsRejectedOrDecodesToSomethingReencodable() throws {
        let bytes = try Self.sample.bsonBytes()
        for index in bytes.indices {
            for replacement: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                var corrupted = bytes
                corrupted[index] = replacement
                if let document = try? BSONDocument(bsonBytes: corrupted) {
                    // Whatever was accepted must be a faithful value: it re-encodes and decodes equal.
                    let again = try BSONDocument(bsonBytes: try document.bsonBytes())
                    #expect(again == document)
                }
            }
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...64, using: &rng)
            var input = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if count >= 4, Bool.random(using: &rng) {
                // Make the length prefix truthful so the walk gets past the frame check.
                let length = UInt32(count)
                input[0] = UInt8(truncatingIfNeeded: length)
                input[1] = 0; input[2] = 0; input[3] = 0
                input[count - 1] = 0
            }
            _ = try? BSONDocument(bsonBytes: input)
            _ = try? BSONDocumentView(validating: input)
        }
    }

    /// Builds `{a: {a: {... {} }}}` nested `depth` levels, byte by byte.
    static func nested(depth: Int) -> [UInt8] {
        var bytes: [UInt8] = [5, 0, 0, 0, 0]
        for _ in 1..<depth {
            let inner = bytes
            let length = UInt32(4 + 1 + 2 + inner.count + 1)
            bytes = withUnsafeBytes(of: length.littleEndian) { Array($0) } + [0x03, UInt8(ascii: "a"), 0] + inner + [0]
        }
        return bytes
    }

    @Test func tenThousandLevelsOfNestingIsATypedErrorNotACrash() throws {
        let input = Self.nested(depth: 10_000)
        #expect(throws: BSONError.self) { try BSONDocument(bsonBytes: input) }
        #expect(throws: BSONError.self) { try BSONDocumentView(validating: input) }
        do {
            _ = try BSONDocument(bsonBytes: input)
        } catch .nestingTooDeep(_, let limit) {
            #expect(limit == 200)
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let document = try BSONDocument(bsonBytes: Self.nested(depth: 200))
        #expect(document.count == 1)
        let options = BSONDecodingOptions(maxDepth: 100)
        #expect(throws: BSONError.nestingTooDeep(offset: 100 * 7, limit: 100)) {
            try BSONDocument(bsonBytes: Self.nested(depth: 101), options: options)
        }
    }

    @Test func oversizedDocumentIsRejectedBeforeItIsWalked() throws {
        let bytes = try Self.sample.bsonBytes()
        let options = BSONDecodingOptions(maxDocumentSize: 16)
        #expect(throws: BSONError.documentTooLarge(size: bytes.count, limit: 16)) {
            try BSONDocument(bsonBytes: bytes, options: options)
        }
    }

    @Test func statedLengthLargerThanTheInputIsRejected() {
        let input: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F, 0x00]
        #expect(throws: BSONError.self) { try BSONDocument(bsonBytes: input) }
    }

    @Test func keysWithNULCannotBeEncoded() {
        let document: BSONDocument = ["a\u{0}b": 1]
        #expect(throws: BSONError.nulInCString("a\u{0}b")) { try document.bsonBytes() }
        let regex: BSONDocument = ["r": .regex(BSONRegex(pattern: "a\u{0}", options: ""))]
        #expect(throws: BSONError.self) { try regex.bsonBytes() }
    }

    @Test func stringValuesMayHoldNUL() throws {
        let document: BSONDocument = ["s": "a\u{0}b"]
        let decoded = try BSONDocument(bsonBytes: try document.bsonBytes())
        #expect(decoded["s"] == "a\u{0}b")
    }

    @Test func invalidUTF8InAKeyIsRejected() {
        // {"\xC3\x28": 1}
        let input: [UInt8] = [13, 0, 0, 0, 0x10, 0xC3, 0x28, 0, 1, 0, 0, 0, 0]
        #expect(throws: BSONError.invalidUTF8(offset: 5)) { try BSONDocument(bsonBytes: input) }
        #expect(throws: BSONError.invalidUTF8(offset: 5)) { try BSONDocumentView(validating: input) }
    }

    @Test func overlongAndSurrogateUTF8IsRejected() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x80, 0x80], [0xFF]] {
            var document = BSONWriter()
            let start = document.beginFrame()
            document.bytes.append(0x02)
            document.bytes.append(contentsOf: [UInt8(ascii: "s"), 0])
            document.appendInt32(Int32(bad.count + 1))
            document.bytes.append(contentsOf: bad + [0])
            document.endFrame(start)
            #expect(throws: BSONError.self) { try BSONDocument(bsonBytes: document.bytes) }
            #expect(throws: BSONError.self) { try BSONDocumentView(validating: document.bytes) }
        }
    }

    @Test func viewFindsTopLevelAndDottedFieldsWithoutMaterialising() throws {
        let view = try BSONDocumentView(validating: try Self.sample.bsonBytes())
        #expect(view["name"]?.string == "tessera")
        #expect(view["n"]?.int32 == 42)
        #expect(view["big"]?.int64 == 1 << 40)
        #expect(view["pi"]?.double == 3.25)
        #expect(view["ok"]?.bool == true)
        #expect(view["nothing"]?.type == .null)
        #expect(view["missing"] == nil)
        #expect(view.element(atPath: "nested.a.b.c")?.int32 == 7)
        #expect(view.element(atPath: "list.2.three")?.int32 == 3)
        #expect(view.element(atPath: "list.1")?.string == "two")
        #expect(view.element(atPath: "list.9") == nil)
        #expect(view.element(atPath: "name.x") == nil)
        #expect(view["_id"]?.objectId?.hex == "56e1fc72e0c917e9c4714161")
        #expect(Array(view).map(\.key) == Self.sample.keys)
    }

    @Test func viewKeyComparisonIsByteWise() throws {
        // "é" precomposed and decomposed are canonically equivalent but different bytes.
        let document: BSONDocument = ["\u{E9}": 1, "e\u{301}": 2]
        let view = try BSONDocumentView(validating: try document.bsonBytes())
        #expect(view["\u{E9}"]?.int32 == 1)
        #expect(view["e\u{301}"]?.int32 == 2)
        #expect(document["e\u{301}"] == 2)
    }

    @Test func legacyBinarySubtypeKeepsItsInnerLength() throws {
        let document: BSONDocument = ["b": .binary(BSONBinary(subtype: .binaryOld, bytes: [1, 2, 3]))]
        let bytes = try document.bsonBytes()
        // length 7 = inner length (4) + 3 payload bytes, subtype 2, inner length 3.
        #expect(Array(bytes[7..<16]) == [7, 0, 0, 0, 2, 3, 0, 0, 0])
        #expect(try BSONDocument(bsonBytes: bytes) == document)
    }
}

@Suite("ObjectId")
struct ObjectIdTests {
    @Test func generatedIdsAreUniqueAndCountUp() {
        let ids = (0..<1000).map { _ in ObjectId() }
        #expect(Set(ids).count == 1000)
        let counters = ids.map { id in withUnsafeBytes(of: id.bytes) { Int($0[9]) << 16 | Int($0[10]) << 8 | Int($0[11]) } }
        // Other suites run in parallel and take ids from the same process-wide counter, so
        // successive ids here may skip values; each must still come strictly after the last
        // (modulo the 24-bit wrap), never repeat or go back.
        for (a, b) in zip(counters, counters.dropFirst()) {
            let step = (b - a) & 0xFF_FFFF
            #expect(step >= 1 && step < 0x80_0000)
        }
    }

    @Test func generatedIdsShareTheProcessRandomAndCarryTheTime() {
        let a = ObjectId(), b = ObjectId()
        #expect(a.byteArray[4..<9] == b.byteArray[4..<9])
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        #expect(abs(Int(a.timestampSeconds) - Int(now.tv_sec)) <= 2)
    }

    @Test func hexRoundTripsAndRejectsBadText() {
        let id = ObjectId()
        #expect(ObjectId(hex: id.hex) == id)
        #expect(ObjectId(hex: "56E1FC72E0C917E9C4714161")?.hex == "56e1fc72e0c917e9c4714161")
        #expect(ObjectId(hex: "56e1fc72e0c917e9c471416") == nil)
        #expect(ObjectId(hex: "56e1fc72e0c917e9c471416g") == nil)
    }
}
