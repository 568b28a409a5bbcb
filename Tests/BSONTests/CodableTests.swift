// BSONEncoder and BSONDecoder: round trips of Swift types through BSON, the type mapping
// (numbers, Date, Data, UUID, model types), and the standard errors with their coding paths.

import Foundation
import Testing
@testable import BSON

// MARK: - Fixtures

private struct Address: Codable, Equatable {
    var street: String
    var zip: Int
}

private struct Person: Codable, Equatable {
    var name: String
    var age: Int
    var address: Address
    var nickname: String?
}

private enum Color: String, Codable, Equatable { case red, green }
private enum Level: Int, Codable, Equatable { case low = 1, high = 5 }

private enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case rectangle(Double, Double)
    case point
}

private struct Palette: Codable, Equatable {
    var primary: Color
    var level: Level
    var shapes: [Shape]
}

private struct Everything: Codable, Equatable {
    var id: ObjectId
    var amount: Decimal128
    var at: BSONDateTime
    var ts: BSONTimestamp
    var blob: BSONBinary
    var pattern: BSONRegex
    var pointer: BSONDBPointer
    var code: BSONCodeWithScope
    var any: BSONValue
    var sub: BSONDocument
}

private struct Numbers: Codable, Equatable {
    var i: Int
    var i8: Int8
    var i16: Int16
    var i32: Int32
    var i64: Int64
    var u: UInt
    var u8: UInt8
    var u16: UInt16
    var u32: UInt32
    var u64: UInt64
    var f: Float
    var d: Double
}

private struct Box<T> { var value: T }
extension Box: Encodable where T: Encodable {}
extension Box: Decodable where T: Decodable {}
extension Box: Equatable where T: Equatable {}

/// Decodes a `T` at key "value", for types known only at run time.
private struct Holder<T: Decodable>: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: BSONCodingKey.self).decode(T.self, forKey: "value")
    }
}

private let sampleId = ObjectId(hex: "56e1fc72e0c917e9c4714161") ?? ObjectId()

/// The context of any `DecodingError`.
private func context(of error: DecodingError) -> DecodingError.Context? {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
        context
    @unknown default:
        nil
    }
}

private func path(_ codingPath: [any CodingKey]) -> [String] { codingPath.map(\.stringValue) }

@Suite("Codable")
struct CodableTests {
    let encoder = BSONEncoder()
    let decoder = BSONDecoder()

    private func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        try decoder.decode(T.self, from: try encoder.encode(value))
    }

    // MARK: Structure

    @Test func nestedStructsBecomeSubdocumentsAndRoundTrip() throws {
        let person = Person(name: "Ada", age: 36, address: Address(street: "1 Loop", zip: 12345), nickname: "Countess")
        let document = try encoder.encode(person)
        #expect(document == [
            "name": "Ada", "age": 36, "address": ["street": "1 Loop", "zip": 12345], "nickname": "Countess",
        ])
        #expect(try decoder.decode(Person.self, from: document) == person)
    }

    @Test func keysFollowDeclarationOrder() throws {
        struct Ordered: Codable { var zebra = 1, apple = 2, mango = 3, banana = 4 }
        #expect(try encoder.encode(Ordered()).keys == ["zebra", "apple", "mango", "banana"])
    }

    @Test func optionalNilIsOmittedFromDocument() throws {
        let person = Person(name: "Bob", age: 1, address: Address(street: "", zip: 0), nickname: nil)
        let document = try encoder.encode(person)
        #expect(document.keys == ["name", "age", "address"])
        #expect(try decoder.decode(Person.self, from: document) == person)
    }

    @Test func explicitEncodeNilWritesNull() throws {
        struct Explicit: Encodable {
            var note: String?
            enum CodingKeys: CodingKey { case note }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(note, forKey: .note)
            }
        }
        #expect(try encoder.encode(Explicit(note: nil)) == ["note": nil])
    }

    @Test func optionalsDecodeFromAbsentNullUndefinedAndPresent() throws {
        struct Maybe: Codable, Equatable { var value: Int?; var text: String? }
        #expect(try decoder.decode(Maybe.self, from: [:]) == Maybe(value: nil, text: nil))
        #expect(try decoder.decode(Maybe.self, from: ["value": nil, "text": .undefined]) == Maybe(value: nil, text: nil))
        #expect(try decoder.decode(Maybe.self, from: ["value": 4, "text": "t"]) == Maybe(value: 4, text: "t"))
    }

    @Test func arraysWithNullElementsDecodeAsOptionals() throws {
        let decoded = try decoder.decode(Box<[Int?]>.self, from: ["value": [1, nil, 3]])
        #expect(decoded.value == [1, nil, 3])
        #expect(try encoder.encode(decoded) == ["value": [1, nil, 3]])
    }

    @Test func rawValueEnumsEncodeAsTheirRawValues() throws {
        let palette = Palette(primary: .green, level: .high, shapes: [])
        let document = try encoder.encode(palette)
        #expect(document["primary"] == "green")
        #expect(document["level"] == .int32(5))
        #expect(try roundTrip(palette) == palette)
    }

    @Test func unknownRawValueFailsWithDataCorrupted() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Palette.self, from: ["primary": "blue", "level": 1, "shapes": []])
        }
        guard case .dataCorrupted(let context)? = error else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(path(context.codingPath) == ["primary"])
    }

    @Test func enumsWithAssociatedValuesUseKeyedContainers() throws {
        let palette = Palette(primary: .red, level: .low, shapes: [.circle(radius: 2), .rectangle(3, 4), .point])
        let document = try encoder.encode(palette)
        #expect(document["shapes"] == [
            ["circle": ["radius": 2.0]], ["rectangle": ["_0": 3.0, "_1": 4.0]], ["point": [:]],
        ])
        #expect(try roundTrip(palette) == palette)
    }

    @Test func arraysAndSetsOfStructsBecomeArrays() throws {
        struct Team: Codable, Equatable { var members: [Address]; var tags: Set<String> }
        let team = Team(members: [Address(street: "a", zip: 1), Address(street: "b", zip: 2)], tags: ["x"])
        let document = try encoder.encode(team)
        #expect(document["members"] == [["street": "a", "zip": 1], ["street": "b", "zip": 2]])
        #expect(document["tags"] == ["x"])
        #expect(try roundTrip(team) == team)
    }

    @Test func stringKeyedDictionariesBecomeDocuments() throws {
        let scores = Box(value: ["alice": 3, "bob": 4])
        let document = try encoder.encode(scores)
        #expect(document["value"]?.documentValue?["alice"] == 3)
        #expect(document["value"]?.documentValue?.count == 2)
        #expect(try roundTrip(scores) == scores)
        let top: [String: Address] = ["home": Address(street: "s", zip: 9)]
        #expect(try decoder.decode([String: Address].self, from: try encoder.encode(top)) == top)
    }

    @Test func largeDocumentsDecodeEveryKeyByLookup() throws {
        var document = BSONDocument()
        for index in 0..<2_000 { document.append("key\(index)", .int32(Int32(index))) }
        let decoded = try decoder.decode([String: Int].self, from: document)
        #expect(decoded.count == 2_000)
        #expect(decoded["key1999"] == 1999)
        #expect(try decoder.decode(Box<Int>.self, from: document + ["value": 7]).value == 7)
    }

    @Test func duplicateKeysDecodeTheFirstOccurrence() throws {
        var small = BSONDocument()
        small.append("value", 1)
        small.append("value", 2)
        #expect(try decoder.decode(Box<Int>.self, from: small).value == 1)
        var large = BSONDocument()
        for index in 0..<40 { large.append("k\(index)", 0) }
        large.append("value", 1)
        large.append("value", 2)
        #expect(try decoder.decode(Box<Int>.self, from: large).value == 1)
    }

    @Test func encodingAKeyTwiceKeepsTheLastValueAtTheFirstPosition() throws {
        struct Twice: Encodable {
            enum CodingKeys: String, CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .b)
                try container.encode("again", forKey: .a)
            }
        }
        #expect(try encoder.encode(Twice()) == ["a": "again", "b": 2])
    }

    @Test func keysMatchByBytesNotByCanonicalEquivalence() throws {
        struct Accented: Decodable {
            var value: Int
            enum CodingKeys: String, CodingKey { case value = "caf\u{E9}" }
        }
        let decomposed = "cafe\u{301}"
        #expect(decomposed == "caf\u{E9}")  // Swift calls them equal; BSON does not.
        for padding in [0, 40] {
            var document = BSONDocument()
            for index in 0..<padding { document.append("pad\(index)", 0) }
            document.append(decomposed, 1)
            document.append("caf\u{E9}", 2)
            #expect(try decoder.decode(Accented.self, from: document).value == 2, "\(padding) padding keys")
        }
        struct BothForms: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: BSONCodingKey.self)
                try container.encode(1, forKey: BSONCodingKey(stringValue: "cafe\u{301}"))
                try container.encode(2, forKey: BSONCodingKey(stringValue: "caf\u{E9}"))
            }
        }
        #expect(try encoder.encode(BothForms()).count == 2)
    }

    @Test func encodingAKeyTwiceInALargeDocumentKeepsOneElement() throws {
        struct Wide: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: BSONCodingKey.self)
                for index in 0..<30 { try container.encode(index, forKey: BSONCodingKey(stringValue: "k\(index)")) }
                try container.encode("late", forKey: "k3")
                try container.encode("later", forKey: "k25")
            }
        }
        let document = try encoder.encode(Wide())
        #expect(document.count == 30)
        #expect(document.keys == (0..<30).map { "k\($0)" })
        #expect(document["k3"] == "late")
        #expect(document["k25"] == "later")
    }

    @Test func customNestedContainersRoundTrip() throws {
        struct Matrix: Codable, Equatable {
            var rows: [[Int]]
            var label: String
            enum CodingKeys: CodingKey { case grid, meta }
            enum MetaKeys: CodingKey { case label }
            init(rows: [[Int]], label: String) { self.rows = rows; self.label = label }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                var grid = try container.nestedUnkeyedContainer(forKey: .grid)
                rows = []
                while !grid.isAtEnd {
                    var row = try grid.nestedUnkeyedContainer()
                    var values: [Int] = []
                    while !row.isAtEnd { values.append(try row.decode(Int.self)) }
                    rows.append(values)
                }
                label = try container.nestedContainer(keyedBy: MetaKeys.self, forKey: .meta).decode(String.self, forKey: .label)
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                var grid = container.nestedUnkeyedContainer(forKey: .grid)
                for row in rows {
                    var nested = grid.nestedUnkeyedContainer()
                    for value in row { try nested.encode(value) }
                }
                var meta = container.nestedContainer(keyedBy: MetaKeys.self, forKey: .meta)
                try meta.encode(label, forKey: .label)
            }
        }
        let matrix = Matrix(rows: [[1, 2], [3]], label: "m")
        #expect(try encoder.encode(matrix) == ["grid": [[1, 2], [3]], "meta": ["label": "m"]])
        #expect(try roundTrip(matrix) == matrix)
    }

    @Test func superEncoderAndSuperDecoderRoundTripClassHierarchies() throws {
        class Animal: Codable {
            var legs: Int
            init(legs: Int) { self.legs = legs }
        }
        final class Dog: Animal {
            var name: String
            enum CodingKeys: CodingKey { case name }
            init(name: String) { self.name = name; super.init(legs: 4) }
            required init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                name = try container.decode(String.self, forKey: .name)
                try super.init(from: container.superDecoder())
            }
            override func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try super.encode(to: container.superEncoder())
            }
        }
        let document = try encoder.encode(Dog(name: "Rex"))
        #expect(document == ["name": "Rex", "super": ["legs": 4]])
        let dog = try decoder.decode(Dog.self, from: document)
        #expect(dog.name == "Rex" && dog.legs == 4)
    }

    @Test func unkeyedSuperEncoderWritesInPlace() throws {
        struct Pair: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: BSONCodingKey.self)
                var list = container.nestedUnkeyedContainer(forKey: "list")
                try list.encode(1)
                try Address(street: "s", zip: 2).encode(to: list.superEncoder())
                try list.encode(3)
            }
        }
        #expect(try encoder.encode(Pair()) == ["list": [1, ["street": "s", "zip": 2], 3]])
    }

    @Test func userInfoReachesCodableImplementations() throws {
        let key = try #require(CodingUserInfoKey(rawValue: "prefix"))
        struct Tagged: Codable, Equatable {
            var text: String
            static func prefix(_ info: [CodingUserInfoKey: Any]) -> String {
                CodingUserInfoKey(rawValue: "prefix").flatMap { info[$0] as? String } ?? ""
            }
            init(text: String) { self.text = text }
            init(from decoder: any Decoder) throws {
                text = Self.prefix(decoder.userInfo) + (try decoder.singleValueContainer().decode(String.self))
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(Self.prefix(encoder.userInfo) + text)
            }
        }
        var encoder = BSONEncoder()
        encoder.userInfo[key] = "e:"
        var decoder = BSONDecoder()
        decoder.userInfo[key] = "d:"
        let document = try encoder.encode(Box(value: Tagged(text: "x")))
        #expect(document == ["value": "e:x"])
        #expect(try decoder.decode(Box<Tagged>.self, from: document).value.text == "d:e:x")
    }

    // MARK: Foundation types

    @Test func dateEncodesAsMillisecondDatetime() throws {
        let document = try encoder.encode(Box(value: Date(timeIntervalSince1970: 1_700_000_000.123)))
        #expect(document["value"] == .datetime(BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_123)))
    }

    @Test func dateTruncatesTowardNegativeInfinity() throws {
        let cases: [(TimeInterval, Int64)] = [(1.0019, 1001), (-0.0005, -1), (-1.0015, -1002), (0, 0), (-0.001, -1)]
        for (seconds, milliseconds) in cases {
            let value = try encoder.encodeValue(Date(timeIntervalSince1970: seconds))
            #expect(value == .datetime(BSONDateTime(millisecondsSinceEpoch: milliseconds)), "\(seconds) s")
        }
    }

    @Test func datetimesDecodedAsDatesEncodeBackUnchanged() throws {
        var milliseconds: [Int64] = [0, 1, -1, 1001, -1001, 1_700_000_000_123, -62_135_596_800_000, 253_402_300_799_999]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { milliseconds.append(Int64.random(in: -8_000_000_000_000...8_000_000_000_000, using: &generator)) }
        for value in milliseconds {
            let datetime = BSONValue.datetime(BSONDateTime(millisecondsSinceEpoch: value))
            let date = try decoder.decode(Date.self, fromValue: datetime)
            #expect(try encoder.encodeValue(date) == datetime, "\(value) ms")
        }
    }

    @Test func nonFiniteDateFailsToEncode() throws {
        let error = #expect(throws: EncodingError.self) {
            try encoder.encode(Box(value: Date(timeIntervalSince1970: .infinity)))
        }
        guard case .invalidValue(_, let context)? = error else { return }
        #expect(path(context.codingPath) == ["value"])
    }

    @Test func dataAndUUIDEncodeAsBinarySubtypes() throws {
        struct Blob: Codable, Equatable { var data: Data; var uuid: UUID }
        let uuid = try #require(UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF"))
        let blob = Blob(data: Data([1, 2, 3]), uuid: uuid)
        let document = try encoder.encode(blob)
        #expect(document["data"] == .binary(BSONBinary(subtype: .generic, bytes: [1, 2, 3])))
        #expect(document["uuid"] == .binary(BSONBinary(subtype: .uuid, bytes: [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF,
        ])))
        #expect(try roundTrip(blob) == blob)
    }

    @Test func uuidRejectsOtherSubtypesAndLengths() throws {
        let wrongSubtype = #expect(throws: DecodingError.self) {
            try decoder.decode(Box<UUID>.self, from: ["value": .binary(BSONBinary(subtype: .generic, bytes: Array(repeating: 0, count: 16)))])
        }
        let wrongLength = #expect(throws: DecodingError.self) {
            try decoder.decode(Box<UUID>.self, from: ["value": .binary(BSONBinary(subtype: .uuid, bytes: [1, 2]))])
        }
        for error in [wrongSubtype, wrongLength] {
            guard case .dataCorrupted(let context)? = error else {
                Issue.record("expected dataCorrupted, got \(String(describing: error))")
                continue
            }
            #expect(path(context.codingPath) == ["value"])
        }
    }

    // MARK: BSON model types

    @Test func bsonModelTypesPassThroughNatively() throws {
        let everything = Everything(
            id: sampleId,
            amount: Decimal128(high: 0x3040_0000_0000_0000, low: 12345),
            at: BSONDateTime(millisecondsSinceEpoch: -5),
            ts: BSONTimestamp(timestamp: 7, increment: 9),
            blob: BSONBinary(subtype: .userDefined, bytes: [9, 8]),
            pattern: BSONRegex(pattern: "^a", options: "mi"),
            pointer: BSONDBPointer(ref: "db.c", id: sampleId),
            code: BSONCodeWithScope(code: "x", scope: ["x": 1]),
            any: .maxKey,
            sub: ["nested": [.minKey, .undefined, .symbol("s"), .javascript("f()")]])
        let document = try encoder.encode(everything)
        #expect(document == [
            "id": .objectId(sampleId),
            "amount": .decimal128(everything.amount),
            "at": .datetime(everything.at),
            "ts": .timestamp(everything.ts),
            "blob": .binary(everything.blob),
            "pattern": .regex(everything.pattern),
            "pointer": .dbPointer(everything.pointer),
            "code": .javascriptWithScope(everything.code),
            "any": .maxKey,
            "sub": .document(everything.sub),
        ])
        #expect(try decoder.decode(Everything.self, from: document) == everything)
        #expect(try decoder.decode(Everything.self, from: try encoder.encodeBytes(everything)) == everything)
    }

    @Test func modelTypeOfWrongBSONTypeFailsWithTypeMismatch() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Box<ObjectId>.self, from: ["value": "56e1fc72e0c917e9c4714161"])
        }
        guard case .typeMismatch(let type, let context)? = error else {
            Issue.record("expected typeMismatch, got \(String(describing: error))")
            return
        }
        #expect(ObjectIdentifier(type) == ObjectIdentifier(ObjectId.self))
        #expect(path(context.codingPath) == ["value"])
    }

    @Test func documentsAndValuesEncodeAsThemselvesAtTopLevel() throws {
        let document: BSONDocument = ["a": [1, ["b": .null]]]
        #expect(try encoder.encode(document) == document)
        #expect(try decoder.decode(BSONDocument.self, from: document) == document)
        #expect(try encoder.encodeValue(BSONValue.int64(3)) == .int64(3))
        #expect(try decoder.decode(BSONValue.self, fromValue: .timestamp(BSONTimestamp(timestamp: 1, increment: 2)))
            == .timestamp(BSONTimestamp(timestamp: 1, increment: 2)))
    }

    @Test func modelTypesWriteExtendedJSONThroughOtherEncoders() throws {
        let json = JSONEncoder()
        json.outputFormatting = .sortedKeys
        let text = String(decoding: try json.encode(Box(value: sampleId)), as: UTF8.self)
        #expect(text == #"{"value":{"$oid":"56e1fc72e0c917e9c4714161"}}"#)
        let value: BSONValue = [
            "id": .objectId(sampleId), "n": 1, "big": .int64(1 << 40), "d": 1.5, "s": "x", "ok": true, "none": nil,
            "at": .datetime(BSONDateTime(millisecondsSinceEpoch: 12)), "bin": .binary(BSONBinary(subtype: .uuid, bytes: [1, 2])),
            "ts": .timestamp(BSONTimestamp(timestamp: 3, increment: 4)), "re": .regex(BSONRegex(pattern: "a", options: "i")),
            "list": [.minKey, .maxKey, .undefined, .double(.infinity)], "js": .javascript("f"), "sym": .symbol("y"),
            "scoped": .javascriptWithScope(BSONCodeWithScope(code: "c", scope: ["v": 1])),
            "ptr": .dbPointer(BSONDBPointer(ref: "db.c", id: sampleId)),
        ]
        let decoded = try JSONDecoder().decode(BSONValue.self, from: try json.encode(value))
        // JSON keeps no key order, so compare field by field.
        let original = try #require(value.documentValue)
        let roundTripped = try #require(decoded.documentValue)
        #expect(roundTripped.count == original.count)
        for (key, expected) in original { #expect(roundTripped[key] == expected, "\(key)") }
    }

    // MARK: Numbers

    @Test func integerTypesMapToInt32OrInt64() throws {
        let numbers = Numbers(
            i: 5, i8: -8, i16: 16, i32: 32, i64: 64, u: 1 << 40, u8: 8, u16: 16, u32: .max, u64: 64, f: 1.5, d: 2.5)
        let document = try encoder.encode(numbers)
        #expect(document == [
            "i": .int32(5), "i8": .int32(-8), "i16": .int32(16), "i32": .int32(32), "i64": .int64(64),
            "u": .int64(1 << 40), "u8": .int32(8), "u16": .int32(16), "u32": .int64(Int64(UInt32.max)),
            "u64": .int32(64), "f": .double(1.5), "d": .double(2.5),
        ])
        #expect(try roundTrip(numbers) == numbers)
        #expect(try encoder.encodeValue(Int(Int32.max) + 1) == .int64(Int64(Int32.max) + 1))
        #expect(try encoder.encodeValue(Int(Int32.min)) == .int32(.min))
    }

    @Test func unsignedBeyondInt64FailsToEncodeWithPath() throws {
        let error = #expect(throws: EncodingError.self) {
            try encoder.encode(Box(value: [Box(value: UInt64.max)]))
        }
        guard case .invalidValue(let value, let context)? = error else { return }
        #expect(value as? UInt64 == .max)
        #expect(path(context.codingPath) == ["value", "0", "value"])
        #expect(context.debugDescription.contains("int64"))
    }

    @Test func numbersDecodeFromAnyBSONNumberThatConvertsExactly() throws {
        #expect(try decoder.decode(Int32.self, fromValue: .int64(7)) == 7)
        #expect(try decoder.decode(Int.self, fromValue: .double(2.0)) == 2)
        #expect(try decoder.decode(UInt8.self, fromValue: .int32(255)) == 255)
        #expect(try decoder.decode(Double.self, fromValue: .int32(3)) == 3)
        #expect(try decoder.decode(Double.self, fromValue: .int64(1 << 53)) == 9_007_199_254_740_992)
        #expect(try decoder.decode(Float.self, fromValue: .double(0.1)) == Float(0.1))
        // Decimal128: 1200E-2 is the integer 12; 25E-1 is 2.5; 1E+2 is 100.
        #expect(try decoder.decode(Int.self, fromValue: .decimal128(Decimal128(high: 0x303C_0000_0000_0000, low: 1200))) == 12)
        #expect(try decoder.decode(Double.self, fromValue: .decimal128(Decimal128(high: 0x303E_0000_0000_0000, low: 25))) == 2.5)
        #expect(try decoder.decode(Int64.self, fromValue: .decimal128(Decimal128(high: 0x3044_0000_0000_0000, low: 1))) == 100)
        #expect(try decoder.decode(Int.self, fromValue: .decimal128(Decimal128(high: 0xB040_0000_0000_0000, low: 3))) == -3)
    }

    @Test func inexactNumbersFailWithDataCorrupted() throws {
        let cases: [(BSONValue, any Decodable.Type)] = [
            (.double(2.5), Int.self),
            (.int64(1 << 40), Int32.self),
            (.int32(-1), UInt.self),
            (.int32(300), UInt8.self),
            (.double(.nan), Int.self),
            (.int64((1 << 53) + 1), Double.self),
            (.int32(16_777_217), Float.self),
            (.double(1e300), Float.self),
            (.decimal128(Decimal128(high: 0x303E_0000_0000_0000, low: 25)), Int.self),
            (.decimal128(Decimal128(high: 0x303E_0000_0000_0000, low: 1)), Double.self),
        ]
        for (value, type) in cases {
            let error = #expect(throws: DecodingError.self, "\(value) as \(type)") {
                try decodeBoxed(type, from: value)
            }
            guard case .dataCorrupted(let context)? = error else {
                Issue.record("expected dataCorrupted for \(value) as \(type), got \(String(describing: error))")
                continue
            }
            #expect(path(context.codingPath) == ["value"])
            #expect(context.debugDescription.contains("\(type)"))
        }
    }

    private func decodeBoxed<T: Decodable>(_ type: T.Type, from value: BSONValue) throws {
        _ = try decoder.decode(Holder<T>.self, from: ["value": value])
    }

    // MARK: Errors

    @Test func wrongTypeFailsWithTypeMismatchAtItsPath() throws {
        let document: BSONDocument = [
            "rows": [["street": "a", "zip": 1], ["street": "b", "zip": "not a number"]],
        ]
        struct Rows: Decodable { var rows: [Address] }
        let error = #expect(throws: DecodingError.self) { try decoder.decode(Rows.self, from: document) }
        guard case .typeMismatch(let type, let context)? = error else {
            Issue.record("expected typeMismatch, got \(String(describing: error))")
            return
        }
        #expect(ObjectIdentifier(type) == ObjectIdentifier(Int.self))
        #expect(path(context.codingPath) == ["rows", "1", "zip"])
        #expect(context.debugDescription.contains("string"))
    }

    @Test func missingKeyFailsWithKeyNotFound() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Person.self, from: ["name": "x", "age": 1, "address": ["street": "s"]])
        }
        guard case .keyNotFound(let key, let context)? = error else {
            Issue.record("expected keyNotFound, got \(String(describing: error))")
            return
        }
        #expect(key.stringValue == "zip")
        #expect(path(context.codingPath) == ["address"])
    }

    @Test func nullForRequiredValueFailsWithValueNotFound() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Person.self, from: ["name": nil, "age": 1, "address": ["street": "s", "zip": 1]])
        }
        guard case .valueNotFound(let type, let context)? = error else {
            Issue.record("expected valueNotFound, got \(String(describing: error))")
            return
        }
        #expect(ObjectIdentifier(type) == ObjectIdentifier(String.self))
        #expect(path(context.codingPath) == ["name"])
    }

    @Test func containerOfWrongKindFailsWithTypeMismatch() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Person.self, from: ["name": "x", "age": 1, "address": [1, 2]])
        }
        guard case .typeMismatch(_, let context)? = error else {
            Issue.record("expected typeMismatch, got \(String(describing: error))")
            return
        }
        #expect(path(context.codingPath) == ["address"])
    }

    @Test func readingPastTheEndOfAnArrayFailsWithValueNotFound() throws {
        struct Triple: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                for _ in 0..<3 { _ = try container.decode(Int.self) }
            }
        }
        let error = #expect(throws: DecodingError.self) { try decoder.decode(Box<Triple>.self, from: ["value": [1, 2]]) }
        guard case .valueNotFound(_, let context)? = error else {
            Issue.record("expected valueNotFound, got \(String(describing: error))")
            return
        }
        #expect(path(context.codingPath) == ["value", "2"])
    }

    @Test func topLevelNonDocumentFailsToEncodeAsDocument() throws {
        #expect(throws: EncodingError.self) { try encoder.encode(42) }
        #expect(throws: EncodingError.self) { try encoder.encode([1, 2]) }
        #expect(try encoder.encodeValue(42) == .int32(42))
        #expect(try encoder.encodeValue(["a", "b"]) == ["a", "b"])
        #expect(try decoder.decode([String].self, fromValue: ["a", "b"]) == ["a", "b"])
    }

    @Test func conflictingContainersAreReportedNotTrapped() throws {
        struct Confused: Encodable {
            func encode(to encoder: any Encoder) throws {
                var single = encoder.singleValueContainer()
                try single.encode(1)
                var keyed = encoder.container(keyedBy: BSONCodingKey.self)
                try keyed.encode(2, forKey: "x")
            }
        }
        #expect(throws: EncodingError.self) { try encoder.encode(Box(value: Confused())) }
    }

    @Test func encodingNothingYieldsAnEmptyDocument() throws {
        struct Empty: Codable, Equatable {}
        #expect(try encoder.encode(Empty()) == [:])
        #expect(try encoder.encode(Box(value: Empty())) == ["value": [:]])
        #expect(try roundTrip(Box(value: Empty())) == Box(value: Empty()))
    }

    // MARK: Bytes

    @Test func encodeBytesWritesTheSameDocument() throws {
        let person = Person(name: "Ada", age: 36, address: Address(street: "1", zip: 2), nickname: nil)
        let bytes = try encoder.encodeBytes(person)
        #expect(try BSONDocument(bsonBytes: bytes) == encoder.encode(person))
        #expect(try decoder.decode(Person.self, from: bytes) == person)
    }

    @Test func invalidBytesFailWithDataCorrupted() throws {
        let error = #expect(throws: DecodingError.self) {
            try decoder.decode(Person.self, from: [5, 0, 0, 0] as [UInt8])
        }
        guard case .dataCorrupted(let context)? = error else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.underlyingError is BSONError)
    }

    @Test func unserializableKeyFailsEncodeBytes() throws {
        let error = #expect(throws: EncodingError.self) { try encoder.encodeBytes(["a\u{0}b": 1]) }
        guard case .invalidValue(_, let context)? = error else { return }
        #expect(context.underlyingError is BSONError)
    }
}

private func + (lhs: BSONDocument, rhs: BSONDocument) -> BSONDocument {
    var sum = lhs
    for (key, value) in rhs { sum.append(key, value) }
    return sum
}
