// Tests of Extended JSON v2: the strict JSON scanner, parsing every wrapper (canonical,
// relaxed, legacy), emitting both modes, and round trips over the BSON corpus read in place
// (Foundation only reads the corpus files' outer JSON).

import Foundation
import Testing
@testable import BSON

// MARK: - Helpers

/// Parses `text` through the byte entry point, which also validates UTF-8.
private func parseBytes(_ bytes: [UInt8], maxDepth: Int = JSONScanner.defaultMaxDepth) throws(BSONError) -> BSONValue {
    let result = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(BSONError) in try ExtendedJSONParser.parse(bytes: buffer, maxDepth: maxDepth) }
    }
    return try result.get()
}

/// Whether parsing `text` as a value fails with an Extended JSON error (never a crash).
private func rejects(_ text: String) -> Bool {
    do {
        _ = try BSONValue(extendedJSON: text)
        return false
    } catch {
        if case .invalidExtendedJSON = error { return true }
        return false
    }
}

/// JSON text re-serialised compactly with the writer's escaping, numbers kept verbatim, so
/// that texts differing only in whitespace or in how characters are escaped compare equal.
private func reserialized(_ text: String) throws -> String {
    var text = text
    let result = text.withUTF8 { bytes -> Result<String, BSONError> in
        Result { () throws(BSONError) -> String in
            var scanner = JSONScanner(bytes)
            var out: [UInt8] = []
            try reserializeValue(&scanner, &out)
            try scanner.expectEndOfInput()
            return String(decoding: out, as: UTF8.self)
        }
    }
    return try result.get()
}

private func reserializeValue(_ scanner: inout JSONScanner, _ out: inout [UInt8]) throws(BSONError) {
    func quoted(_ string: String) -> [UInt8] {
        var writer = ExtendedJSONWriter(mode: .canonical)
        writer.writeString(string)
        return writer.output
    }
    switch scanner.peek() {
    case UInt8(ascii: "{"):
        try scanner.beginObject()
        out.append(UInt8(ascii: "{"))
        var isFirst = true
        var count = 0
        while let key = try scanner.nextKey(isFirst: &isFirst) {
            if count > 0 { out.append(UInt8(ascii: ",")) }
            out += quoted(key)
            out.append(UInt8(ascii: ":"))
            try reserializeValue(&scanner, &out)
            count += 1
        }
        out.append(UInt8(ascii: "}"))
    case UInt8(ascii: "["):
        try scanner.beginArray()
        out.append(UInt8(ascii: "["))
        var isFirst = true
        var count = 0
        while try scanner.nextElement(isFirst: &isFirst) {
            if count > 0 { out.append(UInt8(ascii: ",")) }
            try reserializeValue(&scanner, &out)
            count += 1
        }
        out.append(UInt8(ascii: "]"))
    case UInt8(ascii: "\""):
        out += quoted(try scanner.readString())
    case UInt8(ascii: "t"), UInt8(ascii: "f"):
        out += Array((try scanner.readBool() ? "true" : "false").utf8)
    case UInt8(ascii: "n"):
        try scanner.readNull()
        out += Array("null".utf8)
    default:
        let number = try scanner.readNumber()
        out += Array(scanner.text(of: number))
    }
}

private func document(_ text: String) throws -> BSONDocument {
    try BSONDocument(extendedJSON: text)
}

// MARK: - Scanner

@Suite("ExtendedJSON scanner")
struct ExtendedJSONScannerTests {
    /// Runs `body` with a scanner over `text`.
    private func scanning<T>(_ text: String, _ body: (inout JSONScanner) throws(BSONError) -> T) throws(BSONError) -> T {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(BSONError) -> T in
                var scanner = JSONScanner(bytes)
                return try body(&scanner)
            }
        }
        return try result.get()
    }

    @Test func readsTokensInOrderAndClassifiesNumbers() throws {
        let (keys, numbers) = try scanning(#" { "a" : -12 , "b":[0.5e-3 ,7], "" :1E2 } "#) { (scanner: inout JSONScanner) throws(BSONError) in
            var keys: [String] = []
            var numbers: [(String, Bool)] = []
            func number(_ scanner: inout JSONScanner) throws(BSONError) {
                let token = try scanner.readNumber()
                numbers.append((String(decoding: scanner.text(of: token), as: UTF8.self), token.isInteger))
            }
            try scanner.beginObject()
            var isFirst = true
            while let key = try scanner.nextKey(isFirst: &isFirst) {
                keys.append(key)
                if scanner.peek() == UInt8(ascii: "[") {
                    try scanner.beginArray()
                    var elementFirst = true
                    while try scanner.nextElement(isFirst: &elementFirst) { try number(&scanner) }
                } else {
                    try number(&scanner)
                }
            }
            try scanner.expectEndOfInput()
            #expect(scanner.depth == 0)
            return (keys, numbers)
        }
        #expect(keys == ["a", "b", ""])
        #expect(numbers.map(\.0) == ["-12", "0.5e-3", "7", "1E2"])
        #expect(numbers.map(\.1) == [true, false, true, false])
    }

    @Test func errorsCarryTheByteOffsetOfTheProblem() {
        func offset(_ text: String) -> Int? {
            do {
                _ = try BSONValue(extendedJSON: text)
                return nil
            } catch {
                guard case .invalidExtendedJSON(let offset, _) = error else { return nil }
                return offset
            }
        }
        #expect(offset(#"{"a": tru}"#) == 6)
        #expect(offset(#"{"a": 1,}"#) == 8)
        #expect(offset(#"["\q"]"#) == 2)
        #expect(offset(#"[1] x"#) == 4)
        #expect(offset(#"{"x": {"$oid": 1}}"#) == 6)
    }

    @Test func decodesEveryEscapeIncludingSurrogatePairs() throws {
        let value = try BSONValue(extendedJSON: #""a\"b\\c\/d\b\f\n\r\t\u00e9\u2606\ud83d\ude00\u0000""#)
        #expect(value == .string("a\"b\\c/d\u{8}\u{C}\n\r\té☆😀\u{0}"))
    }

    @Test func keepsRawNonASCIIText() throws {
        #expect(try BSONValue(extendedJSON: "\"é☆😀\"") == .string("é☆😀"))
    }

    @Test func rejectsLoneAndMismatchedSurrogates() {
        #expect(rejects(#""\ud83d""#))
        #expect(rejects(#""\ud83dx""#))
        #expect(rejects(#""\ud83d\u0041""#))
        #expect(rejects(#""\ude00""#))
        #expect(rejects(#""\ude00\ud83d""#))
        #expect(rejects(#""\ud83d\n""#))
    }

    @Test func rejectsInvalidEscapes() {
        for text in [#""\x""#, #""\u12""#, #""\u12G4""#, #""\'""#, #""\U0041""#, #""\"#, #""\u"#, #""\ud83d\u"#] {
            #expect(rejects(text), "\(text)")
        }
    }

    @Test func rejectsRawControlCharactersInStrings() {
        #expect(rejects("\"a\nb\""))
        #expect(rejects("\"a\u{0}b\""))
        #expect(rejects("\"a\u{1F}b\""))
    }

    @Test func rejectsInvalidUTF8() throws {
        #expect(throws: BSONError.self) { try parseBytes([0x22, 0xFF, 0x22]) }
        #expect(throws: BSONError.self) { try parseBytes([0x22, 0xC3, 0x22]) }
        #expect(throws: BSONError.self) { try parseBytes([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // encoded surrogate
        #expect(try parseBytes([0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
    }

    @Test func acceptsEveryNumberFormOfRFC8259() throws {
        for text in ["0", "-0", "1", "-1", "10", "1.5", "-1.5", "0.25", "1e5", "1E5", "1e+5", "1e-5", "1.5E-3", "123456789"] {
            #expect(!rejects(text), "\(text)")
        }
    }

    @Test func rejectsNumbersOutsideRFC8259() {
        for text in ["01", "-01", "-", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10", "1.e5", "Infinity", "NaN", "-Infinity", "1_000"] {
            #expect(rejects(text), "\(text)")
        }
    }

    @Test func rejectsTruncatedInput() {
        for text in ["", "   ", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "[", "[1", "[1,", "\"abc", "tru", "fals", "nul", "{\"a\":tru}"] {
            #expect(rejects(text), "\(text.debugDescription)")
        }
    }

    @Test func rejectsStructuralErrorsAndTrailingGarbage() {
        for text in ["{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{a:1}", "{'a':1}", "{} x", "{}{}", "[]]", "{\"a\":1}}", "\u{FEFF}{}", "\u{A0}{}", "{,}", "[,]", "truex", "nullx"] {
            #expect(rejects(text), "\(text.debugDescription)")
        }
    }

    @Test func acceptsInsignificantWhitespaceEverywhere() throws {
        let parsed = try document(" \t\r\n{ \"a\" : [ 1 , { \"b\" : null } ] , \"c\" : true }\n ")
        #expect(parsed == ["a": [1, ["b": nil]], "c": true])
    }

    @Test func rejectsNULInKeysButNotInValues() throws {
        #expect(rejects(#"{"a\u0000": 1}"#))
        #expect(rejects(#"{"a": {"b\u0000": 1}}"#))
        #expect(rejects(#"{"$ref\u0000": 1}"#))
        #expect(try document(#"{"a": "x\u0000y"}"#) == ["a": .string("x\u{0}y")])
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for depth in [201, 10_000, 100_000] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(rejects(arrays))
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            #expect(rejects(objects))
            let wrappers = String(repeating: "{\"$code\":\"\",\"$scope\":", count: depth) + "{}" + String(repeating: "}", count: depth)
            #expect(rejects(wrappers))
            #expect(rejects(String(repeating: "[", count: depth)))
        }
    }

    @Test func nestingLimitIsExactlyTwoHundred() throws {
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(!rejects(ok))
        let limited = Array(("[[[" + "]]]").utf8)
        #expect(throws: BSONError.self) { try parseBytes(limited, maxDepth: 2) }
        #expect(try parseBytes(limited, maxDepth: 3) == [[[]]])
    }

    @Test func everyPrefixAndByteFlipOfAValidDocumentIsHandled() throws {
        let text = #"{"_id":{"$oid":"57e193d7a9cc81b4027498b5"},"s":"h\u00e9\ud83d\ude00","n":[1,-2.5e3,{"$numberLong":"9"}],"d":{"$date":"2012-12-24T12:15:30.501Z"},"b":{"$binary":{"base64":"//8=","subType":"00"}},"r":{"$regularExpression":{"pattern":"a","options":"i"}},"t":{"$timestamp":{"t":1,"i":2}}}"#
        let bytes = Array(text.utf8)
        _ = try parseBytes(bytes)
        for length in 0..<bytes.count {
            #expect(throws: BSONError.self) { try parseBytes(Array(bytes[..<length])) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5000 {
            var mutated = bytes
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let position = Int(state >> 33) % mutated.count
                mutated[position] = UInt8(truncatingIfNeeded: state >> 17)
            }
            _ = try? parseBytes(mutated)  // must return or throw, never trap
        }
    }
}

// MARK: - Parsing

@Suite("ExtendedJSON parsing")
struct ExtendedJSONParsingTests {
    @Test func relaxedNumbersTakeTheNarrowestIntegerTypeElseDouble() throws {
        #expect(try BSONValue(extendedJSON: "1") == .int32(1))
        #expect(try BSONValue(extendedJSON: "-2147483648") == .int32(.min))
        #expect(try BSONValue(extendedJSON: "2147483648") == .int64(2_147_483_648))
        #expect(try BSONValue(extendedJSON: "-9223372036854775808") == .int64(.min))
        #expect(try BSONValue(extendedJSON: "9223372036854775807") == .int64(.max))
        #expect(try BSONValue(extendedJSON: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try BSONValue(extendedJSON: "1.0") == .double(1))
        #expect(try BSONValue(extendedJSON: "1e2") == .double(100))
        #expect(try BSONValue(extendedJSON: "-0.0") == .double(-0.0))
        #expect(try BSONValue(extendedJSON: "1.2345678921232E+18") == .double(1.2345678921232e18))
        #expect(try BSONValue(extendedJSON: "0") == .int32(0))
    }

    @Test func canonicalWrappers() throws {
        let parsed = try document(#"""
        {"i": {"$numberInt": "-7"}, "l": {"$numberLong": "-9223372036854775808"},
         "d": {"$numberDouble": "1.0E+300"}, "z": {"$numberDouble": "-0.0"},
         "inf": {"$numberDouble": "Infinity"}, "ninf": {"$numberDouble": "-Infinity"},
         "o": {"$oid": "57E193D7A9CC81B4027498B5"}, "s": {"$symbol": "sym"},
         "c": {"$code": "f()"}, "cs": {"$scope": {"x": {"$numberInt": "1"}}, "$code": "g()"},
         "t": {"$timestamp": {"i": 42, "t": 4294967295}}, "u": {"$undefined": true},
         "min": {"$minKey": 1}, "max": {"$maxKey": 1},
         "p": {"$dbPointer": {"$id": {"$oid": "56e1fc72e0c917e9c4714161"}, "$ref": "db.c"}},
         "r": {"$regularExpression": {"options": "mix", "pattern": "a/b"}},
         "b": {"$binary": {"subType": "8", "base64": "AQID"}}}
        """#)
        let id = try #require(ObjectId(hex: "57e193d7a9cc81b4027498b5"))
        let pointerId = try #require(ObjectId(hex: "56e1fc72e0c917e9c4714161"))
        let expected: BSONDocument = [
            "i": .int32(-7), "l": .int64(.min), "d": .double(1e300), "z": .double(-0.0),
            "inf": .double(.infinity), "ninf": .double(-.infinity),
            "o": .objectId(id), "s": .symbol("sym"), "c": .javascript("f()"),
            "cs": .javascriptWithScope(BSONCodeWithScope(code: "g()", scope: ["x": .int32(1)])),
            "t": .timestamp(BSONTimestamp(timestamp: .max, increment: 42)), "u": .undefined,
            "min": .minKey, "max": .maxKey,
            "p": .dbPointer(BSONDBPointer(ref: "db.c", id: pointerId)),
            "r": .regex(BSONRegex(pattern: "a/b", options: "imx")),
            "b": .binary(BSONBinary(subtype: .init(8), bytes: [1, 2, 3])),
        ]
        #expect(parsed == expected)
        guard case .double(let nan)? = try document(#"{"n": {"$numberDouble": "NaN"}}"#)["n"] else {
            Issue.record("NaN did not parse as a double")
            return
        }
        #expect(nan.isNaN)
    }

    @Test func datesInEveryAcceptedForm() throws {
        func date(_ json: String) throws -> Int64? {
            guard case .datetime(let d) = try BSONValue(extendedJSON: json) else { return nil }
            return d.millisecondsSinceEpoch
        }
        #expect(try date(#"{"$date": {"$numberLong": "-284643869501"}}"#) == -284_643_869_501)
        #expect(try date(#"{"$date": "1970-01-01T00:00:00Z"}"#) == 0)
        #expect(try date(#"{"$date": "2012-12-24T12:15:30.501Z"}"#) == 1_356_351_330_501)
        #expect(try date(#"{"$date": "2012-12-24T12:15:30.5Z"}"#) == 1_356_351_330_500)
        #expect(try date(#"{"$date": "2012-12-24T12:15:30.5019Z"}"#) == 1_356_351_330_501)
        #expect(try date(#"{"$date": "2012-12-24T13:15:30.501+01:00"}"#) == 1_356_351_330_501)
        #expect(try date(#"{"$date": "2012-12-24T07:15:30.501-0500"}"#) == 1_356_351_330_501)
        #expect(try date(#"{"$date": "1960-02-29T00:00:00Z"}"#) == -310_521_600_000)
        #expect(try date(#"{"$date": "9999-12-31T23:59:59.999Z"}"#) == 253_402_300_799_999)
        for bad in [#"{"$date": 42}"#, #"{"$date": "2012-13-01T00:00:00Z"}"#, #"{"$date": "2013-02-29T00:00:00Z"}"#,
                    #"{"$date": "2012-12-24T12:15:30"}"#, #"{"$date": "2012-12-24 12:15:30Z"}"#,
                    #"{"$date": "2012-12-24T24:00:00Z"}"#, #"{"$date": "2012-12-24T12:15:30.Z"}"#,
                    #"{"$date": "2012-12-24T12:15:30Zjunk"}"#, #"{"$date": {"$numberInt": "1"}}"#,
                    #"{"$date": {"$numberLong": "1", "x": 1}}"#, #"{"$date": {"$numberLong": 1}}"#] {
            #expect(rejects(bad), "\(bad)")
        }
    }

    @Test func legacyBinaryAndUUIDForms() throws {
        #expect(try BSONValue(extendedJSON: #"{"$binary": "//8=", "$type": "80"}"#)
            == .binary(BSONBinary(subtype: .userDefined, bytes: [0xFF, 0xFF])))
        #expect(try BSONValue(extendedJSON: #"{"$type": "0", "$binary": ""}"#)
            == .binary(BSONBinary(subtype: .generic, bytes: [])))
        #expect(try BSONValue(extendedJSON: #"{"$uuid": "73ffd264-44b3-4c69-90e8-e7d1dfc035d4"}"#)
            == .binary(BSONBinary(subtype: .uuid, bytes: [0x73, 0xFF, 0xD2, 0x64, 0x44, 0xB3, 0x4C, 0x69, 0x90, 0xE8, 0xE7, 0xD1, 0xDF, 0xC0, 0x35, 0xD4])))
        for bad in [#"{"$binary": "//8="}"#, #"{"$binary": "//8", "$type": "00"}"#, #"{"$binary": "/=8=", "$type": "00"}"#,
                    #"{"$binary": "//8=", "$type": "000"}"#, #"{"$binary": "//8=", "$type": 0}"#,
                    #"{"$binary": {"base64": "//8=", "subType": "zz"}}"#,
                    #"{"$binary": {"base64": "//8=", "subType": "00"}, "$type": "00"}"#,
                    #"{"$binary": {"base64": "//8=", "base64": "//8=", "subType": "00"}}"#,
                    #"{"$uuid": "73ffd264-44b3-4c69-90e8-e7d1dfc035dz"}"#] {
            #expect(rejects(bad), "\(bad)")
        }
    }

    @Test func typeQueryOperatorStaysADocument() throws {
        #expect(try document(#"{"x": {"$type": "string"}}"#) == ["x": ["$type": "string"]])
        #expect(try document(#"{"x": {"$type": {"$numberInt": "2"}}}"#) == ["x": ["$type": .int32(2)]])
    }

    @Test func legacyRegexOnlyInItsExactShape() throws {
        #expect(try BSONValue(extendedJSON: #"{"$regex": "ab", "$options": "xi"}"#)
            == .regex(BSONRegex(pattern: "ab", options: "ix")))
        #expect(try BSONValue(extendedJSON: #"{"$options": "", "$regex": "ab"}"#) == .regex(BSONRegex(pattern: "ab")))
        // A query operator: `$regex` alone, or with a non-string partner, is an ordinary document.
        #expect(try document(#"{"$regex": "^a"}"#) == ["$regex": "^a"])
        #expect(try document(#"{"$regex": {"$regularExpression": {"pattern": "p", "options": "ix"}}}"#)
            == ["$regex": .regex(BSONRegex(pattern: "p", options: "ix"))])
        #expect(try document(#"{"$regex": {"$regularExpression": {"pattern": "p", "options": ""}}, "$options": "ix"}"#)
            == ["$regex": .regex(BSONRegex(pattern: "p")), "$options": "ix"])
        #expect(rejects(#"{"$regex": "a\u0000", "$options": ""}"#))
    }

    @Test func dollarKeysThatAreNotWrappersAreOrdinaryKeys() throws {
        let ref = try document(#"{"$ref": "c", "$id": {"$oid": "58921b3e6e32ab156a22b59e"}, "$db": "d", "$banana": 1}"#)
        #expect(ref.keys == ["$ref", "$id", "$db", "$banana"])
        #expect(try document(#"{"$": "a", "x": {"$a": {"$numberInt": "1"}}}"#) == ["$": "a", "x": ["$a": .int32(1)]])
        #expect(try document(#"{"$scope": {}}"#) == ["$scope": [:]])
        #expect(try document(#"{"a": {"$options": "i"}}"#) == ["a": ["$options": "i"]])
    }

    @Test func wrapperKeysMayNotShareAnObject() {
        for bad in [#"{"a": 1, "$numberInt": "1"}"#, #"{"$oid": "57e193d7a9cc81b4027498b5", "$symbol": "x"}"#,
                    #"{"$numberInt": "1", "$numberInt": "1"}"#, #"{"$ref": "c", "$date": "1970-01-01T00:00:00Z"}"#,
                    #"{"$code": "", "$scope": {}, "x": 1}"#, #"{"$minKey": 1, "$maxKey": 1}"#] {
            #expect(rejects(bad), "\(bad)")
        }
    }

    @Test func wrongTypesInsideWrappersAreRejected() {
        for bad in [#"{"$numberInt": "2147483648"}"#, #"{"$numberInt": "1.0"}"#, #"{"$numberInt": ""}"#, #"{"$numberInt": "+1"}"#,
                    #"{"$numberLong": "9223372036854775808"}"#, #"{"$numberLong": "1e3"}"#, #"{"$numberLong": 1}"#,
                    #"{"$numberDouble": "inf"}"#, #"{"$numberDouble": "1.0 "}"#, #"{"$numberDouble": "0x1p3"}"#, #"{"$numberDouble": 1.0}"#,
                    #"{"$numberDecimal": 1}"#, #"{"$numberDecimal": "x"}"#, #"{"$oid": "57e193d7a9cc81b4027498b"}"#,
                    #"{"$symbol": 1}"#, #"{"$code": null}"#, #"{"$code": "", "$scope": {"$numberInt": "1"}}"#,
                    #"{"$timestamp": {"t": -1, "i": 0}}"#, #"{"$timestamp": {"t": 4294967296, "i": 0}}"#,
                    #"{"$timestamp": {"t": 1.0, "i": 0}}"#, #"{"$timestamp": {"t": 1, "i": {"$numberInt": "1"}}}"#,
                    #"{"$regularExpression": {"pattern": "a", "options": "", "options": ""}}"#,
                    #"{"$regularExpression": "a"}"#, #"{"$dbPointer": {"$ref": "b", "$id": "56e1fc72e0c917e9c4714161"}}"#,
                    #"{"$dbPointer": {"$ref": "b"}}"#, #"{"$minKey": 1.0}"#, #"{"$maxKey": 2}"#, #"{"$undefined": false}"#,
                    #"{"$undefined": 1}"#, #"{"$uuid": 1}"#] {
            #expect(rejects(bad), "\(bad)")
        }
    }

    @Test func documentInitializerRequiresADocument() throws {
        for text in ["[1]", "1", "\"a\"", "null", #"{"$numberInt": "1"}"#, #"{"$regex": "a", "$options": ""}"#] {
            #expect(throws: BSONError.self) { try BSONDocument(extendedJSON: text) }
        }
        #expect(try document("{}") == [:])
    }

    @Test func keepsKeyOrderAndDuplicateKeys() throws {
        let parsed = try document(#"{"b": 1, "a": 2, "b": 3}"#)
        #expect(parsed.keys == ["b", "a", "b"])
    }
}

// MARK: - Emitting

@Suite("ExtendedJSON emitting")
struct ExtendedJSONEmittingTests {
    @Test func canonicalModeWrapsEveryNumberAndDate() throws {
        let doc: BSONDocument = ["i": .int32(1), "l": .int64(-2), "d": .double(1), "t": .datetime(BSONDateTime(millisecondsSinceEpoch: 0))]
        #expect(doc.extendedJSON(.canonical)
            == #"{"i":{"$numberInt":"1"},"l":{"$numberLong":"-2"},"d":{"$numberDouble":"1.0"},"t":{"$date":{"$numberLong":"0"}}}"#)
    }

    @Test func relaxedModeUsesPlainNumbersAndISODates() throws {
        let doc: BSONDocument = [
            "i": .int32(.min), "l": .int64(.max), "d": .double(-0.0), "e": .double(1.2345678921232e18),
            "n": .double(.nan), "p": .double(.infinity), "m": .double(-.infinity),
            "t0": .datetime(BSONDateTime(millisecondsSinceEpoch: 0)),
            "t1": .datetime(BSONDateTime(millisecondsSinceEpoch: 1_356_351_330_001)),
            "t2": .datetime(BSONDateTime(millisecondsSinceEpoch: -1)),
            "t3": .datetime(BSONDateTime(millisecondsSinceEpoch: 253_402_300_799_999)),
            "t4": .datetime(BSONDateTime(millisecondsSinceEpoch: 253_402_300_800_000)),
        ]
        #expect(doc.extendedJSON() == #"{"i":-2147483648,"l":9223372036854775807,"d":-0.0,"e":1.2345678921232E+18,"#
            + #""n":{"$numberDouble":"NaN"},"p":{"$numberDouble":"Infinity"},"m":{"$numberDouble":"-Infinity"},"#
            + #""t0":{"$date":"1970-01-01T00:00:00Z"},"t1":{"$date":"2012-12-24T12:15:30.001Z"},"#
            + #""t2":{"$date":{"$numberLong":"-1"}},"t3":{"$date":"9999-12-31T23:59:59.999Z"},"#
            + #""t4":{"$date":{"$numberLong":"253402300800000"}}}"#)
    }

    @Test(arguments: [
        (1.0, "1.0"), (-1.0, "-1.0"), (0.0, "0.0"), (-0.0, "-0.0"), (1.0001220703125, "1.0001220703125"),
        (1.2345678921232e18, "1.2345678921232E+18"), (-1.2345678921232e18, "-1.2345678921232E+18"),
        (1e15, "1000000000000000.0"), (1e16, "1.0E+16"), (0.0001, "0.0001"), (0.00001, "1.0E-5"),
        (0.1, "0.1"), (1.0 / 3.0, "0.3333333333333333"), (123456.789, "123456.789"), (Double.leastNonzeroMagnitude, "5.0E-324"),
        (1.7976931348623157e308, "1.7976931348623157E+308"), (9007199254740993.0, "9007199254740992.0"),
        (-2.5e-7, "-2.5E-7"), (1e100, "1.0E+100"), (12345678901234567890.0, "1.2345678901234567E+19"),
    ])
    func doublesUseShortestRoundTripDigits(_ number: Double, _ expected: String) {
        #expect(BSONValue.double(number).extendedJSON(.relaxed) == expected)
        #expect(BSONValue.double(number).extendedJSON(.canonical) == "{\"$numberDouble\":\"\(expected)\"}")
    }

    @Test func everyFiniteDoubleReadsBackToTheSameBits() throws {
        var state: UInt64 = 0x0123_4567_89AB_CDEF
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let number = Double(bitPattern: state)
            guard number.isFinite else { continue }
            let text = BSONValue.double(number).extendedJSON(.relaxed)
            guard case .double(let back) = try BSONValue(extendedJSON: text) else {
                Issue.record("\(text) did not parse as a double")
                continue
            }
            #expect(back.bitPattern == number.bitPattern, "\(text)")
        }
    }

    @Test func everyRelaxedDateReadsBackToTheSameMillisecond() throws {
        var state: UInt64 = 42
        for _ in 0..<5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let milliseconds = Int64(state >> 1) % (ISODate.maxRelaxedMilliseconds + 1)
            let value = BSONValue.datetime(BSONDateTime(millisecondsSinceEpoch: milliseconds))
            #expect(try BSONValue(extendedJSON: value.extendedJSON(.relaxed)) == value)
        }
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharactersOnly() {
        let text = "q\"b\\s/\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{0}\u{1F}\u{7F}é☆😀"
        #expect(BSONValue.string(text).extendedJSON()
            == #""q\"b\\s/\b\t\n\u000b\f\r\u0000\u001f"# + "\u{7F}é☆😀\"")
        let keyed: BSONDocument = ["a\"b": 1]
        #expect(keyed.extendedJSON() == #"{"a\"b":1}"#)
    }

    @Test func otherTypesAreTheSameInBothModes() throws {
        let id = try #require(ObjectId(hex: "57e193d7a9cc81b4027498b5"))
        var unsorted = BSONRegex(pattern: "a\"b")
        unsorted.options = "xmi"
        let doc: BSONDocument = [
            "o": .objectId(id), "b": .binary(BSONBinary(subtype: .init(0x8A), bytes: [0xFF, 0xFF])),
            "e": .binary(BSONBinary(bytes: [])), "u": .undefined, "n": nil, "t": true, "f": false,
            "r": .regex(unsorted), "p": .dbPointer(BSONDBPointer(ref: "db.c", id: id)),
            "c": .javascript("f()"), "s": .symbol("sym"),
            "w": .javascriptWithScope(BSONCodeWithScope(code: "g", scope: ["x": .int32(1)])),
            "ts": .timestamp(BSONTimestamp(timestamp: 4_000_000_000, increment: 1)),
            "min": .minKey, "max": .maxKey, "a": [[], [:]],
        ]
        let expected = #"{"o":{"$oid":"57e193d7a9cc81b4027498b5"},"b":{"$binary":{"base64":"//8=","subType":"8a"}},"#
            + #""e":{"$binary":{"base64":"","subType":"00"}},"u":{"$undefined":true},"n":null,"t":true,"f":false,"#
            + #""r":{"$regularExpression":{"pattern":"a\"b","options":"imx"}},"#
            + #""p":{"$dbPointer":{"$ref":"db.c","$id":{"$oid":"57e193d7a9cc81b4027498b5"}}},"#
            + #""c":{"$code":"f()"},"s":{"$symbol":"sym"},"w":{"$code":"g","$scope":{"x":SCOPE}},"#
            + #""ts":{"$timestamp":{"t":4000000000,"i":1}},"min":{"$minKey":1},"max":{"$maxKey":1},"a":[[],{}]}"#
        #expect(doc.extendedJSON(.canonical) == expected.replacingOccurrences(of: "SCOPE", with: #"{"$numberInt":"1"}"#))
        #expect(doc.extendedJSON(.relaxed) == expected.replacingOccurrences(of: "SCOPE", with: "1"))
        #expect(try BSONDocument(extendedJSON: doc.extendedJSON(.canonical)) == {
            var sorted = doc
            sorted["r"] = .regex(BSONRegex(pattern: "a\"b", options: "imx"))
            return sorted
        }())
    }

    @Test func base64EncodesEveryTailLengthAndDecodesStrictly() throws {
        let cases: [([UInt8], String?)] = [([], ""), ([0x66], "Zg=="), ([0x66, 0x6F], "Zm8="), ([0x66, 0x6F, 0x6F], "Zm9v"),
                                           ([0x66, 0x6F, 0x6F, 0x62], "Zm9vYg=="), (Array(0...255), nil)]
        for (bytes, expected) in cases {
            let json = BSONValue.binary(BSONBinary(bytes: bytes)).extendedJSON()
            let prefix = #"{"$binary":{"base64":""#
            let text = String(json.dropFirst(prefix.count).prefix { $0 != "\"" })
            if let expected { #expect(text == expected) }
            #expect(Base64.decode(text) == bytes)
        }
        for bad in ["Zg=", "Zg===", "=Zg=", "Z=g=", "Zm9v!A==", "Zm 9v", "Zm9\u{E9}"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func topLevelValuesEmitWithoutAnEnclosingDocument() {
        #expect(BSONValue.int32(5).extendedJSON(.canonical) == #"{"$numberInt":"5"}"#)
        #expect(BSONValue.int32(5).extendedJSON() == "5")
        #expect(BSONValue.array([1, "x"]).extendedJSON() == #"[1,"x"]"#)
        #expect(BSONDocument().extendedJSON() == "{}")
    }
}

// MARK: - Corpus

/// The corpus's Extended JSON expectations, checked with this file's parser and writer.
@Suite("ExtendedJSON corpus")
struct ExtendedJSONCorpusTests {
    static let files: [String] = [
        "array", "binary", "boolean", "code", "code_w_scope", "datetime", "dbpointer", "dbref",
        "decimal128-1", "decimal128-2", "decimal128-3", "decimal128-4", "decimal128-5", "decimal128-6",
        "decimal128-7", "document", "double", "int32", "int64", "maxkey", "minkey",
        "multi-type-deprecated", "multi-type", "null", "oid", "regex", "string", "symbol", "timestamp",
        "top", "undefined",
    ]

    @Test(arguments: files)
    func validCasesRoundTrip(_ name: String) throws {
        let url = Conformance.root.appendingPathComponent("bson-corpus/\(name).json")
        let file = try Conformance.readJSONObject(url)
        let cases = file["valid"] as? [[String: Any]] ?? []
        for test in cases {
            let description = test["description"] as? String ?? "?"
            let context = Comment(rawValue: "\(name): \(description)")
            guard let canonicalJSON = test["canonical_extjson"] as? String,
                  let canonicalHex = test["canonical_bson"] as? String,
                  let canonicalBSON = bytes(fromHex: canonicalHex)
            else {
                Issue.record(context)
                continue
            }
            let lossy = test["lossy"] as? Bool ?? false
            let expectedCanonical = try reserialized(canonicalJSON)

            // canonical BSON -> canonical Extended JSON
            let fromBSON = try BSONDocument(bsonBytes: canonicalBSON)
            #expect(fromBSON.extendedJSON(.canonical) == expectedCanonical, context)

            // canonical Extended JSON -> value -> canonical Extended JSON, and -> canonical BSON
            let parsed = try BSONDocument(extendedJSON: canonicalJSON)
            #expect(parsed.extendedJSON(.canonical) == expectedCanonical, context)
            if !lossy {
                #expect(try parsed.bsonBytes() == canonicalBSON, context)
            }

            if let relaxedJSON = test["relaxed_extjson"] as? String {
                let expectedRelaxed = try reserialized(relaxedJSON)
                #expect(fromBSON.extendedJSON(.relaxed) == expectedRelaxed, context)
                let relaxed = try BSONDocument(extendedJSON: relaxedJSON)
                #expect(relaxed.extendedJSON(.relaxed) == expectedRelaxed, context)
            }

            if let degenerateJSON = test["degenerate_extjson"] as? String {
                let degenerate = try BSONDocument(extendedJSON: degenerateJSON)
                #expect(degenerate.extendedJSON(.canonical) == expectedCanonical, context)
                if !lossy {
                    #expect(try degenerate.bsonBytes() == canonicalBSON, context)
                }
            }
        }
    }

    @Test(arguments: files.filter { !$0.hasPrefix("decimal128") })
    func parseErrorsAreRejected(_ name: String) throws {
        let url = Conformance.root.appendingPathComponent("bson-corpus/\(name).json")
        let file = try Conformance.readJSONObject(url)
        for test in file["parseErrors"] as? [[String: Any]] ?? [] {
            let text = try #require(test["string"] as? String)
            let description = test["description"] as? String ?? "?"
            #expect(throws: BSONError.self, Comment(rawValue: "\(name): \(description)")) {
                try BSONDocument(extendedJSON: text)
            }
        }
    }
}
