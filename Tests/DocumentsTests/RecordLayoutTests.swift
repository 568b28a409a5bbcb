// Record layout behaviour: field access by slot, name and path (W1's 1,440 minutes), the W4
// size target, documents whose shapes change over time, arrays, duplicate keys.

import BSON
import Foundation
import Testing
@testable import Documents

@Suite("Records")
struct RecordLayoutTests {
    @Test("W1: the first and the last of 1,440 minute fields are read by offset, by slot and by path")
    func metricsDocumentFieldAccess() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let document = Workloads.metricsDocument()
        let encoded = try encoder.encode(document)
        let record = try RecordDecoder(registry: registry).record(encoded.bytes)

        #expect(try record.field(atPath: "minute.00.00")?.int32 == 0)
        #expect(try record.field(atPath: "minute.23.59")?.int32 == 1439)
        #expect(try record.field(atPath: "minute.12.30")?.int32 == 750)
        #expect(try record.field(atPath: "hourly.23")?.int32 == 1380)
        #expect(try record.field(atPath: "metadata.metric")?.string() == "metric-1")
        #expect(try record.field(atPath: "minute.24.00") == nil)
        #expect(try record.field(atPath: "daily.x") == nil)

        // By slot: minute is slot 4, hour 23 is its slot 23, minute 59 that hour's slot 59.
        let minute = try #require(try record.field(slot: 4)?.document())
        let lastHour = try #require(try minute.field(slot: 23)?.document())
        let firstHour = try #require(try minute.field(slot: 0)?.document())
        #expect(try lastHour.field(slot: 59)?.int32 == 1439)
        #expect(try firstHour.field(slot: 0)?.int32 == 0)
        #expect(try lastHour.field(slot: 60) == nil)

        // Every hour has the same shape, so the last minute's position is arithmetic on it.
        #expect(firstHour.shape === lastHour.shape)
        let layout = lastHour.shape.layout
        #expect(layout.placements[59].int32Before == 59)
        #expect(layout.counts.int32Count == 60)
        #expect(layout.counts.variableCount == 0)

        // Timing is printed, not asserted: both reads are the same three slot lookups.
        func time(_ path: String) throws -> Double {
            let start = ContinuousClock.now
            var sum = 0
            for _ in 0..<20_000 { sum &+= Int(try record.field(atPath: path)?.int32 ?? 0) }
            #expect(sum >= 0)
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.attoseconds) / 1e9 / 20_000 + Double(elapsed.components.seconds) * 1e9 / 20_000
        }
        let first = try time("minute.00.00")
        let last = try time("minute.23.59")
        print("W1 record \(encoded.bytes.count) bytes (BSON \(try document.bsonBytes().count)); "
            + "minute.00.00 \(String(format: "%.0f", first)) ns, minute.23.59 \(String(format: "%.0f", last)) ns per read")
        #expect(try RecordDecoder(registry: registry).document(encoded.bytes) == document)
    }

    @Test("W4: fruit documents average at most 20 bytes per record")
    func fruitDocumentsAreSmall() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let decoder = RecordDecoder(registry: registry)
        var generator = SeededGenerator(seed: 4)
        var recordBytes = 0
        var bsonBytes = 0
        let count = 10_000
        for index in 0..<count {
            let document = Workloads.fruitDocument(index: index, withKiwis: index % 2 == 1, using: &generator)
            let record = try encoder.encode(document)
            recordBytes += record.bytes.count
            bsonBytes += try document.bsonBytes().count
            if index < 100 { #expect(try decoder.document(record.bytes) == document) }
        }
        let average = Double(recordBytes) / Double(count)
        let bsonAverage = Double(bsonBytes) / Double(count)
        print("W4 fruit: \(String(format: "%.2f", average)) bytes per record vs \(String(format: "%.2f", bsonAverage)) bytes of BSON (without _id)")
        #expect(average <= 20)
        #expect(registry.idCount == 6)  // root, date, +apples, +oranges, +bananas, +kiwis
    }

    @Test("documents whose fields are added, removed and retyped over time all decode")
    func evolvingShapesDecode() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let early = RecordDecoder(registry: registry)  // its snapshot predates every shape
        let versions: [BSONDocument] = [
            ["name": "ada", "age": 36],
            ["name": "ada", "age": 36, "email": "ada@example.com"],
            ["name": "ada"],
            ["name": "ada", "age": "thirty-six"],
            ["name": "ada", "age": .int64(36), "email": .null],
            ["age": 36, "name": "ada"],
            [:],
        ]
        var records: [[UInt8]] = []
        for version in versions { records.append(try encoder.encode(version).bytes) }
        let shapes = try records.map { try early.record($0).shape.id }
        #expect(Set(shapes).count == versions.count)
        for (version, record) in zip(versions, records) {
            #expect(try early.document(record) == version)
            #expect(try RecordDecoder(registry: registry).document(record) == version)
        }
        #expect(try early.record(records[1]).field(named: "email")?.string() == "ada@example.com")
        #expect(try early.record(records[2]).field(named: "email") == nil)
        #expect(records[6] == [0])  // the empty document is just the root shape's id
    }

    @Test("duplicate keys keep their order and values; lookup by name finds the first")
    func duplicateKeys() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let document = BSONDocument([("a", 1), ("b", "x"), ("a", "second"), ("a", .int64(3))])
        let bytes = try encoder.encode(document).bytes
        let decoder = RecordDecoder(registry: registry)
        #expect(try decoder.document(bytes) == document)
        let record = try decoder.record(bytes)
        #expect(try record.field(named: "a")?.int32 == 1)
        #expect(try record.field(slot: 2)?.string() == "second")
        #expect(try record.field(slot: 3)?.int64 == 3)
    }

    @Test("arrays: uniform, mixed, nested and empty arrays round-trip and index in place")
    func arrays() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let bigInts: [BSONValue] = (0..<300).map { .int32(Int32($0 * 1000 - 5000)) }
        let document: BSONDocument = [
            "ints": .array(bigInts),
            "strings": ["a", "", "ccc"],
            "mixed": [1, "two", 3.0, .null, true, false, .int64(-7), ["n": 1], [], [1, [2, [3]]], .datetime(BSONDateTime(millisecondsSinceEpoch: -1))],
            "empty": [],
            "nulls": [.null, .null],
            "docs": [["a": 1], ["a": 2], ["b": "x"]],
        ]
        let bytes = try encoder.encode(document).bytes
        let decoder = RecordDecoder(registry: registry)
        #expect(try decoder.document(bytes) == document)
        #expect(try decoder.bsonBytes(bytes) == document.bsonBytes())
        let record = try decoder.record(bytes)
        let ints = try #require(try record.field(named: "ints")?.array())
        #expect(ints.uniformKind == .int32)
        #expect(try ints.element(at: 299).int32 == 294_000)
        #expect(try record.field(atPath: "ints.0")?.int32 == -5000)
        #expect(try record.field(atPath: "mixed.1")?.string() == "two")
        #expect(try record.field(atPath: "mixed.7.n")?.int32 == 1)
        #expect(try record.field(atPath: "mixed.9.1.1.0")?.int32 == 3)
        #expect(try record.field(atPath: "mixed.6")?.int64 == -7)
        #expect(try record.field(atPath: "mixed.10")?.datetime?.millisecondsSinceEpoch == -1)
        #expect(try record.field(atPath: "docs.2.b")?.string() == "x")
        #expect(try record.field(atPath: "mixed.11") == nil)
        #expect(try record.field(atPath: "mixed.01") == nil)
        #expect(try record.field(named: "empty")?.array()?.count == 0)
    }

    @Test("every BSON type and every integer width round-trips exactly, values kept distinct")
    func exactValues() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let decoder = RecordDecoder(registry: registry)
        let oid = try #require(ObjectId(hex: "56e1fc72e0c917e9c4714161"))
        var values: [BSONValue] = [
            .double(-0.0), .double(.nan), .double(1), .int32(1), .int64(1), .decimal128(Decimal128(high: 0x3040_0000_0000_0000, low: 1)),
            .string("h\u{0}llo"), .binary(BSONBinary(subtype: .binaryOld, bytes: [1, 2])), .binary(BSONBinary(subtype: .uuid, bytes: Array(0..<16))),
            .binary(BSONBinary(subtype: .uuid, bytes: [1])), .binary(BSONBinary(subtype: .init(0x80), bytes: [])),
            .undefined, .objectId(oid), .bool(true), .bool(false), .datetime(BSONDateTime(millisecondsSinceEpoch: .min)),
            .null, .regex(BSONRegex(pattern: "a.*b", options: "ix")), .dbPointer(BSONDBPointer(ref: "db.c", id: oid)),
            .javascript("function(){}"), .symbol("sym"), .javascriptWithScope(BSONCodeWithScope(code: "x", scope: ["x": 1])),
            .timestamp(BSONTimestamp(timestamp: .max, increment: 1)), .minKey, .maxKey,
        ]
        for shift in stride(from: 0, to: 64, by: 7) {
            values.append(.int64(Int64(1) << shift))
            values.append(.int64(0 &- (Int64(1) << shift)))
            values.append(.int64((Int64(1) << shift) &- 1))
        }
        values += [.int64(.max), .int64(.min), .int32(.max), .int32(.min), .int32(-1), .int32(127), .int32(128), .int32(-129)]
        for value in values {
            let document: BSONDocument = ["v": value, "alone": [value], "pair": [value, "s"]]
            let bytes = try encoder.encode(document).bytes
            #expect(try decoder.document(bytes) == document, "\(value)")
            #expect(try decoder.bsonBytes(bytes) == document.bsonBytes(), "\(value)")
            #expect(try decoder.record(bytes).field(named: "v")?.value() == value, "\(value)")
        }
        var everything = BSONDocument()
        for (index, value) in values.enumerated() { everything.append("k\(index)", value) }
        let bytes = try encoder.encode(everything).bytes
        #expect(try decoder.document(bytes) == everything)
        #expect(try decoder.record(bytes).field(named: "k1")?.double?.isNaN == true)
    }

    @Test("a key or regex with a NUL is kept in the record but refused when written as BSON")
    func nulInKeyIsRefusedOnlyAtTheWire() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let document: BSONDocument = ["a\u{0}b": 1]
        let bytes = try encoder.encode(document).bytes
        let decoder = RecordDecoder(registry: registry)
        #expect(try decoder.document(bytes) == document)
        #expect(throws: RecordError.self) { try decoder.bsonBytes(bytes) }
    }

    @Test("nesting beyond the limit is refused when encoding and when decoding")
    func nestingLimit() throws {
        var document: BSONDocument = ["leaf": 1]
        for _ in 0..<30 { document = ["d": .document(document)] }
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        encoder.maximumDepth = 10
        #expect(throws: RecordError.nestingTooDeep(limit: 10)) { try encoder.encode(document) }
        encoder.maximumDepth = 200
        let bytes = try encoder.encode(document).bytes
        var decoder = RecordDecoder(registry: registry)
        decoder.maximumDepth = 10
        #expect(throws: RecordError.nestingTooDeep(limit: 10)) { try decoder.document(bytes) }
    }
}
