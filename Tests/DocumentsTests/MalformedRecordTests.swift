// Malformed record bytes — truncated, extended, naming unknown shapes, or randomly corrupted —
// always end in a thrown RecordError, never in a trap.

import BSON
import Testing
@testable import Documents

@Suite("Malformed records")
struct MalformedRecordTests {
    static func sample() throws -> (ShapeRegistry, [UInt8]) {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let document: BSONDocument = [
            "n": 300, "s": "string", "d": ["x": 1.5, "y": ["deep": "er"]], "a": [1, "two", [3]],
            "u": [1, 2, 3], "t": true, "r": .regex(BSONRegex(pattern: "p", options: "i")),
            "c": .javascriptWithScope(BSONCodeWithScope(code: "c", scope: ["k": "v"])),
            "b": .binary(BSONBinary(subtype: .generic, bytes: [9, 9])), "o": .objectId(ObjectId()),
        ]
        return (registry, try encoder.encode(document).bytes)
    }

    @Test("every truncation of a record is rejected with a typed error")
    func truncatedRecordsThrow() throws {
        let (registry, bytes) = try Self.sample()
        let decoder = RecordDecoder(registry: registry)
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            #expect(throws: RecordError.self) { try decoder.document(prefix) }
            #expect(throws: RecordError.self) { try decoder.bsonBytes(prefix) }
        }
        #expect(throws: RecordError.self) { try decoder.document(bytes + [0]) }
    }

    @Test("a record naming an unknown shape is rejected")
    func unknownShapeThrows() throws {
        let registry = ShapeRegistry()
        let decoder = RecordDecoder(registry: registry)
        #expect(throws: RecordError.unknownShape(ShapeID(9999))) { try decoder.record([0x8F, 0x4E]) }
        #expect(throws: RecordError.unknownShape(ShapeID(9999))) { try decoder.document([0x8F, 0x4E]) }
        #expect(throws: RecordError.self) { try decoder.document([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: RecordError.malformedVarint(offset: 0)) { try decoder.document([0x80, 0x00]) }
        #expect(throws: RecordError.self) { try decoder.document([]) }
    }

    @Test("randomly corrupted records decode or throw, and lazy reads never trap")
    func corruptedRecordsNeverTrap() throws {
        let (registry, bytes) = try Self.sample()
        let decoder = RecordDecoder(registry: registry)
        var generator = SeededGenerator(seed: 7)
        let paths = ["n", "s", "d.x", "d.y.deep", "a.1", "a.2.0", "u.2", "t", "r", "c", "b", "o"]
        for _ in 0..<5_000 {
            var corrupted = bytes
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                corrupted[Int.random(in: 0..<corrupted.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? decoder.document(corrupted)
            _ = try? decoder.bsonBytes(corrupted)
            if let record = try? decoder.record(corrupted) {
                for path in paths {
                    _ = try? record.field(atPath: path)?.value()
                }
                for slot in 0..<record.fieldCount {
                    let field = try? record.field(slot: slot)
                    _ = field?.int32
                    _ = field?.double
                    _ = field?.objectId
                    _ = try? field?.string()
                    _ = try? field?.array()?.element(at: 0).value()
                }
            }
        }
    }

    @Test("hand-made bad layouts are rejected")
    func badLayoutsThrow() throws {
        let registry = ShapeRegistry()
        let shape = try registry.shape(for: [ShapeField(name: "s", kind: .string), ShapeField(name: "t", kind: .string)])
        let id = UInt8(shape.id.rawValue)
        let decoder = RecordDecoder(registry: registry)
        // Offsets out of order: s ends at 3, t at 1.
        #expect(throws: RecordError.self) { try decoder.document([id, 0x00, 3, 1, 0x61, 0x62, 0x63]) }
        // The last offset stops short of the end (trailing bytes).
        #expect(throws: RecordError.self) { try decoder.document([id, 0x00, 1, 2, 0x61, 0x62, 0x63]) }
        // A 32-bit width of 5 in the layout byte.
        let ints = try registry.shape(for: [ShapeField(name: "i", kind: .int32)])
        #expect(throws: RecordError.self) { try decoder.document([UInt8(ints.id.rawValue), 0x05, 1, 2, 3, 4, 5]) }
        // Invalid UTF-8 in a string.
        #expect(throws: RecordError.invalidUTF8(offset: 4)) { try decoder.document([id, 0x00, 1, 2, 0xC3, 0x28]) }
        // A mixed array with an unknown kind byte, and one with an int32 five bytes wide.
        let arrays = try registry.shape(for: [ShapeField(name: "a", kind: .array)])
        let a = UInt8(arrays.id.rawValue)
        #expect(throws: RecordError.self) { try decoder.document([a, 0x00, 7, 0x04, 0x10, 0x42, 0x00, 0, 0]) }
        #expect(throws: RecordError.self) { try decoder.document([a, 0x00, 11, 0x04, 0x10, 0x10, 0x00, 5, 5, 1, 2, 3, 4, 5]) }
        // An array claiming a billion null elements.
        #expect(throws: RecordError.self) { try decoder.document([a, 0x00, 7, 0x81, 0x80, 0x80, 0x80, 0x08, 0x0A]) }
    }
}
