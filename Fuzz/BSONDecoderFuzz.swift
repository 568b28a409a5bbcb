// libFuzzer entry point for the BSON decoder: feeds arbitrary bytes to the full decoder, the
// validator and the lazy view, and traps when they disagree or a round trip changes the
// document; accepted documents are also written as Extended JSON (crash check only).
// Owns no decoding logic of its own; built and run by scripts/fuzz-bson.

import BSON

/// Called by libFuzzer once per input. Returns 0 (the input is always kept if it adds
/// coverage); a disagreement between the decoders or a failed round trip traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    let decoded: BSONDocument?
    do {
        decoded = try BSONDocument(bsonBytes: bytes)
    } catch {
        decoded = nil
    }

    let validated = bytes.withUnsafeBytes { raw -> Bool in
        do {
            try BSONDocument.validate(bsonBytes: raw)
            return true
        } catch {
            return false
        }
    }

    let view: BSONDocumentView?
    do {
        view = try BSONDocumentView(validating: bytes)
    } catch {
        view = nil
    }

    // The three entry points must agree on what is valid.
    guard validated == (decoded != nil), validated == (view != nil) else {
        fatalError("decoders disagree: decode \(decoded != nil), validate \(validated), view \(view != nil)")
    }
    guard let document = decoded, let view else { return 0 }

    // The view, walked element by element, must read the same document.
    checkView(view, equals: document)

    // Extended JSON output must not trap on anything the decoder accepts. (Text is not
    // compared: relaxed mode is lossy by design, canonical mode loses NaN payloads.)
    _ = document.extendedJSON(.canonical)
    _ = document.extendedJSON(.relaxed)

    // Re-encode, re-decode: the same document, and encoding is stable from then on.
    let encoded: [UInt8]
    do {
        encoded = try document.bsonBytes()
    } catch {
        fatalError("a decoded document failed to encode: \(error)")
    }
    let redecoded: BSONDocument
    do {
        redecoded = try BSONDocument(bsonBytes: encoded)
    } catch {
        fatalError("re-encoded bytes failed to decode: \(error)")
    }
    guard redecoded == document else { fatalError("round trip changed the document") }
    do {
        guard try redecoded.bsonBytes() == encoded else { fatalError("encoding is not stable") }
    } catch {
        fatalError("a re-decoded document failed to encode: \(error)")
    }
    return 0
}

/// Walks `view` recursively and traps unless every element materialises to `document`'s.
private func checkView(_ view: BSONDocumentView, equals document: BSONDocument) {
    var index = 0
    for element in view {
        guard index < document.count else { fatalError("the view has more elements than the document") }
        let (key, value) = document[index]
        guard element.keyEquals(key), element.type == value.type else {
            fatalError("element \(index) differs between view and document")
        }
        do {
            guard try element.value() == value else { fatalError("element \(index) materialises differently") }
        } catch {
            fatalError("element \(index) of a validated view failed to materialise: \(error)")
        }
        if let child = element.document, case .document(let childDocument) = value {
            checkView(child, equals: childDocument)
        }
        if let child = element.array, case .array(let values) = value {
            var arrayIndex = 0
            for item in child {
                guard arrayIndex < values.count, item.type == values[arrayIndex].type else {
                    fatalError("array element \(arrayIndex) differs between view and document")
                }
                arrayIndex += 1
            }
            guard arrayIndex == values.count else { fatalError("array lengths differ between view and document") }
        }
        index += 1
    }
    guard index == document.count else { fatalError("the view has fewer elements than the document") }
    do {
        guard try view.document() == document else { fatalError("view.document() differs from the decoded document") }
    } catch {
        fatalError("a validated view failed to materialise: \(error)")
    }
}
