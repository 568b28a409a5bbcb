// DocumentGenerator: turns a fuzzer's bytes into a BSON document deterministically, so the
// harnesses that want documents (QueryParserFuzz, RecordFuzz) get valid BSON from almost
// any input, with keys and strings drawn from MongoDB's operator vocabulary. Owns no
// database logic; shared by the harnesses under Fuzz/.

public import BSON

/// A document for the harness: the bytes themselves when they are valid BSON, else the
/// generator's reading of them.
public func fuzzDocument(_ bytes: [UInt8]) -> BSONDocument {
    if let decoded = try? BSONDocument(bsonBytes: bytes) { return decoded }
    var generator = DocumentGenerator(bytes)
    return generator.document(depth: 0)
}

/// Reads bytes as choices: each call consumes one or a few bytes, and zeros when exhausted.
public struct DocumentGenerator {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// True once every byte has been read.
    public var isExhausted: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(byte()) % choices.count] }

    mutating func integer() -> Int64 {
        switch byte() % 8 {
        case 0: return 0
        case 1: return -1
        case 2: return Int64(Int8(bitPattern: byte()))
        case 3: return Int64(Int32.max)
        case 4: return Int64(Int32.min)
        case 5: return Int64.max
        case 6: return Int64.min
        default:
            var value: UInt64 = 0
            for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
            return Int64(bitPattern: value)
        }
    }

    /// A document of up to 4 fields (fewer when deep).
    public mutating func document(depth: Int) -> BSONDocument {
        let count = depth > 6 ? 0 : Int(byte() % 5)
        var elements: [(String, BSONValue)] = []
        for _ in 0..<count {
            if isExhausted { break }
            elements.append((pick(Self.keys), value(depth: depth + 1)))
        }
        return BSONDocument(elements)
    }

    public mutating func value(depth: Int) -> BSONValue {
        let deep = depth > 6
        switch byte() % (deep ? 14 : 20) {
        case 0: return .int32(Int32(truncatingIfNeeded: integer()))
        case 1: return .int64(integer())
        case 2: return .double(pick(Self.doubles))
        case 3, 4: return .string(pick(Self.strings))
        case 5: return .bool(byte() & 1 == 1)
        case 6: return .null
        case 7: return .datetime(BSONDateTime(millisecondsSinceEpoch: integer()))
        case 8: return .regex(BSONRegex(pattern: pick(Self.patterns), options: pick(["", "i", "m", "x", "s", "imxs", "u"])))
        case 9: return .decimal128(pick(Self.decimals))
        case 10: return .objectId(ObjectId(bytes: (0..<12).map { _ in byte() }) ?? ObjectId(bytes: [UInt8](repeating: 1, count: 12))!)
        case 11: return .timestamp(BSONTimestamp(timestamp: UInt32(byte()), increment: UInt32(byte())))
        case 12: return .binary(BSONBinary(subtype: BSONBinary.Subtype(pick([0, 4, 5, 6, 0x80])), bytes: (0..<Int(byte() % 17)).map { _ in byte() }))
        case 13: return pick([.minKey, .maxKey, .undefined, .int32(1), .int32(-1), .string("")])
        case 14, 15, 16: return .document(document(depth: depth))
        default:
            let count = Int(byte() % 5)
            var values: [BSONValue] = []
            for _ in 0..<count where !isExhausted { values.append(value(depth: depth + 1)) }
            return .array(values)
        }
    }

    static let doubles: [Double] = [0, -0.0, 1.5, -2, 3e9, 1e308, .leastNonzeroMagnitude, .infinity, -.infinity, .nan, 0.1, 9_007_199_254_740_992, -1e-300]
    static let decimals: [Decimal128] = ["0", "-0", "1.5", "1E+6144", "-1E-6176", "NaN", "Infinity", "-Infinity", "12345678901234567890"]
        .compactMap { Decimal128($0) }
    static let patterns = ["a", "^a", "a.*b$", "(a|b)+", "[", "\\d{2,}", "(?i)x", "", "\\", "a{1000000}", "(a*)*b"]
    static let strings = [
        "a", "b", "", "$a", "$b.c", "$a.0", "$$ROOT", "$$CURRENT", "$$NOW", "$$this", "$$value", "$$REMOVE",
        "$$x", "$", "$$", "a.b", "a.$", "a.$[]", "a.$[x]", "x", "i", "%Y-%m-%d", "UTC", "+01:00",
        "Europe/Paris", "day", "week", "number", "string", "int", "double", "object", "array", "_id",
        "é", "\u{0}", "1", "-1", "text", "2020-01-01T00:00:00Z", "hex", "base64", "auto", "linear",
    ]
    static let keys = [
        "a", "b", "c", "_id", "a.b", "a.0", "b.c.d", "x", "$", "", "a.$", "a.$[]", "a.$[e]", "e",
        // query operators
        "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$and", "$or", "$nor", "$not",
        "$exists", "$type", "$regex", "$options", "$elemMatch", "$size", "$all", "$mod", "$expr",
        "$bitsAllSet", "$bitsAnyClear", "$bitsAllClear", "$bitsAnySet", "$jsonSchema", "$comment",
        "$where", "$text", "$search", "$near", "$geoWithin", "$sampleRate", "$alwaysTrue",
        // update operators
        "$set", "$unset", "$inc", "$mul", "$min", "$max", "$rename", "$push", "$pull", "$addToSet",
        "$pop", "$each", "$slice", "$sort", "$position", "$currentDate", "$setOnInsert", "$pullAll", "$bit",
        "and", "or", "xor",
        // expressions
        "$add", "$subtract", "$multiply", "$divide", "$concat", "$substr", "$substrCP", "$cond", "$ifNull",
        "$let", "$map", "$filter", "$reduce", "$switch", "$range", "$arrayElemAt", "$split", "$round",
        "$trunc", "$pow", "$sqrt", "$exp", "$ln", "$log", "$literal", "$toInt", "$toString", "$convert",
        "$dateToString", "$dateAdd", "$dateDiff", "$dateFromParts", "$dateFromString", "$objectToArray",
        "$arrayToObject", "$zip", "$indexOfArray", "$strLenCP", "$regexMatch", "$regexFind", "$getField",
        "$setField", "$sortArray", "$reverseArray", "$concatArrays", "$in", "$first", "$last", "$sum",
        "$avg", "$stdDevPop", "$mergeObjects", "$toLower", "$trim", "$replaceAll", "$abs", "$floor",
        "input", "as", "in", "cond", "then", "else", "vars", "initialValue", "if", "branches", "default",
        "case", "to", "onError", "onNull", "format", "timezone", "date", "unit", "amount", "startDate",
        "endDate", "field", "value", "find", "replacement", "regex", "options", "sortBy", "n",
        // stages
        "$match", "$project", "$addFields", "$group", "$unwind", "$sortByCount", "$bucket",
        "$bucketAuto", "$facet", "$lookup", "$limit", "$skip", "$count", "$replaceRoot", "$replaceWith",
        "$sample", "$unionWith", "$graphLookup", "$setWindowFields", "$densify", "$fill", "$redact",
        "$documents", "$out", "$merge", "$collStats", "$indexStats", "path", "groupBy", "boundaries",
        "buckets", "output", "from", "localField", "foreignField", "pipeline", "newRoot", "size",
        "partitionBy", "window", "documents", "range", "bounds", "step", "preserveNullAndEmptyArrays",
        "includeArrayIndex", "connectFromField", "connectToField", "startWith", "maxDepth",
    ]
}
