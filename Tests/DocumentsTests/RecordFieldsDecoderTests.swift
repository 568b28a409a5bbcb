// Record.decodeFields(as:): the typed point read's decoder. Where it answers, it must answer
// what BSONDecoder gives for the same document; where it does not cover a type or a document
// does not fit, it must answer nil (the caller then decodes the document), including when the
// type's init swallows the error of a step it does not cover.

import BSON
import Testing
import Documents

/// Scalars of every width and kind the decoder reads in place, plus a nested value and an
/// array it hands to BSONDecoder.
private struct Flat: Codable, Equatable {
    struct Inner: Codable, Equatable { var a: Int; var b: [String] }
    var _id: Int
    var small: Int8, wide: UInt64, whole: Int, ratio: Double, flag: Bool, name: String
    var inner: Inner, tags: [Int]
    var missing: String?, null: Int?
}

/// Reads `inner` through a nested keyed container and swallows its failure.
private struct Swallowing: Decodable, Equatable {
    enum Keys: String, CodingKey { case inner, a }
    var a: Int
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        a = (try? container.nestedContainer(keyedBy: Keys.self, forKey: .inner).decode(Int.self, forKey: .a)) ?? -1
    }
}

/// A top level decoded as one value: not covered.
private struct Wrapped: Decodable {
    var document: BSONDocument
    init(from decoder: any Decoder) throws { document = try decoder.singleValueContainer().decode(BSONDocument.self) }
}

@Suite("Record field decoder")
struct RecordFieldsDecoderTests {
    private func record(_ document: BSONDocument) throws -> Record {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        return try RecordDecoder(registry: registry).record(try encoder.encode(document).bytes)
    }

    private let flat: BSONDocument = [
        "_id": 7, "small": .int64(-128), "wide": .int64(.max), "whole": .int32(-5), "ratio": .double(0.25),
        "flag": true, "name": "Ada", "inner": ["a": 1, "b": ["x", "y"]], "tags": [1, 2, 3], "null": .null,
    ]

    @Test func decodesWhatBSONDecoderDecodes() throws {
        let expected = try BSONDecoder().decode(Flat.self, from: flat)
        #expect(try record(flat).decodeFields(as: Flat.self) == expected)
    }

    @Test func convertsOtherNumericTypesAsBSONDecoderDoes() throws {
        var document = flat
        document["whole"] = .double(3)
        document["ratio"] = .int32(2)
        let expected = try BSONDecoder().decode(Flat.self, from: document)
        #expect(try record(document).decodeFields(as: Flat.self) == expected)
    }

    @Test(arguments: [
        ("small", BSONValue.int32(128)), ("wide", .int32(-1)), ("whole", .double(0.5)), ("flag", .int32(1)),
        ("name", .int32(1)), ("inner", .int32(1)),
    ])
    func documentsThatDoNotFitAreLeftToTheDocumentPath(field: String, value: BSONValue) throws {
        var document = flat
        document[field] = value
        #expect(throws: (any Error).self) { try BSONDecoder().decode(Flat.self, from: document) }
        #expect(try record(document).decodeFields(as: Flat.self) == nil)
    }

    @Test func aMissingFieldIsLeftToTheDocumentPath() throws {
        var document = flat
        document["name"] = nil
        #expect(try record(document).decodeFields(as: Flat.self) == nil)
    }

    @Test func aSwallowedUncoveredStepStillFallsBack() throws {
        let document: BSONDocument = ["_id": 1, "inner": ["a": 42]]
        #expect(try BSONDecoder().decode(Swallowing.self, from: document).a == 42)
        #expect(try record(document).decodeFields(as: Swallowing.self) == nil)
    }

    @Test func singleValueTopLevelsAreNotCovered() throws {
        #expect(try record(flat).decodeFields(as: Wrapped.self) == nil)
    }
}
