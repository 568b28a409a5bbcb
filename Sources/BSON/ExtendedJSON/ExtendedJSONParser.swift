// The Extended JSON v2 parser: turns JSON text into BSON values, recognising the canonical,
// relaxed and legacy type wrappers (`$oid`, `$date`, `$binary`, ...) and rejecting malformed
// ones. Objects whose first key is not `$`-prefixed are read straight into documents.

/// Parses Extended JSON v2 (canonical, relaxed and the legacy forms the spec still accepts).
///
/// An object is a type wrapper when it holds one of the wrapper keys below; it must then have
/// exactly that wrapper's shape or parsing fails. `$regex` (with a string `$options`) and
/// `$type` (beside a string `$binary`) are wrappers only in their legacy shapes; otherwise
/// they, like `$ref`, `$id` or any other `$`-prefixed key, are ordinary keys.
struct ExtendedJSONParser {
    /// The keys that make an object a type wrapper.
    enum WrapperKey: String {
        case oid = "$oid"
        case symbol = "$symbol"
        case numberInt = "$numberInt"
        case numberLong = "$numberLong"
        case numberDouble = "$numberDouble"
        case numberDecimal = "$numberDecimal"
        case binary = "$binary"
        case uuid = "$uuid"
        case code = "$code"
        case timestamp = "$timestamp"
        case regularExpression = "$regularExpression"
        case dbPointer = "$dbPointer"
        case date = "$date"
        case minKey = "$minKey"
        case maxKey = "$maxKey"
        case undefined = "$undefined"

        /// The wrapper named by `key`, if any. Matches on length first so that ordinary keys
        /// cost at most a few comparisons of small strings.
        init?(key: String) {
            let utf8 = key.utf8
            guard utf8.first == UInt8(ascii: "$") else { return nil }
            func matches(_ candidate: WrapperKey) -> Bool { key == candidate.rawValue }
            let found: WrapperKey? = switch utf8.count {
            case 4: matches(.oid) ? .oid : nil
            case 5: matches(.date) ? .date : matches(.code) ? .code : matches(.uuid) ? .uuid : nil
            case 7:
                matches(.binary) ? .binary : matches(.symbol) ? .symbol
                    : matches(.minKey) ? .minKey : matches(.maxKey) ? .maxKey : nil
            case 10:
                matches(.numberInt) ? .numberInt : matches(.timestamp) ? .timestamp
                    : matches(.dbPointer) ? .dbPointer : matches(.undefined) ? .undefined : nil
            case 11: matches(.numberLong) ? .numberLong : nil
            case 13: matches(.numberDouble) ? .numberDouble : nil
            case 14: matches(.numberDecimal) ? .numberDecimal : nil
            case 18: matches(.regularExpression) ? .regularExpression : nil
            default: nil
            }
            guard let found else { return nil }
            self = found
        }

        /// Whether the wrapper's value, when an object, must be read member by member so that
        /// the JSON type of each member can be checked.
        var hasRawObjectValue: Bool {
            switch self {
            case .binary, .timestamp, .regularExpression, .dbPointer, .date: true
            default: false
            }
        }
    }

    /// A member of a `$`-prefixed object before it is known whether the object is a wrapper:
    /// scalars keep their JSON type; containers are already parsed, except the object values
    /// of wrappers that need their members' JSON types.
    enum Member {
        case string(String)
        case number(JSONNumber)
        case bool(Bool)
        case null
        case object([(key: String, value: Member)])
        case value(BSONValue)
    }

    private var scanner: JSONScanner

    /// A parser at the start of `bytes`, which must be valid UTF-8.
    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONScanner.defaultMaxDepth) {
        scanner = JSONScanner(bytes, maxDepth: maxDepth)
    }

    /// Parses the UTF-8 text of one JSON value (with optional surrounding whitespace).
    static func parse(_ text: String, maxDepth: Int = JSONScanner.defaultMaxDepth) throws(BSONError) -> BSONValue {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(BSONError) -> BSONValue in
                var parser = ExtendedJSONParser(bytes, maxDepth: maxDepth)
                return try parser.parseDocumentOrValue()
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 bytes of one JSON value, rejecting invalid UTF-8 first.
    static func parse(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONScanner.defaultMaxDepth) throws(BSONError) -> BSONValue {
        guard UTF8Validation.isValid(UnsafeRawBufferPointer(bytes)) else {
            throw .invalidExtendedJSON(offset: 0, reason: "the text is not valid UTF-8")
        }
        var parser = ExtendedJSONParser(bytes, maxDepth: maxDepth)
        return try parser.parseDocumentOrValue()
    }

    /// Parses the whole input as one value followed only by whitespace.
    mutating func parseDocumentOrValue() throws(BSONError) -> BSONValue {
        let value = try parseValue()
        try scanner.expectEndOfInput()
        return value
    }

    // MARK: Values

    private mutating func parseValue() throws(BSONError) -> BSONValue {
        guard let byte = scanner.peek() else { throw scanner.unexpected(expecting: "a JSON value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try scanner.readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try scanner.readBool())
        case UInt8(ascii: "n"):
            try scanner.readNull()
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return relaxedNumber(try scanner.readNumber())
        default:
            throw scanner.unexpected(expecting: "a JSON value")
        }
    }

    private mutating func parseArray() throws(BSONError) -> BSONValue {
        try scanner.beginArray()
        var elements: [BSONValue] = []
        var isFirst = true
        while try scanner.nextElement(isFirst: &isFirst) {
            elements.append(try parseValue())
        }
        return .array(elements)
    }

    private mutating func parseObject() throws(BSONError) -> BSONValue {
        let objectOffset = scanner.offset
        try scanner.beginObject()
        var isFirst = true
        guard let firstKey = try scanner.nextKey(isFirst: &isFirst) else { return .document(BSONDocument()) }
        if firstKey.utf8.first == UInt8(ascii: "$") {
            return try parseDollarObject(firstKey: firstKey, isFirst: &isFirst, at: objectOffset)
        }
        var document = BSONDocument()
        document.append(firstKey, try parseValue())
        while let key = try scanner.nextKey(isFirst: &isFirst) {
            if WrapperKey(key: key) != nil {
                throw scanner.error("\(key) must be the only key of its object", at: objectOffset)
            }
            document.append(key, try parseValue())
        }
        return .document(document)
    }

    /// Reads the members of an object whose first key starts with `$`, then decides whether
    /// it is a wrapper, a legacy `$regex`, or an ordinary document (a DBRef, a query operator).
    private mutating func parseDollarObject(firstKey: String, isFirst: inout Bool, at objectOffset: Int) throws(BSONError) -> BSONValue {
        let firstWrapper = WrapperKey(key: firstKey)
        let firstValue = try parseMember(rawObject: firstWrapper?.hasRawObjectValue == true)
        guard let secondKey = try scanner.nextKey(isFirst: &isFirst) else {
            // The common case, a one-key wrapper such as {"$numberInt": "1"}: no member list.
            if let firstWrapper { return try convertWrapper(firstWrapper, firstValue, companion: nil, at: objectOffset) }
            return try nonWrapperObject([(firstKey, firstValue)], at: objectOffset)
        }
        var members: [(key: String, value: Member)] = [(firstKey, firstValue)]
        var wrapper: (index: Int, key: WrapperKey)? = firstWrapper.map { (0, $0) }
        var pending: String? = secondKey
        while let key = pending {
            let wrapperKey = WrapperKey(key: key)
            if let wrapperKey {
                if let existing = wrapper {
                    throw scanner.error("\(existing.key.rawValue) and \(wrapperKey.rawValue) in one object", at: objectOffset)
                }
                wrapper = (members.count, wrapperKey)
            }
            members.append((key, try parseMember(rawObject: wrapperKey?.hasRawObjectValue == true)))
            pending = try scanner.nextKey(isFirst: &isFirst)
        }
        guard let wrapper else { return try nonWrapperObject(members, at: objectOffset) }
        // Only `$binary` (legacy, with `$type`) and `$code` (with `$scope`) have two-key forms.
        let reason: String
        if members.count == 2 {
            let other = members[1 - wrapper.index]
            switch (wrapper.key, other.key) {
            case (.binary, "$type"), (.code, "$scope"):
                return try convertWrapper(wrapper.key, members[wrapper.index].value, companion: other.value, at: objectOffset)
            default:
                reason = "unexpected key \(other.key.debugDescription) beside it"
            }
        } else {
            reason = "unexpected keys beside it"
        }
        throw scanner.error("\(wrapper.key.rawValue): \(reason)", at: objectOffset)
    }

    private mutating func parseMember(rawObject: Bool) throws(BSONError) -> Member {
        guard let byte = scanner.peek() else { throw scanner.unexpected(expecting: "a JSON value") }
        switch byte {
        case UInt8(ascii: "{") where rawObject:
            try scanner.beginObject()
            var members: [(key: String, value: Member)] = []
            var isFirst = true
            while let key = try scanner.nextKey(isFirst: &isFirst) {
                members.append((key, try parseMember(rawObject: false)))
            }
            return .object(members)
        case UInt8(ascii: "{"): return .value(try parseObject())
        case UInt8(ascii: "["): return .value(try parseArray())
        case UInt8(ascii: "\""): return .string(try scanner.readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try scanner.readBool())
        case UInt8(ascii: "n"):
            try scanner.readNull()
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try scanner.readNumber())
        default:
            throw scanner.unexpected(expecting: "a JSON value")
        }
    }

    // MARK: Interpreting `$`-prefixed objects

    /// A `$`-prefixed object without wrapper keys: a legacy `{"$regex": s, "$options": s}`, or
    /// else an ordinary document (a DBRef, a query operator, any other `$` key).
    private func nonWrapperObject(_ members: [(key: String, value: Member)], at offset: Int) throws(BSONError) -> BSONValue {
        if members.count == 2, let pattern = stringMember("$regex", in: members),
           let options = stringMember("$options", in: members) {
            return .regex(try regex(pattern: pattern, options: options, at: offset))
        }
        var document = BSONDocument()
        document.reserveCapacity(members.count)
        for member in members {
            document.append(member.key, try convert(member.value, at: offset))
        }
        return .document(document)
    }

    private func stringMember(_ key: String, in members: [(key: String, value: Member)]) -> String? {
        for member in members where member.key == key {
            if case .string(let value) = member.value { return value }
        }
        return nil
    }

    /// Converts a member that turned out to be an ordinary value.
    private func convert(_ member: Member, at offset: Int) throws(BSONError) -> BSONValue {
        switch member {
        case .string(let value): .string(value)
        case .number(let number): relaxedNumber(number)
        case .bool(let value): .bool(value)
        case .null: .null
        case .object(let members): try nonWrapperObject(members, at: offset)
        case .value(let value): value
        }
    }

    /// The value a wrapper denotes. `companion` is the `$type` of a legacy `$binary` or the
    /// `$scope` of a `$code`; the caller has checked that no other key is present.
    private func convertWrapper(_ key: WrapperKey, _ value: Member, companion: Member?, at offset: Int) throws(BSONError) -> BSONValue {
        func fail(_ reason: String) -> BSONError { scanner.error("\(key.rawValue): \(reason)", at: offset) }

        switch key {
        case .oid:
            guard case .string(let hex) = value, let id = ObjectId(hex: hex) else {
                throw fail("expected a string of 24 hexadecimal digits")
            }
            return .objectId(id)

        case .symbol:
            guard case .string(let text) = value else { throw fail("expected a string") }
            return .symbol(text)

        case .numberInt:
            guard case .string(let text) = value, let number = Self.integer(text), let int32 = Int32(exactly: number) else {
                throw fail("expected a string holding a 32-bit integer")
            }
            return .int32(int32)

        case .numberLong:
            guard case .string(let text) = value, let number = Self.integer(text) else {
                throw fail("expected a string holding a 64-bit integer")
            }
            return .int64(number)

        case .numberDouble:
            guard case .string(let text) = value, let number = Self.double(text) else {
                throw fail("expected a string holding a decimal number, Infinity, -Infinity or NaN")
            }
            return .double(number)

        case .numberDecimal:
            guard case .string(let text) = value else { throw fail("expected a string") }
            guard let decimal = Decimal128(text) else { throw fail("invalid decimal \(text.debugDescription)") }
            return .decimal128(decimal)

        case .binary:
            if let companion {
                // Legacy: {"$binary": "<base64>", "$type": "<hex>"}.
                guard case .string(let base64) = value, case .string(let subtypeText) = companion else {
                    throw fail("the legacy form needs string $binary and $type values")
                }
                return .binary(try binary(base64: base64, subtype: subtypeText, fail: fail))
            }
            guard case .object(let fields) = value else { throw fail("expected an object with base64 and subType") }
            var base64: String?, subtype: String?
            for field in fields {
                switch (field.key, field.value) {
                case ("base64", .string(let text)) where base64 == nil: base64 = text
                case ("subType", .string(let text)) where subtype == nil: subtype = text
                case ("base64", _), ("subType", _): throw fail("base64 and subType must each be one string")
                default: throw fail("unexpected key \(field.key.debugDescription)")
                }
            }
            guard let base64, let subtype else { throw fail("expected both base64 and subType") }
            return .binary(try binary(base64: base64, subtype: subtype, fail: fail))

        case .uuid:
            guard case .string(let text) = value, let bytes = Self.uuidBytes(text) else {
                throw fail("expected a string in the 8-4-4-4-12 hexadecimal UUID form")
            }
            return .binary(BSONBinary(subtype: .uuid, bytes: bytes))

        case .code:
            guard case .string(let code) = value else { throw fail("expected a string") }
            guard let companion else { return .javascript(code) }
            guard case .value(.document(let scope)) = companion else { throw fail("$scope must be a document") }
            return .javascriptWithScope(BSONCodeWithScope(code: code, scope: scope))

        case .timestamp:
            guard case .object(let fields) = value else { throw fail("expected an object with t and i") }
            var t: UInt32?, i: UInt32?
            for field in fields {
                guard case .number(let number) = field.value, let parsed = unsigned32(number) else {
                    throw fail("t and i must be integers from 0 to 4294967295")
                }
                switch field.key {
                case "t" where t == nil: t = parsed
                case "i" where i == nil: i = parsed
                default: throw fail("unexpected key \(field.key.debugDescription)")
                }
            }
            guard let t, let i else { throw fail("expected both t and i") }
            return .timestamp(BSONTimestamp(timestamp: t, increment: i))

        case .regularExpression:
            guard case .object(let fields) = value else { throw fail("expected an object with pattern and options") }
            var pattern: String?, options: String?
            for field in fields {
                switch (field.key, field.value) {
                case ("pattern", .string(let text)) where pattern == nil: pattern = text
                case ("options", .string(let text)) where options == nil: options = text
                case ("pattern", _), ("options", _): throw fail("pattern and options must each be one string")
                default: throw fail("unexpected key \(field.key.debugDescription)")
                }
            }
            guard let pattern, let options else { throw fail("expected both pattern and options") }
            return .regex(try regex(pattern: pattern, options: options, at: offset))

        case .dbPointer:
            guard case .object(let fields) = value else { throw fail("expected an object with $ref and $id") }
            var ref: String?, id: ObjectId?
            for field in fields {
                switch (field.key, field.value) {
                case ("$ref", .string(let text)) where ref == nil: ref = text
                case ("$id", .value(.objectId(let oid))) where id == nil: id = oid
                case ("$ref", _): throw fail("$ref must be one string")
                case ("$id", _): throw fail("$id must be one ObjectId")
                default: throw fail("unexpected key \(field.key.debugDescription)")
                }
            }
            guard let ref, let id else { throw fail("expected both $ref and $id") }
            return .dbPointer(BSONDBPointer(ref: ref, id: id))

        case .date:
            switch value {
            case .string(let text):
                guard let milliseconds = ISODate.milliseconds(parsing: text) else {
                    throw fail("invalid ISO-8601 date-time \(text.debugDescription)")
                }
                return .datetime(BSONDateTime(millisecondsSinceEpoch: milliseconds))
            case .object(let fields):
                guard fields.count == 1, fields[0].key == "$numberLong", case .string(let text) = fields[0].value,
                      let milliseconds = Self.integer(text)
                else { throw fail("expected {\"$numberLong\": \"<milliseconds>\"}") }
                return .datetime(BSONDateTime(millisecondsSinceEpoch: milliseconds))
            default:
                throw fail("expected an ISO-8601 string or a $numberLong object")
            }

        case .minKey, .maxKey:
            guard case .number(let number) = value, isOne(number) else { throw fail("expected the number 1") }
            return key == .minKey ? .minKey : .maxKey

        case .undefined:
            guard case .bool(true) = value else { throw fail("expected true") }
            return .undefined
        }
    }

    // MARK: Pieces of wrappers

    private func binary(base64: String, subtype: String, fail: (String) -> BSONError) throws(BSONError) -> BSONBinary {
        guard let subtypeByte = Self.subtypeByte(subtype) else {
            throw fail("the subtype must be one or two hexadecimal digits")
        }
        guard let bytes = Base64.decode(base64) else { throw fail("invalid base64 payload") }
        return BSONBinary(subtype: .init(subtypeByte), bytes: bytes)
    }

    private func regex(pattern: String, options: String, at offset: Int) throws(BSONError) -> BSONRegex {
        if pattern.utf8.contains(0) || options.utf8.contains(0) {
            throw scanner.error("a regular expression's pattern and options may not contain U+0000", at: offset)
        }
        return BSONRegex(pattern: pattern, options: options)
    }

    private func isOne(_ number: JSONNumber) -> Bool {
        let text = scanner.text(of: number)
        return text.count == 1 && text[0] == UInt8(ascii: "1")
    }

    private func unsigned32(_ number: JSONNumber) -> UInt32? {
        guard number.isInteger, let value = Self.integer(scanner.text(of: number)) else { return nil }
        return UInt32(exactly: value)
    }

    // MARK: Numbers

    /// A relaxed JSON number: an integer becomes int32 when it fits, else int64 when it fits,
    /// else a double; a number with a fraction or exponent becomes a double.
    private func relaxedNumber(_ number: JSONNumber) -> BSONValue {
        let text = scanner.text(of: number)
        if number.isInteger, let value = Self.integer(text) {
            if let small = Int32(exactly: value) { return .int32(small) }
            return .int64(value)
        }
        return .double(Self.parseDouble(text))
    }

    /// The value of `-?[0-9]+` when it fits in an `Int64`.
    static func integer(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { integer($0) }
    }

    /// The value of `-?[0-9]+` when it fits in an `Int64`.
    static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let negative = !text.isEmpty && text[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < text.count else { return nil }
        // Accumulate negatively so that Int64.min is representable.
        var value: Int64 = 0
        while i < text.count {
            let byte = text[i]
            guard JSONScanner.isDigit(byte) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(byte - 0x30))
            if o1 || o2 { return nil }
            value = next
            i += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    /// A `$numberDouble` string: `Infinity`, `-Infinity`, `NaN`, or a number in JSON syntax.
    static func double(_ text: String) -> Double? {
        switch text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        default:
            var text = text
            return text.withUTF8 { bytes -> Double? in
                guard let first = bytes.first, first == UInt8(ascii: "-") || JSONScanner.isDigit(first) else { return nil }
                var scanner = JSONScanner(bytes)
                guard let number = try? scanner.readNumber(), number.end == bytes.count else { return nil }
                return parseDouble(bytes)
            }
        }
    }

    /// The nearest double to text already known to be a JSON number. Magnitudes beyond the
    /// double range become infinities, as `strtod` makes them.
    static func parseDouble(_ text: UnsafeBufferPointer<UInt8>) -> Double {
        let string = String(decoding: text, as: UTF8.self)
        return Double(string) ?? (text.first == UInt8(ascii: "-") ? -.infinity : .infinity)
    }

    /// The subtype byte of a one- or two-digit hexadecimal string.
    static func subtypeByte(_ text: String) -> UInt8? {
        let utf8 = text.utf8
        guard (1...2).contains(utf8.count) else { return nil }
        var value: UInt8 = 0
        for byte in utf8 {
            guard let digit = hexDigitValue(byte) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    /// The 16 bytes of a UUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    static func uuidBytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var i = 0
        while i < 36 {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard utf8[i] == UInt8(ascii: "-") else { return nil }
                i += 1
                continue
            }
            guard let high = hexDigitValue(utf8[i]), let low = hexDigitValue(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}
