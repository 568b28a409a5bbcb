// Runs the whole BSON corpus (../shared/conformance/bson-corpus) against the binary codec,
// the lazy view, Extended JSON in both modes and Decimal128, per the corpus README's rules,
// and prints `bson-corpus: N passed, N failed, N skipped`.

import Foundation
import Testing
@testable import BSON

@Suite("BSON corpus")
struct BSONCorpusTests {
    /// The outcome of one corpus case: the assertions that failed, if any.
    struct CaseResult {
        let file: String
        let kind: String
        let description: String
        var failures: [String] = []
    }

    @Test("every case of the BSON corpus passes")
    func bsonCorpus() throws {
        var results: [CaseResult] = []
        for url in try Conformance.bsonCorpusFiles() {
            let spec = try Conformance.readJSONObject(url)
            let file = url.lastPathComponent
            let isDecimalFile = (spec["bson_type"] as? String) == "0x13"
            for case let valid as [String: Any] in spec["valid"] as? [Any] ?? [] {
                results.append(runValid(valid, file: file))
            }
            for case let invalid as [String: Any] in spec["decodeErrors"] as? [Any] ?? [] {
                results.append(runDecodeError(invalid, file: file))
            }
            for case let invalid as [String: Any] in spec["parseErrors"] as? [Any] ?? [] {
                results.append(runParseError(invalid, file: file, isDecimal: isDecimalFile))
            }
        }
        let failed = results.filter { !$0.failures.isEmpty }
        for result in failed {
            Issue.record("\(result.file) [\(result.kind)] \(result.description): \(result.failures.joined(separator: "; "))")
        }
        // No case is skipped: lossy cases run every assertion except the one the corpus
        // marks as lossy (canonical Extended JSON → BSON), and nothing is platform-specific here.
        print("bson-corpus: \(results.count - failed.count) passed, \(failed.count) failed, 0 skipped")
        #expect(results.count > 900, "the corpus should hold more than 900 cases; found \(results.count)")
    }

    // MARK: valid cases

    func runValid(_ test: [String: Any], file: String) -> CaseResult {
        var result = CaseResult(file: file, kind: "valid", description: test["description"] as? String ?? "?")
        guard let canonicalHex = test["canonical_bson"] as? String, let canonicalBytes = bytes(fromHex: canonicalHex),
              let canonicalJSON = test["canonical_extjson"] as? String else {
            result.failures.append("case lacks canonical_bson or canonical_extjson")
            return result
        }
        let lossy = test["lossy"] as? Bool ?? false
        let relaxedJSON = test["relaxed_extjson"] as? String
        let expectCanonical = normalizedJSON(canonicalJSON)

        // bytes → native → bytes, and → both Extended JSON modes.
        check(&result, "canonical_bson decodes") {
            let document = try BSONDocument(bsonBytes: canonicalBytes)
            let encoded = try document.bsonBytes()
            try expectEqual(hexString(encoded), hexString(canonicalBytes), "native_to_bson(bson_to_native(cB))")
            try expectEqual(document.extendedJSON(.canonical), expectCanonical, "native_to_canonical_extjson(bson_to_native(cB))")
            if let relaxedJSON {
                try expectEqual(document.extendedJSON(.relaxed), normalizedJSON(relaxedJSON), "native_to_relaxed_extjson(bson_to_native(cB))")
            }
            try checkView(canonicalBytes, against: document)
        }
        // canonical Extended JSON → native → canonical JSON and bytes.
        check(&result, "canonical_extjson parses") {
            let document = try BSONDocument(extendedJSON: canonicalJSON)
            try expectEqual(document.extendedJSON(.canonical), expectCanonical, "native_to_canonical_extjson(json_to_native(cEJ))")
            if !lossy {
                try expectEqual(hexString(try document.bsonBytes()), hexString(canonicalBytes), "native_to_bson(json_to_native(cEJ))")
            }
        }
        if let degenerateHex = test["degenerate_bson"] as? String, let degenerateBytes = bytes(fromHex: degenerateHex) {
            check(&result, "degenerate_bson decodes") {
                let document = try BSONDocument(bsonBytes: degenerateBytes)
                try expectEqual(hexString(try document.bsonBytes()), hexString(canonicalBytes), "native_to_bson(bson_to_native(dB))")
                try expectEqual(document.extendedJSON(.canonical), expectCanonical, "native_to_canonical_extjson(bson_to_native(dB))")
            }
        }
        if let degenerateJSON = test["degenerate_extjson"] as? String {
            check(&result, "degenerate_extjson parses") {
                let document = try BSONDocument(extendedJSON: degenerateJSON)
                try expectEqual(document.extendedJSON(.canonical), expectCanonical, "native_to_canonical_extjson(json_to_native(dEJ))")
                if !lossy {
                    try expectEqual(hexString(try document.bsonBytes()), hexString(canonicalBytes), "native_to_bson(json_to_native(dEJ))")
                }
            }
        }
        if let relaxedJSON {
            check(&result, "relaxed_extjson parses") {
                let document = try BSONDocument(extendedJSON: relaxedJSON)
                try expectEqual(document.extendedJSON(.relaxed), normalizedJSON(relaxedJSON), "native_to_relaxed_extjson(json_to_native(rEJ))")
            }
        }
        return result
    }

    /// The lazy view must agree with the materialised document element by element.
    func checkView(_ bytes: [UInt8], against document: BSONDocument) throws {
        let view = try BSONDocumentView(validating: bytes)
        var count = 0
        for (element, expected) in zip(view, document.elements) {
            try expectEqual(element.key, expected.key, "view key")
            try expectEqual(try element.value(), expected.value, "view value of \(expected.key)")
            let looked = view[expected.key]
            try expectEqual(try looked?.value(), document[expected.key], "view lookup of \(expected.key)")
            count += 1
        }
        try expectEqual(count, document.count, "view element count")
        try expectEqual(try view.document(), document, "view materialisation")
    }

    // MARK: error cases

    func runDecodeError(_ test: [String: Any], file: String) -> CaseResult {
        var result = CaseResult(file: file, kind: "decodeErrors", description: test["description"] as? String ?? "?")
        guard let hex = test["bson"] as? String, let input = bytes(fromHex: hex) else {
            result.failures.append("case lacks bson")
            return result
        }
        if let document = try? BSONDocument(bsonBytes: input) {
            result.failures.append("decoder accepted it as \(document)")
        }
        if (try? input.withUnsafeBytes { raw in try BSONDocument.validate(bsonBytes: raw) }) != nil {
            result.failures.append("validate accepted it")
        }
        if (try? BSONDocumentView(validating: input)) != nil {
            result.failures.append("view accepted it")
        }
        return result
    }

    func runParseError(_ test: [String: Any], file: String, isDecimal: Bool) -> CaseResult {
        var result = CaseResult(file: file, kind: "parseErrors", description: test["description"] as? String ?? "?")
        guard let text = test["string"] as? String else {
            result.failures.append("case lacks string")
            return result
        }
        if isDecimal {
            if let parsed = Decimal128(text) { result.failures.append("Decimal128 parsed it as \(parsed)") }
            return result
        }
        // Rejected either by the parser or, for text that is valid JSON but not
        // representable in BSON (a NUL in a key), when converting to BSON.
        if let document = try? BSONDocument(extendedJSON: text), (try? document.bsonBytes()) != nil {
            result.failures.append("parsed and encoded it as \(document.extendedJSON(.canonical))")
        }
        return result
    }

    // MARK: assertion plumbing

    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        if actual != expected { throw Mismatch(description: "\(what): got \(actual), expected \(expected)") }
    }

    func check(_ result: inout CaseResult, _ step: String, _ body: () throws -> Void) {
        do { try body() } catch let mismatch as Mismatch {
            result.failures.append(mismatch.description)
        } catch {
            result.failures.append("\(step): threw \(error)")
        }
    }
}
