// Coding keys the BSON coders make at run time (array indexes, `super`, Extended JSON
// wrappers) and `KeyPositions`, the key → position lookup both coders share.
// Keys are compared by UTF-8 bytes, as BSON compares them, never by canonical equivalence.

/// A coding key built at run time: an array index, `super`, or a document key.
/// An index key formats its string only when asked (error paths), not per element.
struct BSONCodingKey: CodingKey, ExpressibleByStringLiteral {
    private let name: String?
    let intValue: Int?

    var stringValue: String { name ?? intValue.map { String($0) } ?? "" }

    init(stringValue: String) {
        self.name = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.name = nil
        self.intValue = intValue
    }

    init(stringLiteral value: String) { self.init(stringValue: value) }

    /// The key `superEncoder()` and `superDecoder()` use.
    static let superKey: BSONCodingKey = "super"
}

/// A `String` hashed as usual but equal only to strings with the same UTF-8 bytes.
/// Byte equality implies `String` equality, so the inherited hash stays consistent.
struct UTF8Key: Hashable {
    let string: String

    static func == (lhs: UTF8Key, rhs: UTF8Key) -> Bool { lhs.string.utf8BytesEqual(rhs.string) }

    func hash(into hasher: inout Hasher) { hasher.combine(string) }
}

/// The first position of each key in an ordered list of keys. Small lists are scanned
/// (cheaper than hashing); past `linearLimit` keys a hash map is built once and kept.
struct KeyPositions {
    /// The number of keys up to which a linear scan is used.
    static let linearLimit = 16

    private var map: [UTF8Key: Int]?

    /// Positions for `keys`, building the map only when there are more than `linearLimit`.
    init<Keys: Collection<String>>(keys: Keys) {
        guard keys.count > Self.linearLimit else { return }
        var map = [UTF8Key: Int](minimumCapacity: keys.count)
        for (position, key) in keys.enumerated() where map[UTF8Key(string: key)] == nil {
            map[UTF8Key(string: key)] = position
        }
        self.map = map
    }

    /// An empty lookup for a list that grows through `recordAppend(_:count:keys:)`.
    init() {}

    /// The first position of `key`, scanning `keys` when no map has been built.
    func position<Keys: RandomAccessCollection<String>>(of key: String, in keys: Keys) -> Int?
    where Keys.Index == Int {
        if let map { return map[UTF8Key(string: key)] }
        // `==` rejects almost every other key on length or bytes without normalising;
        // byte equality implies `==`, so only its rare canonical-equivalence matches need
        // the byte comparison.
        for position in keys.indices where keys[position] == key && keys[position].utf8BytesEqual(key) {
            return position
        }
        return nil
    }

    /// Notes that `key` was appended to `keys` (which now holds it last), building the
    /// map when the list first grows past `linearLimit`.
    mutating func recordAppend<Keys: Collection<String>>(of key: String, to keys: Keys) {
        if map != nil {
            map?[UTF8Key(string: key)] = keys.count - 1
        } else if keys.count > Self.linearLimit {
            self = KeyPositions(keys: keys)
        }
    }
}
