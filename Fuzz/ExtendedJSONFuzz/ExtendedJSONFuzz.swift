// libFuzzer entry point for the Extended JSON parser (BSON's ExtendedJSONParser through
// BSONDocument/BSONValue.init(extendedJSON:)): any text may be rejected with BSONError but
// never trap; what parses must print in canonical and relaxed mode, both outputs must parse
// again, and canonical output must be a fixed point. Built and run by scripts/fuzz.

import BSON
import FuzzSupport

/// Called by libFuzzer once per input: the bytes as UTF-8 text (invalid sequences become
/// U+FFFD), parsed as a document and as any value.
/// The process entry SwiftPM links as `main` (see FuzzSupport/FuzzerMain.swift).
@_cdecl("ExtendedJSONFuzz_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    if let document = try? BSONDocument(extendedJSON: text) {
        check(.document(document))
        // A parsed document is a valid BSON document.
        do {
            let bytes = try document.bsonBytes()
            guard try BSONDocument(bsonBytes: bytes) == document else { fatalError("BSON round trip changed the document") }
        } catch {
            // Too large or too deep to encode is an encoder limit, not a parser bug.
        }
    }
    if let value = try? BSONValue(extendedJSON: text) {
        check(value)
    }
    return 0
}

/// Prints `value` in both modes and parses each output back.
private func check(_ value: BSONValue) {
    let canonical = value.extendedJSON(.canonical)
    let reparsed: BSONValue
    do {
        reparsed = try BSONValue(extendedJSON: canonical)
    } catch {
        fatalError("canonical output failed to parse: \(error)\n\(canonical)")
    }
    // Canonical mode keeps every type; NaN payloads may change once, so compare the text of
    // the second printing with the first rather than the values.
    let again = reparsed.extendedJSON(.canonical)
    guard again == canonical else { fatalError("canonical output is not a fixed point:\n\(canonical)\n\(again)") }

    let relaxed = value.extendedJSON(.relaxed)
    do {
        _ = try BSONValue(extendedJSON: relaxed)
    } catch {
        fatalError("relaxed output failed to parse: \(error)\n\(relaxed)")
    }
}
