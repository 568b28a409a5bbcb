// Helpers shared by the Documents tests: the BSON corpus read in place, hex decoding, a
// seeded random generator, and the workload documents (W1 metrics, W4 fruit).

import BenchSupport
import BSON
import Foundation
@testable import Documents

/// One `valid` case of the BSON corpus.
struct CorpusCase: CustomStringConvertible, Sendable {
    let file: String
    let name: String
    let bytes: [UInt8]
    /// True when the bytes are the case's `degenerate_bson` rather than its `canonical_bson`.
    let degenerate: Bool

    var description: String { "\(file): \(name)\(degenerate ? " (degenerate)" : "")" }
}

enum Corpus {
    /// ../../../shared/conformance/bson-corpus from this file.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // DocumentsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()  // its parent, holding shared/
        .appendingPathComponent("shared/conformance/bson-corpus")

    /// Every valid case, canonical and (where given) degenerate bytes.
    static func validCases() throws -> [CorpusCase] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var cases: [CorpusCase] = []
        for file in files {
            let data = try Data(contentsOf: file)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let valid = object["valid"] as? [[String: Any]]
            else { continue }
            for entry in valid {
                let name = entry["description"] as? String ?? "?"
                if let hex = entry["canonical_bson"] as? String, let bytes = bytes(fromHex: hex) {
                    cases.append(CorpusCase(file: file.lastPathComponent, name: name, bytes: bytes, degenerate: false))
                }
                if let hex = entry["degenerate_bson"] as? String, let bytes = bytes(fromHex: hex) {
                    cases.append(CorpusCase(file: file.lastPathComponent, name: name, bytes: bytes, degenerate: true))
                }
            }
        }
        return cases
    }
}

/// Decodes hex (either case); `nil` on odd length or a bad digit.
func bytes(fromHex hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }
    var result: [UInt8] = []
    var index = 0
    while index < digits.count {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        result.append(high << 4 | low)
        index += 2
    }
    return result
}

/// SplitMix64 (shared with the report programs), so size figures are reproducible.
typealias SeededGenerator = BenchSupport.SeededGenerator

enum Workloads {
    /// Two-digit key: "00", "01", ...
    static func key(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// W1's per-(day, metric) document; `minute.HH.MM` holds HH × 60 + MM.
    static func metricsDocument() -> BSONDocument {
        var hourly = BSONDocument()
        for hour in 0..<24 { hourly.append(key(hour), .int32(Int32(hour * 60))) }
        var minute = BSONDocument()
        for hour in 0..<24 {
            var minutes = BSONDocument()
            for minuteOfHour in 0..<60 { minutes.append(key(minuteOfHour), .int32(Int32(hour * 60 + minuteOfHour))) }
            minute.append(key(hour), .document(minutes))
        }
        return [
            "_id": "20101010/metric-1",
            "metadata": ["date": .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_668_800_000)), "metric": "metric-1"],
            "daily": .int32(1440),
            "hourly": .document(hourly),
            "minute": .document(minute),
        ]
    }

    /// W4's fruit document (without `_id`): a datetime and three or four small counts.
    static func fruitDocument(index: Int, withKiwis: Bool, using generator: inout SeededGenerator) -> BSONDocument {
        var document: BSONDocument = [
            "date": .datetime(BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(index) * 60_000)),
            "apples": .int32(Int32.random(in: 0...100_000, using: &generator)),
            "oranges": .int32(Int32.random(in: 0...100_000, using: &generator)),
            "bananas": .int32(Int32.random(in: 0...100_000, using: &generator)),
        ]
        if withKiwis { document.append("kiwis", .int32(Int32.random(in: 0...100_000, using: &generator))) }
        return document
    }
}
