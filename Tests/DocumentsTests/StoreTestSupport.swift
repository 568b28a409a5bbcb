// Fixtures for the DocumentStore tests: fresh temporary data directories (removed afterwards),
// a recursive listing of names and sizes to prove a refused open changed nothing, and a
// seeded generator of BSON values for the key-order property tests.

import BenchSupport
import BSON
import Foundation
@testable import Documents

/// Runs `body` with the path of a directory that does not exist yet, inside a fresh temporary
/// directory that is removed afterwards.
func withStoreDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let parent = FileManager.default.temporaryDirectory
        .appendingPathComponent("tessera-documents-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    return try body(parent.appendingPathComponent("data").path)
}

/// Every file under `path` with its size and modification time, sorted by relative path.
func directorySnapshot(_ path: String) throws -> [String] {
    let root = URL(fileURLWithPath: path)
    guard let enumerator = FileManager.default.enumerator(
        at: root, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey]) else { return [] }
    var entries: [String] = []
    for case let url as URL in enumerator {
        let values = try url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey])
        let relative = String(url.path.dropFirst(root.path.count))
        let modified = values.contentModificationDate?.timeIntervalSince1970 ?? 0
        entries.append("\(relative) \(values.fileSize ?? -1) \(modified)")
    }
    return entries.sorted()
}

/// A small reproducible random generator (SplitMix64, shared with the report programs).
typealias KeyOrderRandom = BenchSupport.SeededGenerator

/// Random BSON values biased towards collisions and boundaries, for order tests.
enum RandomValues {
    static let interestingDoubles: [Double] = [
        0, -0.0, 1, -1, 0.5, -0.5, 0.1, 1e-300, -1e-300, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
        0x1p52, 0x1p53, 0x1p53 + 2, -0x1p53, 0x1p63, -0x1p63, 0x1p64, 1e20, 123.456, -123.456,
        0x1p53 + 4, 4.5, 2.25,
    ]
    static let interestingIntegers: [Int64] = [
        0, 1, -1, 2, 3, 4, 100, -100, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1, .max, .min, .max - 1, .min + 1,
        1 << 62, 4, 9007199254740993,
    ]
    static let interestingDecimals: [String] = [
        "0", "-0", "1", "1.00", "-1", "0.1", "-0.1", "0.10", "1E+2", "100", "1.5", "4.5", "2.25",
        "9007199254740993.5", "9007199254740992.5", "-9007199254740993.5", "9223372036854775807.5",
        "9223372036854775808", "9223372036854775808.5", "-9223372036854775808.5", "-9223372036854775807.5",
        "1E-400", "-1E-400", "1E+400", "-1E+400", "Infinity", "-Infinity", "NaN", "123.456", "1.23456E+2",
        "36028797018963967.5", "36028797018963969.1", "0.30000000000000001", "0.3",
    ]
    static let strings = ["", "a", "b", "ab", "a\u{0}", "a\u{0}b", "\u{0}", "é", "z", "A", "aa", "abc"]

    static func number(_ random: inout KeyOrderRandom) -> BSONValue {
        switch Int.random(in: 0 ..< 8, using: &random) {
        case 0: return .int32(Int32.random(in: -5 ... 5, using: &random))
        case 1: return .int64(interestingIntegers.randomElement(using: &random) ?? 0)
        case 2: return .double(interestingDoubles.randomElement(using: &random) ?? 0)
        case 3: return .double(Double.random(in: -1e6 ... 1e6, using: &random))
        case 4: return .int64(Int64.random(in: .min ... .max, using: &random))
        case 5: return .double(Double(bitPattern: random.next()))
        default:
            let text = interestingDecimals.randomElement(using: &random) ?? "0"
            return .decimal128(Decimal128(text) ?? Decimal128(0 as Int64))
        }
    }

    static func value(_ random: inout KeyOrderRandom, depth: Int = 0) -> BSONValue {
        let choice = Int.random(in: 0 ..< (depth > 1 ? 16 : 19), using: &random)
        switch choice {
        case 0, 1, 2, 3: return number(&random)
        case 4: return .string(strings.randomElement(using: &random) ?? "")
        case 5: return .symbol(strings.randomElement(using: &random) ?? "")
        case 6:
            var bytes = [UInt8](repeating: 0, count: 12)
            bytes[11] = UInt8.random(in: 0 ... 3, using: &random)
            bytes[0] = UInt8.random(in: 0 ... 2, using: &random)
            return .objectId(ObjectId(bytes: bytes) ?? ObjectId())
        case 7: return .bool(Bool.random(using: &random))
        case 8: return .datetime(BSONDateTime(millisecondsSinceEpoch: Int64.random(in: -3 ... 3, using: &random) * 1_000_000_000))
        case 9: return [.null, .minKey, .maxKey, .undefined].randomElement(using: &random) ?? .null
        case 10: return .timestamp(BSONTimestamp(timestamp: UInt32.random(in: 0 ... 2, using: &random),
                                                 increment: UInt32.random(in: 0 ... 2, using: &random)))
        case 11:
            let length = Int.random(in: 0 ... 2, using: &random)
            return .binary(BSONBinary(subtype: BSONBinary.Subtype(UInt8.random(in: 0 ... 1, using: &random)),
                                      bytes: (0 ..< length).map { _ in UInt8.random(in: 0 ... 1, using: &random) }))
        case 12: return .regex(BSONRegex(pattern: strings.randomElement(using: &random) ?? "", options: ["", "i", "im"].randomElement(using: &random) ?? ""))
        case 13: return .javascript(strings.randomElement(using: &random) ?? "")
        case 14: return .dbPointer(BSONDBPointer(ref: ["a", "ab", "b"].randomElement(using: &random) ?? "a", id: ObjectId(bytes: [UInt8](repeating: UInt8.random(in: 0 ... 1, using: &random), count: 12)) ?? ObjectId()))
        case 15: return .javascriptWithScope(BSONCodeWithScope(code: ["a", "b"].randomElement(using: &random) ?? "a", scope: document(&random, depth: depth + 1)))
        case 16, 17: return .document(document(&random, depth: depth + 1))
        default:
            let count = Int.random(in: 0 ... 2, using: &random)
            return .array((0 ..< count).map { _ in value(&random, depth: depth + 1) })
        }
    }

    static func document(_ random: inout KeyOrderRandom, depth: Int) -> BSONDocument {
        var document = BSONDocument()
        for _ in 0 ..< Int.random(in: 0 ... 2, using: &random) {
            document.append(["a", "b", "", "a\u{0}"].randomElement(using: &random) ?? "a", value(&random, depth: depth + 1))
        }
        return document
    }
}

/// -1, 0 or 1.
func sign(_ value: Int) -> Int { value < 0 ? -1 : (value > 0 ? 1 : 0) }

/// Unsigned lexicographic comparison of byte strings: -1, 0 or 1.
func compareKeys(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
    if lhs == rhs { return 0 }
    return lhs.lexicographicallyPrecedes(rhs) ? -1 : 1
}
