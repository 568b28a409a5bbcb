// A seeded generator of random BSON values and documents for property tests. Seeds are
// printed on failure so any counterexample can be replayed exactly.

@testable import BSON

struct RandomBSON {
    var rng: SeededGenerator
    /// Whether numbers are drawn from a small pool of boundary values, so that equal values
    /// of different numeric types meet often (for comparison properties).
    var boundaryNumbers = false

    init(seed: UInt64, boundaryNumbers: Bool = false) {
        rng = SeededGenerator(seed: seed)
        self.boundaryNumbers = boundaryNumbers
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

    static let keyAlphabet = Array("abcdefghijklmnopqrstuvwxyzABC_$.0123456789".unicodeScalars)
    static let stringPieces = ["", "a", "hello", "ñ", "日本", "😀", "\u{0}", "\"", "\\", "\n", "\t", "/", "é", "\u{1F}", "x y"]

    mutating func key() -> String {
        String(String.UnicodeScalarView((0..<int(1...8)).map { _ in RandomBSON.keyAlphabet[int(0...RandomBSON.keyAlphabet.count - 1)] }))
    }

    mutating func string() -> String {
        (0..<int(0...5)).map { _ in RandomBSON.stringPieces[int(0...RandomBSON.stringPieces.count - 1)] }.joined()
    }

    /// A string safe for cstrings (no NUL).
    mutating func cstring() -> String { string().replacingNULs() }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }

    mutating func number() -> BSONValue {
        if boundaryNumbers {
            let pool: [BSONValue] = [
                .int32(0), .int64(0), .double(0), .double(-0.0), .int32(1), .int64(1), .double(1), .double(-1), .int32(-1),
                .double(.nan), .double(.infinity), .double(-.infinity), .int64(.max), .int64(.min), .double(9_223_372_036_854_775_808.0),
                .int64(9_007_199_254_740_993), .double(9_007_199_254_740_992), .int32(.max), .int32(.min), .double(0.5),
                .decimal128(Decimal128(Int64(1))), .decimal128(Decimal128(Int64(0))), .decimal128(Decimal128(0.5)),
                .decimal128(Decimal128(Int64.max)), .decimal128(Decimal128(Double.nan)), .decimal128(Decimal128(-Double.infinity)),
            ]
            return pool[int(0...pool.count - 1)]
        }
        switch int(0...3) {
        case 0: return .int32(Int32.random(in: .min ... .max, using: &rng))
        case 1: return .int64(Int64.random(in: .min ... .max, using: &rng))
        case 2:
            let special: [Double] = [0, -0.0, .infinity, -.infinity, .nan, .ulpOfOne, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1e300, -1.5]
            return .double(chance(20) ? special[int(0...special.count - 1)] : Double(bitPattern: rng.next()))
        default:
            return .decimal128(Decimal128(Int64.random(in: -1_000_000_000...1_000_000_000, using: &rng)))
        }
    }

    mutating func value(depth: Int) -> BSONValue {
        let leafOnly = depth >= 4
        switch int(0...(leafOnly ? 17 : 19)) {
        case 0...3: return number()
        case 4: return .string(string())
        case 5: return .binary(BSONBinary(subtype: .init([0, 1, 2, 3, 4, 5, 0x80][int(0...6)]), bytes: bytes(int(0...20))))
        case 6: return .undefined
        case 7: return .objectId(ObjectId(uncheckedBytes: bytes(12)))
        case 8: return .bool(chance(50))
        case 9: return .datetime(BSONDateTime(millisecondsSinceEpoch: chance(70) ? Int64(int(-62_135_596_800_000...253_402_300_799_999)) : Int64.random(in: .min ... .max, using: &rng)))
        case 10: return .null
        case 11: return .regex(BSONRegex(pattern: cstring(), options: String("imsux".filter { _ in chance(40) })))
        case 12: return .dbPointer(BSONDBPointer(ref: string(), id: ObjectId(uncheckedBytes: bytes(12))))
        case 13: return .javascript(string())
        case 14: return .symbol(string())
        case 15: return .timestamp(BSONTimestamp(timestamp: UInt32.random(in: 0 ... .max, using: &rng), increment: UInt32.random(in: 0 ... .max, using: &rng)))
        case 16: return chance(50) ? .minKey : .maxKey
        case 17: return .javascriptWithScope(BSONCodeWithScope(code: string(), scope: document(depth: depth + 1, maxCount: 2)))
        case 18: return .document(document(depth: depth + 1, maxCount: 5))
        default: return .array((0..<int(0...5)).map { _ in value(depth: depth + 1) })
        }
    }

    mutating func document(depth: Int = 0, maxCount: Int = 8) -> BSONDocument {
        var document = BSONDocument()
        for _ in 0..<int(0...maxCount) { document.append(key(), value(depth: depth)) }
        return document
    }
}

extension String {
    func replacingNULs() -> String { String(unicodeScalars.filter { $0 != "\u{0}" }) }
}
