// Round-trips every valid case of the BSON corpus through shape-encoded records, from the
// materialised document and from the wire bytes, and back to documents and to BSON bytes.

import BSON
import Testing
@testable import Documents

@Suite("BSON corpus through records")
struct CorpusRoundTripTests {
    @Test("every valid corpus document survives document → record → document and → BSON bytes")
    func corpusRoundTripsExactly() throws {
        let cases = try Corpus.validCases()
        #expect(cases.count > 700)
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        for corpusCase in cases {
            let document = try BSONDocument(bsonBytes: corpusCase.bytes)
            let expectedBytes = try document.bsonBytes()
            let record = try encoder.encode(document)
            let decoder = RecordDecoder(registry: registry)
            let decoded = try decoder.document(record.bytes)
            #expect(decoded == document, "\(corpusCase)")
            #expect(try decoded.bsonBytes() == expectedBytes, "\(corpusCase)")
            #expect(try decoder.bsonBytes(record.bytes) == expectedBytes, "\(corpusCase)")
            #expect(try decoder.record(record.bytes).document() == document, "\(corpusCase)")
        }
    }

    @Test("every canonical corpus document encodes the same from wire bytes as from the document")
    func corpusEncodesFromWireBytes() throws {
        let registry = ShapeRegistry()
        var fromDocuments = RecordEncoder(registry: registry)
        var fromWire = RecordEncoder(registry: registry)
        for corpusCase in try Corpus.validCases() where !corpusCase.degenerate {
            let document = try BSONDocument(bsonBytes: corpusCase.bytes)
            let view = try BSONDocumentView(validating: corpusCase.bytes)
            let wireRecord = try fromWire.encode(view)
            let documentRecord = try fromDocuments.encode(document)
            #expect(wireRecord.bytes == documentRecord.bytes, "\(corpusCase)")
            let decoder = RecordDecoder(registry: registry)
            #expect(try decoder.document(wireRecord.bytes) == document, "\(corpusCase)")
            #expect(try decoder.bsonBytes(wireRecord.bytes) == corpusCase.bytes, "\(corpusCase)")
        }
    }

    @Test("wire bytes keep regex options in wire order")
    func wireRegexKeepsOptionOrder() throws {
        // {"a": /abc/mix} with options written out of order.
        let wire = try #require(bytes(fromHex: "100000000B6100616263006D69780000"))
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let record = try encoder.encode(try BSONDocumentView(validating: wire))
        #expect(try RecordDecoder(registry: registry).bsonBytes(record.bytes) == wire)
    }

    @Test("W1 and its embedded documents encode from wire views as from documents")
    func encodesDocumentViewsAndSubviews() throws {
        let document = Workloads.metricsDocument()
        let view = try BSONDocumentView(validating: try document.bsonBytes())
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let fromDocument = try encoder.encode(document)
        let fromView = try encoder.encode(view)
        #expect(fromView.bytes == fromDocument.bytes)
        let minuteView = try #require(view["minute"]?.document)
        let minuteRecord = try encoder.encode(minuteView)
        let decoder = RecordDecoder(registry: registry)
        #expect(try decoder.document(minuteRecord.bytes) == document["minute"]?.documentValue)
        #expect(try decoder.bsonBytes(minuteRecord.bytes) == Array(minuteView.bytes))
    }
}

