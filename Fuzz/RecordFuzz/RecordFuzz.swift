// libFuzzer entry point for Documents' shape-encoded records: arbitrary bytes read as a
// record (lazily, field by field, whole, and straight to BSON) against a registry of fixed
// shapes, and documents made from the bytes round-tripped through RecordEncoder (which runs
// RecordWriter) and RecordDecoder (RecordReader, RecordBSONWriter). Reading may throw
// RecordError but never trap; the three readers must agree, and a round trip must give the
// document back. Built and run by scripts/fuzz.

import BSON
import Documents
import FuzzSupport

/// Documents whose shapes are interned before fuzzing: a record's leading shape id (a varint)
/// names one of these, so the fuzzer's bytes land in their bodies.
private let fixedDocuments: [BSONDocument] = [
    [:],
    ["a": 1],
    [
        "_id": .objectId(ObjectId(hex: "5f1d7a2b3c4d5e6f70819203")!), "i": 7, "l": .int64(1 << 40),
        "d": 2.5, "s": "text", "t": true, "f": false, "n": .null, "u": .undefined,
        "dt": .datetime(BSONDateTime(millisecondsSinceEpoch: 86_400_000)),
        "ts": .timestamp(BSONTimestamp(timestamp: 1, increment: 2)),
        "dec": .decimal128(Decimal128("1.25")!), "min": .minKey, "max": .maxKey,
        "bin": .binary(BSONBinary(subtype: .generic, bytes: [1, 2, 3])),
        "uuid": .binary(BSONBinary(subtype: BSONBinary.Subtype(4), bytes: [UInt8](repeating: 9, count: 16))),
        "re": .regex(BSONRegex(pattern: "^a", options: "i")),
        "code": .javascript("f()"), "sym": .symbol("s"),
        "cws": .javascriptWithScope(BSONCodeWithScope(code: "g()", scope: ["x": 1])),
        "ptr": .dbPointer(BSONDBPointer(ref: "db.c", id: ObjectId(hex: "5f1d7a2b3c4d5e6f70819203")!)),
        "doc": ["x": 1, "y": ["z": "deep"]],
        "arr": [1, 2, 3], "mixed": [1, "two", ["three": 3], [4]],
    ],
]

private let registry = ShapeRegistry()
private let fixedShapes: [ShapeID] = {
    var encoder = RecordEncoder(registry: registry)
    return fixedDocuments.map { document in
        do {
            return try encoder.encode(document).shape.id
        } catch {
            fatalError("a fixed document failed to encode: \(error)")
        }
    }
}()
private let decoder = RecordDecoder(registry: registry)

/// Called by libFuzzer once per input. The first byte picks the test: 0-127 reads the rest as
/// a record whose shape id the byte names, 128-191 reads the rest as raw record bytes, and
/// 192-255 round-trips a document made from the rest.
/// The process entry SwiftPM links as `main` (see FuzzSupport/FuzzerMain.swift).
@_cdecl("RecordFuzz_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] {
    case 0..<128:
        let shape = fixedShapes[Int(data[0]) % fixedShapes.count]
        readArbitrary(varint(shape.rawValue) + rest)
    case 128..<192:
        readArbitrary(rest)
    default:
        roundTrip(fuzzDocument(rest), wire: rest)
    }
    return 0
}

private func varint(_ value: UInt32) -> [UInt8] {
    var bytes: [UInt8] = []
    var rest = value
    while rest >= 0x80 {
        bytes.append(UInt8(rest & 0x7F) | 0x80)
        rest >>= 7
    }
    bytes.append(UInt8(rest))
    return bytes
}

/// Reads `bytes` every way a record is read; the whole-record readers must agree.
private func readArbitrary(_ bytes: [UInt8]) {
    if let record = try? decoder.record(bytes) {
        for slot in 0..<record.fieldCount {
            _ = record.name(ofSlot: slot)
            if let field = try? record.field(slot: slot) {
                _ = try? field.value()
                if let array = try? field.array() {
                    _ = try? array.values()
                }
            }
            _ = try? record.integer(slot: slot)
        }
        _ = try? record.field(atPath: "doc.y.z")
        _ = try? record.field(atPath: "mixed.2.three")
        _ = try? record.document()
        _ = try? record.bsonBytes()
    }
    let document = try? decoder.document(bytes)
    let bson = try? decoder.bsonBytes(bytes)
    guard (document == nil) == (bson == nil) else {
        fatalError("document() \(document == nil ? "rejects" : "accepts") a record bsonBytes() \(bson == nil ? "rejects" : "accepts")")
    }
    if let document, let bson {
        guard let converted = try? BSONDocument(bsonBytes: bson) else { fatalError("bsonBytes() wrote invalid BSON") }
        guard converted == document else { fatalError("bsonBytes() and document() read different documents") }
    }
}

/// Encodes `document` in a fresh registry (so shapes do not pile up across inputs) and reads
/// it back; when `wire` is valid BSON it is encoded from the wire bytes too.
private func roundTrip(_ document: BSONDocument, wire: [UInt8]) {
    let registry = ShapeRegistry()
    var encoder = RecordEncoder(registry: registry)
    let decoder = RecordDecoder(registry: registry)
    let encoded: EncodedRecord
    do {
        encoded = try encoder.encode(document)
    } catch {
        return  // too deep: a documented limit
    }
    let decoded: BSONDocument
    do {
        decoded = try decoder.document(encoded.bytes)
    } catch {
        fatalError("an encoded record failed to decode: \(error)")
    }
    guard decoded == document else { fatalError("record round trip changed the document") }
    do {
        let bson = try decoder.bsonBytes(encoded.bytes)
        guard try BSONDocument(bsonBytes: bson) == document else { fatalError("bsonBytes() changed the document") }
    } catch {
        fatalError("an encoded record failed to convert to BSON: \(error)")
    }

    guard let view = try? BSONDocumentView(validating: wire) else { return }
    do {
        let fromWire = try encoder.encode(view)
        guard try decoder.document(fromWire.bytes) == decoder.document(encoded.bytes) || containsRegex(document) else {
            fatalError("encoding from wire bytes and from the document differ")
        }
    } catch {
        fatalError("a document encoded one way failed the other: \(error)")
    }
}

/// True when a regex is anywhere in `document` (wire encoding keeps option order; the
/// document path sorts it).
private func containsRegex(_ document: BSONDocument) -> Bool {
    func contains(_ value: BSONValue) -> Bool {
        switch value {
        case .regex: return true
        case .document(let child): return containsRegex(child)
        case .array(let values): return values.contains(where: contains)
        default: return false
        }
    }
    return document.elements.contains { contains($0.1) }
}
