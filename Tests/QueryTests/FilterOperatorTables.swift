// Filter case tables, part two: one table per operator family ($in/$nin, $all, $elemMatch,
// $exists/$type, $mod, $regex, logical operators, $size, bitwise, $expr) plus positional-index
// cases. Expected ids follow MongoDB's documented query semantics.

import BSON

extension FilterTables {
    static let inList = FilterTable(
        "$in/$nin",
        documents: [
            #"{_id: 1, a: 1}"#,
            #"{_id: 2, a: [1, 2]}"#,
            #"{_id: 3, a: "x"}"#,
            #"{_id: 4, a: null}"#,
            #"{_id: 5}"#,
            #"{_id: 6, a: [3, "xyz"]}"#,
            #"{_id: 7, a: {$numberLong: "2"}}"#,
            #"{_id: 8, a: [[1]]}"#,
            #"{_id: 9, a: {$symbol: "xa"}}"#,
        ],
        cases: [
            FilterCase(#"{a: {$in: [1, 2]}}"#, [1, 2, 7]),
            FilterCase(#"{a: {$in: []}}"#, []),
            FilterCase(#"{a: {$in: [null]}}"#, [4, 5]),
            FilterCase(#"{a: {$in: [null, 1]}}"#, [1, 2, 4, 5]),
            FilterCase(#"{a: {$in: [/^x/]}}"#, [3, 6, 9]),
            FilterCase(#"{a: {$in: [/^x/, 1]}}"#, [1, 2, 3, 6, 9]),
            FilterCase(#"{a: {$in: [[1]]}}"#, [8]),
            FilterCase(#"{a: {$in: [[1, 2]]}}"#, [2]),
            FilterCase(#"{a: {$in: [2.0]}}"#, [2, 7], positions: [2: 1, 7: nil]),
            FilterCase(#"{a: {$in: [{$numberDecimal: "3"}]}}"#, [6]),
            FilterCase(#"{a: {$in: ["x", "xyz"]}}"#, [3, 6]),
            FilterCase(#"{a: {$in: [{$symbol: "xa"}]}}"#, [9]),
            FilterCase(#"{a: {$in: ["xa"]}}"#, [9]),
            FilterCase(#"{a: {$in: [3, 1, 3, 1.0]}}"#, [1, 2, 6]),
            FilterCase(#"{a: {$nin: [1, 2]}}"#, [3, 4, 5, 6, 8, 9]),
            FilterCase(#"{a: {$nin: [null]}}"#, [1, 2, 3, 6, 7, 8, 9]),
            FilterCase(#"{a: {$nin: []}}"#, Array(1...9)),
            FilterCase(#"{a: {$nin: [/^x/]}}"#, [1, 2, 4, 5, 7, 8]),
        ]
    )

    static let all = FilterTable(
        "$all",
        documents: [
            #"{_id: 1, a: [1, 2, 3]}"#,
            #"{_id: 2, a: [1, 2]}"#,
            #"{_id: 3, a: 1}"#,
            #"{_id: 4, a: [[1, 2], 3]}"#,
            #"{_id: 5, a: [{b: 1}, {b: 2}]}"#,
            #"{_id: 6, a: ["apple", "banana"]}"#,
            #"{_id: 7}"#,
            #"{_id: 8, a: []}"#,
            #"{_id: 9, a: [{b: 1, c: 2}, {b: 2, c: 1}]}"#,
        ],
        cases: [
            FilterCase(#"{a: {$all: [1, 2]}}"#, [1, 2]),
            FilterCase(#"{a: {$all: [1]}}"#, [1, 2, 3]),
            FilterCase(#"{a: {$all: [3]}}"#, [1, 4]),
            FilterCase(#"{a: {$all: []}}"#, []),
            FilterCase(#"{a: {$all: [[1, 2]]}}"#, [2, 4]),
            FilterCase(#"{a: {$all: [[1, 2], 3]}}"#, [4]),
            FilterCase(#"{a: {$all: [/^a/, /^b/]}}"#, [6]),
            FilterCase(#"{a: {$all: [{$elemMatch: {b: 1}}, {$elemMatch: {b: 2}}]}}"#, [5, 9]),
            FilterCase(#"{a: {$all: [{$elemMatch: {b: 1, c: 2}}]}}"#, [9]),
            FilterCase(#"{a: {$all: [{$elemMatch: {b: 2, c: 2}}]}}"#, []),
            FilterCase(#"{"a.b": {$all: [1, 2]}}"#, [5, 9]),
            FilterCase(#"{a: {$all: [1, 4]}}"#, []),
            FilterCase(#"{a: {$all: [{b: 1}]}}"#, [5]),
            FilterCase(#"{a: {$all: [null]}}"#, [7]),
        ]
    )

    static let elemMatch = FilterTable(
        "$elemMatch",
        documents: [
            #"{_id: 1, a: [1, 5, 10]}"#,
            #"{_id: 2, a: [{b: 1, c: 2}, {b: 2, c: 1}]}"#,
            #"{_id: 3, a: [[1, 2], [3, 4]]}"#,
            #"{_id: 4, a: 5}"#,
            #"{_id: 5, a: [{b: [1, 2]}]}"#,
            #"{_id: 6, a: []}"#,
            #"{_id: 7, a: [{b: 1}, 3]}"#,
            #"{_id: 8, a: [null, 2]}"#,
        ],
        cases: [
            FilterCase(#"{a: {$elemMatch: {$gt: 4, $lt: 6}}}"#, [1], positions: [1: 1]),
            FilterCase(#"{a: {$gt: 4, $lt: 6}}"#, [1, 4]),
            FilterCase(#"{a: {$elemMatch: {$gt: 6, $lt: 4}}}"#, []),
            FilterCase(#"{a: {$gt: 6, $lt: 4}}"#, [1]),
            FilterCase(#"{a: {$elemMatch: {b: 1, c: 2}}}"#, [2]),
            FilterCase(#"{a: {$elemMatch: {b: 2, c: 2}}}"#, []),
            FilterCase(#"{"a.b": 2, "a.c": 2}"#, [2]),
            FilterCase(#"{a: {$elemMatch: {$elemMatch: {$gt: 3}}}}"#, [3], positions: [3: 1]),
            FilterCase(#"{a: {$elemMatch: {$gt: 3}}}"#, [1]),
            FilterCase(#"{a: {$elemMatch: {b: {$gte: 2}}}}"#, [2, 5], positions: [2: 1, 5: 0]),
            FilterCase(#"{a: {$elemMatch: {}}}"#, [2, 3, 5, 7]),
            FilterCase(#"{a: {$elemMatch: {"0": 3}}}"#, [3]),
            FilterCase(#"{a: {$elemMatch: {$eq: null}}}"#, [8]),
            FilterCase(#"{a: {$elemMatch: {$ne: null}}}"#, [1, 2, 3, 5, 7, 8]),
            FilterCase(#"{a: {$elemMatch: {$size: 2}}}"#, [3]),
            FilterCase(#"{a: {$elemMatch: {$not: {$gt: 1}}}}"#, [1, 2, 3, 5, 7, 8]),
            FilterCase(#"{a: {$elemMatch: {$in: [3, 4]}}}"#, [7]),
            FilterCase(#"{a: {$elemMatch: {b: 1}, $size: 2}}"#, [2, 7]),
            FilterCase(#"{a: {$elemMatch: {$or: [{b: 2}, {c: 2}]}}}"#, [2, 5]),
            FilterCase(#"{a: {$elemMatch: {$type: "array"}}}"#, [3]),
            FilterCase(#"{a: {$elemMatch: {$exists: true}}}"#, [1, 2, 3, 5, 7, 8]),
            FilterCase(#"{a: {$elemMatch: {$exists: false}}}"#, []),
        ]
    )

    static let types = FilterTable(
        "$type",
        documents: [
            #"{_id: 1, a: 1}"#,
            #"{_id: 2, a: 1.5}"#,
            #"{_id: 3, a: {$numberLong: "1"}}"#,
            #"{_id: 4, a: {$numberDecimal: "1"}}"#,
            #"{_id: 5, a: "s"}"#,
            #"{_id: 6, a: {b: 1}}"#,
            #"{_id: 7, a: [1, "s"]}"#,
            #"{_id: 8, a: []}"#,
            #"{_id: 9, a: null}"#,
            #"{_id: 10}"#,
            #"{_id: 11, a: true}"#,
            #"{_id: 12, a: {$date: {$numberLong: "0"}}}"#,
            #"{_id: 13, a: {$oid: "507f1f77bcf86cd799439011"}}"#,
            #"{_id: 14, a: /x/}"#,
            #"{_id: 15, a: {$binary: {base64: "AQ==", subType: "00"}}}"#,
            #"{_id: 16, a: {$timestamp: {t: 1, i: 1}}}"#,
            #"{_id: 17, a: {$minKey: 1}}"#,
            #"{_id: 18, a: {$maxKey: 1}}"#,
            #"{_id: 19, a: [[1]]}"#,
        ],
        cases: [
            FilterCase(#"{a: {$type: "double"}}"#, [2]),
            FilterCase(#"{a: {$type: 1}}"#, [2]),
            FilterCase(#"{a: {$type: "int"}}"#, [1, 7]),
            FilterCase(#"{a: {$type: 16}}"#, [1, 7]),
            FilterCase(#"{a: {$type: "long"}}"#, [3]),
            FilterCase(#"{a: {$type: "decimal"}}"#, [4]),
            FilterCase(#"{a: {$type: "number"}}"#, [1, 2, 3, 4, 7]),
            FilterCase(#"{a: {$type: "string"}}"#, [5, 7]),
            FilterCase(#"{a: {$type: 2}}"#, [5, 7]),
            FilterCase(#"{a: {$type: "object"}}"#, [6]),
            FilterCase(#"{a: {$type: "array"}}"#, [7, 8, 19]),
            FilterCase(#"{a: {$type: 4}}"#, [7, 8, 19]),
            FilterCase(#"{a: {$type: "null"}}"#, [9]),
            FilterCase(#"{a: {$type: "bool"}}"#, [11]),
            FilterCase(#"{a: {$type: "date"}}"#, [12]),
            FilterCase(#"{a: {$type: "objectId"}}"#, [13]),
            FilterCase(#"{a: {$type: "regex"}}"#, [14]),
            FilterCase(#"{a: {$type: "binData"}}"#, [15]),
            FilterCase(#"{a: {$type: "timestamp"}}"#, [16]),
            FilterCase(#"{a: {$type: "minKey"}}"#, [17]),
            FilterCase(#"{a: {$type: -1}}"#, [17]),
            FilterCase(#"{a: {$type: "maxKey"}}"#, [18]),
            FilterCase(#"{a: {$type: 127}}"#, [18]),
            FilterCase(#"{a: {$type: ["string", "bool"]}}"#, [5, 7, 11]),
            FilterCase(#"{a: {$type: [2.0]}}"#, [5, 7]),
            FilterCase(#"{a: {$type: {$numberLong: "2"}}}"#, [5, 7]),
            FilterCase(#"{a: {$exists: true, $type: "number"}}"#, [1, 2, 3, 4, 7]),
            FilterCase(#"{a: {$not: {$type: "number"}}}"#, [5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]),
            FilterCase(#"{"a.b": {$type: "int"}}"#, [6]),
        ]
    )

    static let mod = FilterTable(
        "$mod",
        documents: [
            #"{_id: 1, a: 4}"#,
            #"{_id: 2, a: 5}"#,
            #"{_id: 3, a: 5.9}"#,
            #"{_id: 4, a: -5}"#,
            #"{_id: 5, a: -5.9}"#,
            #"{_id: 6, a: {$numberLong: "9"}}"#,
            #"{_id: 7, a: {$numberDecimal: "13.7"}}"#,
            #"{_id: 8, a: "5"}"#,
            #"{_id: 9, a: [3, 8]}"#,
            #"{_id: 10, a: {$numberDouble: "NaN"}}"#,
            #"{_id: 11, a: {$numberDouble: "Infinity"}}"#,
            #"{_id: 12, a: 1.0e20}"#,
            #"{_id: 13, a: {$numberLong: "-9223372036854775808"}}"#,
        ],
        cases: [
            FilterCase(#"{a: {$mod: [4, 0]}}"#, [1, 9, 13]),
            FilterCase(#"{a: {$mod: [4, 1]}}"#, [2, 3, 6, 7]),
            FilterCase(#"{a: {$mod: [4, -1]}}"#, [4, 5]),
            FilterCase(#"{a: {$mod: [-4, 1]}}"#, [2, 3, 6, 7]),
            FilterCase(#"{a: {$mod: [4.5, 1]}}"#, [2, 3, 6, 7]),
            FilterCase(#"{a: {$mod: [3, 0]}}"#, [6, 9]),
            FilterCase(#"{a: {$mod: [-1, 0]}}"#, [1, 2, 3, 4, 5, 6, 7, 9, 13]),
            FilterCase(#"{a: {$mod: [4, 1.9]}}"#, [2, 3, 6, 7]),
            FilterCase(#"{a: {$mod: [{$numberLong: "4"}, {$numberLong: "0"}]}}"#, [1, 9, 13]),
            FilterCase(#"{a: {$mod: [{$numberDecimal: "4"}, 0]}}"#, [1, 9, 13]),
            FilterCase(#"{a: {$not: {$mod: [2, 0]}}}"#, [2, 3, 4, 5, 6, 7, 8, 10, 11, 12]),
        ]
    )

    static let regex = FilterTable(
        "$regex",
        documents: [
            #"{_id: 1, a: "apple"}"#,
            #"{_id: 2, a: "Apple"}"#,
            #"{_id: 3, a: "banana\napple"}"#,
            #"{_id: 4, a: ["cherry", "apricot"]}"#,
            #"{_id: 5, a: {$symbol: "avocado"}}"#,
            #"{_id: 6, a: /^a/}"#,
            #"{_id: 7, a: /^a/i}"#,
            #"{_id: 8, a: 1}"#,
            #"{_id: 9}"#,
            #"{_id: 10, a: "a.c"}"#,
            #"{_id: 11, a: "line1\nline2"}"#,
            #"{_id: 12, a: "café"}"#,
        ],
        cases: [
            FilterCase(#"{a: /^a/}"#, [1, 4, 5, 6, 10], positions: [4: 1]),
            FilterCase(#"{a: /^a/i}"#, [1, 2, 4, 5, 7, 10]),
            FilterCase(#"{a: /^apple$/m}"#, [1, 3]),
            FilterCase(#"{a: /^apple$/}"#, [1]),
            FilterCase(#"{a: /apple$/}"#, [1, 3]),
            FilterCase(#"{a: /a.c/}"#, [10]),
            FilterCase(#"{a: /a\.c/}"#, [10]),
            FilterCase(#"{a: /line1.line2/}"#, []),
            FilterCase(#"{a: /line1.line2/s}"#, [11]),
            FilterCase(#"{a: {$regex: "^b"}}"#, [3]),
            FilterCase(#"{a: {$regex: "APPLE", $options: "i", $exists: true}}"#, [1, 2, 3]),
            FilterCase(#"{a: {$not: /^a/}}"#, [2, 3, 7, 8, 9, 11, 12]),
            FilterCase(#"{a: {$in: [/^ch/, "Apple"]}}"#, [2, 4]),
            FilterCase(#"{a: /é/}"#, [12]),
            FilterCase(#"{a: {$regex: "ap p le # a comment", $options: "x", $exists: true}}"#, [1, 3]),
            FilterCase(#"{a: {$regex: /^A/, $exists: true}}"#, [2]),
            FilterCase(#"{a: {$eq: /^a/}}"#, [6]),
            FilterCase(#"{a: {$all: [/^a/]}}"#, [1, 4, 5, 6, 10]),
            FilterCase(#"{a: {$nin: [/p/]}}"#, [5, 6, 7, 8, 9, 10, 11, 12]),
            FilterCase(#"{a: {$not: {$regex: "p", $exists: true}}}"#, [5, 6, 7, 8, 9, 10, 11, 12]),
        ]
    )

    /// PCRE as MongoDB compiles it (UTF, no UCP): ASCII character classes, Unicode case
    /// folding, `.` matching one code point.
    static let regexClasses = FilterTable(
        "$regex classes",
        documents: [
            #"{_id: 1, a: "123"}"#,
            #"{_id: 2, a: "\u0661\u0662\u0663"}"#,
            #"{_id: 3, a: "\u00e9"}"#,
            #"{_id: 4, a: "a b"}"#,
            #"{_id: 5, a: "a\u00a0b"}"#,
            #"{_id: 6, a: "e\u0301"}"#,
        ],
        cases: [
            FilterCase(#"{a: /^\d+$/}"#, [1]),
            FilterCase(#"{a: /^\w$/}"#, []),
            FilterCase(#"{a: /^\w+$/}"#, [1]),
            FilterCase(#"{a: /a\sb/}"#, [4]),
            FilterCase(#"{a: /^É$/i}"#, [3]),
            FilterCase(#"{a: /^.$/}"#, [3]),
            FilterCase(#"{a: /^..$/}"#, [6]),
            FilterCase(#"{a: /\bb/}"#, [4, 5]),
        ]
    )

    /// DBRef-shaped documents are values, not operator documents.
    static let dbRef = FilterTable(
        "DBRef",
        documents: [
            #"{_id: 1, a: {$ref: "c", $id: 1}}"#,
            #"{_id: 2, a: [{$ref: "c", $id: 2}, {$ref: "d", $id: 2}]}"#,
            #"{_id: 3, a: {$ref: "c", $id: 1, $db: "x"}}"#,
        ],
        cases: [
            FilterCase(#"{a: {$ref: "c", $id: 1}}"#, [1]),
            FilterCase(#"{"a.$id": 2}"#, [2]),
            FilterCase(#"{a: {$elemMatch: {$ref: "d", $id: 2}}}"#, [2]),
            FilterCase(#"{a: {$in: [{$ref: "c", $id: 1, $db: "x"}]}}"#, [3]),
            FilterCase(#"{"a.$ref": "c"}"#, [1, 2, 3]),
        ]
    )

    static let logical = FilterTable(
        "logical",
        documents: [
            #"{_id: 1, a: 1, b: 1}"#,
            #"{_id: 2, a: 1, b: 2}"#,
            #"{_id: 3, a: 2, b: 1}"#,
            #"{_id: 4, a: 2, b: 2}"#,
            #"{_id: 5, a: 3}"#,
            #"{_id: 6}"#,
        ],
        cases: [
            FilterCase(#"{$and: [{a: 1}, {b: 2}]}"#, [2]),
            FilterCase(#"{$or: [{a: 1}, {b: 2}]}"#, [1, 2, 4]),
            FilterCase(#"{$nor: [{a: 1}, {b: 2}]}"#, [3, 5, 6]),
            FilterCase(#"{$or: [{a: {$gt: 2}}, {b: {$exists: false}}]}"#, [5, 6]),
            FilterCase(#"{$and: [{$or: [{a: 1}, {a: 2}]}, {$or: [{b: 1}, {b: 3}]}]}"#, [1, 3]),
            FilterCase(#"{a: 1, $or: [{b: 1}, {b: 3}]}"#, [1]),
            FilterCase(#"{$alwaysTrue: 1}"#, Array(1...6)),
            FilterCase(#"{$alwaysFalse: 1}"#, []),
            FilterCase(#"{}"#, Array(1...6)),
            FilterCase(#"{$comment: "hi"}"#, Array(1...6)),
            FilterCase(#"{a: 1, $comment: "x"}"#, [1, 2]),
            FilterCase(#"{$nor: [{a: {$exists: true}}]}"#, [6]),
            FilterCase(#"{a: {$not: {$gt: 1}}}"#, [1, 2, 6]),
            FilterCase(#"{a: {$not: {$gt: 1, $lt: 3}}}"#, [1, 2, 5, 6]),
            FilterCase(#"{$or: [{a: 1}]}"#, [1, 2]),
            FilterCase(#"{$and: [{a: 2}, {a: {$ne: 2}}]}"#, []),
            FilterCase(#"{a: {$ne: 2}, b: {$ne: 2}}"#, [1, 5, 6]),
            FilterCase(#"{$or: [{$and: [{a: 1}, {b: 1}]}, {$nor: [{a: {$lt: 3}}]}]}"#, [1, 5, 6]),
            FilterCase(#"{$alwaysTrue: 1.0}"#, Array(1...6)),
            FilterCase(#"{$alwaysFalse: {$numberLong: "1"}}"#, []),
            FilterCase(#"{a: 1, a: 2}"#, []),
        ]
    )

    static let size = FilterTable(
        "$size",
        documents: [
            #"{_id: 1, a: []}"#,
            #"{_id: 2, a: [1]}"#,
            #"{_id: 3, a: [1, [2, 3]]}"#,
            #"{_id: 4, a: 1}"#,
            #"{_id: 5}"#,
            #"{_id: 6, a: [[]]}"#,
        ],
        cases: [
            FilterCase(#"{a: {$size: 0}}"#, [1]),
            FilterCase(#"{a: {$size: 1}}"#, [2, 6]),
            FilterCase(#"{a: {$size: 2}}"#, [3]),
            FilterCase(#"{a: {$size: 2.0}}"#, [3]),
            FilterCase(#"{a: {$size: {$numberLong: "1"}}}"#, [2, 6]),
            FilterCase(#"{a: {$size: {$numberDecimal: "1"}}}"#, [2, 6]),
            FilterCase(#"{a: {$not: {$size: 0}}}"#, [2, 3, 4, 5, 6]),
            FilterCase(#"{"a.1": {$size: 2}}"#, [3]),
        ]
    )

    /// 54 is 0b110110 (bits 1, 2, 4, 5); 20 is 0b10100 (bits 2, 4); "NgA=" is bytes 0x36 0x00.
    static let bits = FilterTable(
        "bitwise",
        documents: [
            #"{_id: 1, a: 54}"#,
            #"{_id: 2, a: 20}"#,
            #"{_id: 3, a: 20.0}"#,
            #"{_id: 4, a: 20.5}"#,
            #"{_id: 5, a: -1}"#,
            #"{_id: 6, a: {$binary: {base64: "NgA=", subType: "00"}}}"#,
            #"{_id: 7, a: "20"}"#,
            #"{_id: 8, a: {$numberLong: "1099511627776"}}"#,
            #"{_id: 9, a: [2, 20]}"#,
            #"{_id: 10, a: 0}"#,
        ],
        cases: [
            FilterCase(#"{a: {$bitsAllSet: [2, 4]}}"#, [1, 2, 3, 5, 6, 9]),
            FilterCase(#"{a: {$bitsAllSet: 20}}"#, [1, 2, 3, 5, 6, 9]),
            FilterCase(#"{a: {$bitsAllSet: [1, 5]}}"#, [1, 5, 6]),
            FilterCase(#"{a: {$bitsAnySet: [0, 3]}}"#, [5]),
            FilterCase(#"{a: {$bitsAllClear: [0, 3]}}"#, [1, 2, 3, 6, 8, 9, 10]),
            FilterCase(#"{a: {$bitsAnyClear: [1, 2]}}"#, [2, 3, 8, 9, 10]),
            FilterCase(#"{a: {$bitsAllSet: [40]}}"#, [5, 8]),
            FilterCase(#"{a: {$bitsAllSet: [100]}}"#, [5]),
            FilterCase(#"{a: {$bitsAllClear: [100]}}"#, [1, 2, 3, 6, 8, 9, 10]),
            FilterCase(#"{a: {$bitsAnySet: {$binary: {base64: "AQ==", subType: "00"}}}}"#, [5]),
            FilterCase(#"{a: {$bitsAllSet: {$binary: {base64: "FA==", subType: "00"}}}}"#, [1, 2, 3, 5, 6, 9]),
            FilterCase(#"{a: {$bitsAllSet: 0}}"#, [1, 2, 3, 5, 6, 8, 9, 10]),
            FilterCase(#"{a: {$bitsAnySet: []}}"#, []),
            FilterCase(#"{a: {$bitsAllSet: []}}"#, [1, 2, 3, 5, 6, 8, 9, 10]),
        ]
    )

    /// `$expr` over mixed types: aggregation comparison orders across types and treats
    /// missing as below null.
    static let exprComparison = FilterTable(
        "$expr comparison",
        documents: [
            #"{_id: 1, a: 1, b: 2}"#,
            #"{_id: 2, a: 5, b: 2}"#,
            #"{_id: 3, a: 2, b: 2.0}"#,
            #"{_id: 4, a: "x", b: 1}"#,
            #"{_id: 5, b: 1}"#,
            #"{_id: 6, a: [1, 2], b: 3}"#,
            #"{_id: 7, a: null, b: 0}"#,
            #"{_id: 8, a: {$numberDecimal: "2.5"}, b: 2}"#,
        ],
        cases: [
            FilterCase(#"{$expr: {$gt: ["$a", "$b"]}}"#, [2, 4, 6, 8]),
            FilterCase(#"{$expr: {$eq: ["$a", "$b"]}}"#, [3]),
            FilterCase(#"{$expr: {$lt: ["$a", 2]}}"#, [1, 5, 7]),
            FilterCase(#"{$expr: {$eq: ["$a", null]}}"#, [7]),
            FilterCase(#"{$expr: {$eq: [{$type: "$a"}, "missing"]}}"#, [5]),
            FilterCase(#"{$expr: {$eq: [{$type: "$a"}, "array"]}}"#, [6]),
            FilterCase(#"{$expr: {$ne: ["$a", "$b"]}}"#, [1, 2, 4, 5, 6, 7, 8]),
            FilterCase(#"{$expr: {$lte: ["$a", "$b"]}}"#, [1, 3, 5, 7]),
            FilterCase(#"{$expr: {$eq: ["$a", [1, 2]]}}"#, [6]),
            FilterCase(#"{$expr: {$gt: ["$a", []]}}"#, [6]),
            FilterCase(#"{a: {$exists: true}, $expr: {$lt: ["$a", "$b"]}}"#, [1, 7]),
        ]
    )

    /// `$expr` with arithmetic, conditionals and variables over numeric documents.
    static let exprArithmetic = FilterTable(
        "$expr arithmetic",
        documents: [
            #"{_id: 1, a: 1, b: 2}"#,
            #"{_id: 2, a: 5, b: 2}"#,
            #"{_id: 3, a: 2, b: 2.0}"#,
            #"{_id: 4, a: {$numberLong: "3"}, b: 4}"#,
            #"{_id: 5, b: 1}"#,
            #"{_id: 6, a: null, b: 0}"#,
            #"{_id: 7, a: {$numberDecimal: "2.5"}, b: 2}"#,
            #"{_id: 8, a: -3, b: 2}"#,
        ],
        cases: [
            FilterCase(#"{$expr: {$eq: [{$add: ["$a", "$b"]}, 7]}}"#, [2, 4]),
            FilterCase(#"{$expr: {$gt: [{$multiply: ["$a", "$b"]}, 5]}}"#, [2, 4]),
            FilterCase(#"{$expr: {$eq: [{$subtract: ["$a", "$b"]}, 3]}}"#, [2]),
            FilterCase(#"{$expr: {$eq: [{$divide: ["$a", "$b"]}, 2.5]}}"#, [2]),
            FilterCase(#"{$expr: {$eq: [{$mod: ["$a", "$b"]}, 1]}}"#, [1, 2]),
            FilterCase(#"{$expr: {$eq: [{$abs: "$a"}, 3]}}"#, [4, 8]),
            FilterCase(#"{$expr: {$eq: [{$ceil: "$a"}, 3]}}"#, [4, 7]),
            FilterCase(#"{$expr: {$eq: [{$floor: "$a"}, 2]}}"#, [3, 7]),
            FilterCase(#"{$expr: {$eq: [{$trunc: "$a"}, 2]}}"#, [3, 7]),
            FilterCase(#"{$expr: {$cond: [{$gte: ["$a", 2]}, true, false]}}"#, [2, 3, 4, 7]),
            FilterCase(#"{$expr: {$cond: {if: {$eq: ["$b", 2]}, then: {$gt: ["$a", 1]}, else: false}}}"#, [2, 3, 7]),
            FilterCase(#"{$expr: {$eq: [{$ifNull: ["$a", 0]}, 0]}}"#, [5, 6]),
            FilterCase(#"{$expr: {$and: [{$gt: ["$a", 0]}, {$lt: ["$a", 3]}]}}"#, [1, 3, 7]),
            FilterCase(#"{$expr: {$or: [{$eq: ["$a", 1]}, {$eq: ["$b", 4]}]}}"#, [1, 4]),
            FilterCase(#"{$expr: {$not: {$gt: ["$a", 1]}}}"#, [1, 5, 6, 8]),
            FilterCase(#"{$expr: {$eq: [{$cmp: ["$a", "$b"]}, -1]}}"#, [1, 4, 5, 6, 8]),
            FilterCase(#"{$expr: {$in: ["$a", [1, 2]]}}"#, [1, 3]),
            FilterCase(#"{$expr: "$a"}"#, [1, 2, 3, 4, 7, 8]),
            FilterCase(#"{$expr: {$literal: "$a"}}"#, Array(1...8)),
            FilterCase(#"{$expr: {$eq: ["$$ROOT.b", 2]}}"#, [1, 2, 3, 7, 8]),
            FilterCase(#"{$expr: {$eq: ["$$CURRENT.a", 5]}}"#, [2]),
            FilterCase(#"{$expr: {$gt: [{$add: ["$a", 1.5]}, 4]}}"#, [2, 4]),
            FilterCase(#"{$expr: {$eq: [{$add: []}, 0]}}"#, Array(1...8)),
        ]
    )

    /// The positional index MongoDB records for `$`: the index in the first array the
    /// matching path traversed; negations and `$or` record none; the last AND clause wins.
    static let positional = FilterTable(
        "positional",
        documents: [
            #"{_id: 1, a: [5, 8, 12]}"#,
            #"{_id: 2, a: [{b: 1}, {b: 8}]}"#,
            #"{_id: 3, a: [{b: [1, 8]}, {b: [8]}]}"#,
            #"{_id: 4, a: 8}"#,
            #"{_id: 5, a: [[8], 8]}"#,
            #"{_id: 6, a: [1, 2, 3], c: [7, 8]}"#,
        ],
        cases: [
            FilterCase(#"{a: 8}"#, [1, 4, 5], positions: [1: 1, 4: nil, 5: 1]),
            FilterCase(#"{a: {$gt: 6}}"#, [1, 4, 5], positions: [1: 1, 4: nil, 5: 1]),
            FilterCase(#"{"a.b": 8}"#, [2, 3], positions: [2: 1, 3: 0]),
            FilterCase(#"{a: {$elemMatch: {b: 8}}}"#, [2, 3], positions: [2: 1, 3: 0]),
            FilterCase(#"{a: [8]}"#, [5], positions: [5: 0]),
            FilterCase(#"{a: {$all: [5, 12]}}"#, [1], positions: [1: 2]),
            FilterCase(#"{a: {$ne: 5}}"#, [2, 3, 4, 5, 6], positions: [2: nil, 6: nil]),
            FilterCase(#"{a: 3, c: 8}"#, [6], positions: [6: 1]),
            FilterCase(#"{$or: [{a: 2}]}"#, [6], positions: [6: nil]),
            FilterCase(#"{"a.0": 5}"#, [1], positions: [1: nil]),
            FilterCase(#"{a: {$size: 3}}"#, [1, 6], positions: [1: nil, 6: nil]),
            FilterCase(#"{a: {$in: [12, 100]}}"#, [1], positions: [1: 2]),
        ]
    )

    /// Every table.
    static let allTables: [FilterTable] = [
        equality, comparison, paths, nullSemantics, inList, all, elemMatch, types, mod, regex,
        regexClasses, dbRef, logical, size, bits, exprComparison, exprArithmetic, positional,
    ]
}
