// The ordered BSON document: keys in insertion order, duplicates and keys with dots or
// dollars allowed (validation of field names belongs to the layers that give them meaning).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ordered BSON document.
///
/// Key order is preserved exactly as inserted or decoded. Lookup by key is a linear scan,
/// which is what small documents want; hot paths over wire bytes use ``BSONDocumentView``.
public struct BSONDocument: Sendable {
    /// The elements in order.
    public private(set) var elements: [(key: String, value: BSONValue)]

    /// An empty document.
    public init() { elements = [] }

    /// A document with the given elements, in order.
    public init(_ elements: [(String, BSONValue)]) {
        self.elements = elements.map { (key: $0.0, value: $0.1) }
    }

    /// Reserves room for `count` elements.
    public mutating func reserveCapacity(_ count: Int) { elements.reserveCapacity(count) }

    /// The keys in order.
    public var keys: [String] { elements.map(\.key) }

    /// The values in order.
    public var values: [BSONValue] { elements.map(\.value) }

    /// The value of the first element named `key`; setting replaces that element in place,
    /// appends when absent, and removes it when set to `nil`.
    public subscript(key: String) -> BSONValue? {
        get {
            for element in elements where element.key.utf8BytesEqual(key) { return element.value }
            return nil
        }
        set {
            if let index = index(forKey: key) {
                if let newValue { elements[index].value = newValue } else { elements.remove(at: index) }
            } else if let newValue {
                elements.append((key: key, value: newValue))
            }
        }
    }

    /// The position of the first element named `key`.
    public func index(forKey key: String) -> Int? {
        elements.firstIndex { $0.key.utf8BytesEqual(key) }
    }

    /// Appends an element without checking for an existing one with the same key.
    public mutating func append(_ key: String, _ value: BSONValue) {
        elements.append((key: key, value: value))
    }

    /// Removes the first element named `key` and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> BSONValue? {
        guard let index = index(forKey: key) else { return nil }
        return elements.remove(at: index).value
    }

    /// Whether the document has an element named `key`.
    public func contains(key: String) -> Bool { index(forKey: key) != nil }
}

extension BSONDocument: RandomAccessCollection {
    /// The first element's position.
    @inlinable public var startIndex: Int { 0 }
    /// One past the last element's position.
    @inlinable public var endIndex: Int { elements.count }
    /// The element at `position`.
    @inlinable public subscript(position: Int) -> (key: String, value: BSONValue) { elements[position] }
}

extension BSONDocument: Equatable {
    /// Structural equality: same keys in the same order with structurally equal values.
    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        guard lhs.elements.count == rhs.elements.count else { return false }
        for (a, b) in zip(lhs.elements, rhs.elements) {
            guard a.key.utf8BytesEqual(b.key), a.value == b.value else { return false }
        }
        return true
    }
}

extension BSONDocument: Hashable {
    /// Hashes consistently with structural `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(elements.count)
        for element in elements {
            hasher.combine(element.key)
            hasher.combine(element.value)
        }
    }
}

extension BSONDocument: ExpressibleByDictionaryLiteral {
    /// A document keeping the literal's key order.
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.init(elements)
    }
}

extension String {
    /// Byte-wise equality of the UTF-8 encodings. BSON compares keys and strings by bytes,
    /// never by Unicode canonical equivalence (which is what `String.==` does).
    func utf8BytesEqual(_ other: String) -> Bool {
        var lhs = self, rhs = other
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                guard a.count == b.count else { return false }
                guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }
                return memcmp(pa, pb, a.count) == 0
            }
        }
    }
}
