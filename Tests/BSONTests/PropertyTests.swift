// Property tests over seeded random documents: round trips through binary BSON and both
// Extended JSON modes, and MongoDB's comparison being a total order consistent with `==`.

import Testing
@testable import BSON

@Suite("BSON properties")
struct PropertyTests {
    static let seeds: [UInt64] = Array(1...400)

    @Test("random documents round-trip through binary BSON exactly", arguments: seeds)
    func binaryRoundTrip(seed: UInt64) throws {
        var random = RandomBSON(seed: seed)
        let document = random.document()
        let bytes = try document.bsonBytes()
        let decoded = try BSONDocument(bsonBytes: bytes)
        #expect(decoded == document, "seed \(seed)")
        #expect(try decoded.bsonBytes() == bytes, "seed \(seed)")
        let view = try BSONDocumentView(validating: bytes)
        #expect(try view.document() == document, "seed \(seed)")
    }

    @Test("random documents round-trip through canonical Extended JSON exactly", arguments: seeds)
    func canonicalExtendedJSONRoundTrip(seed: UInt64) throws {
        var random = RandomBSON(seed: seed)
        let document = random.document()
        let text = document.extendedJSON(.canonical)
        let parsed = try BSONDocument(extendedJSON: text)
        #expect(parsed == document, "seed \(seed): \(text)")
    }

    @Test("random documents round-trip through relaxed Extended JSON by value", arguments: seeds)
    func relaxedExtendedJSONRoundTrip(seed: UInt64) throws {
        var random = RandomBSON(seed: seed)
        let document = random.document()
        let text = document.extendedJSON(.relaxed)
        let parsed = try BSONDocument(extendedJSON: text)
        // Relaxed mode gives up numeric types (an int64 that fits prints as a plain number),
        // so equality is MongoDB's, and the relaxed text itself is stable.
        #expect(BSONValue.compareDocuments(parsed, document) == 0, "seed \(seed): \(text)")
        #expect(parsed.extendedJSON(.relaxed) == text, "seed \(seed)")
    }

    @Test("comparison is a total order consistent with equality", arguments: Array(UInt64(1)...60))
    func comparisonIsATotalOrder(seed: UInt64) {
        var random = RandomBSON(seed: seed, boundaryNumbers: true)
        let values = (0..<30).map { _ in random.value(depth: 2) }
        for a in values {
            #expect(BSONValue.compare(a, a) == 0, "reflexive: \(a)")
            for b in values {
                let ab = BSONValue.compare(a, b)
                let ba = BSONValue.compare(b, a)
                #expect(ab.signum() == -ba.signum(), "antisymmetric: \(a) vs \(b)")
                if a == b { #expect(ab == 0, "structurally equal values compare equal: \(a)") }
                for c in values where ab <= 0 && BSONValue.compare(b, c) <= 0 {
                    #expect(BSONValue.compare(a, c) <= 0, "transitive: \(a) ≤ \(b) ≤ \(c)")
                }
            }
        }
        // Sorting with the order leaves every adjacent pair ordered.
        let sorted = values.sorted { BSONValue.compare($0, $1) < 0 }
        for (x, y) in zip(sorted, sorted.dropFirst()) {
            #expect(BSONValue.compare(x, y) <= 0)
        }
    }
}
