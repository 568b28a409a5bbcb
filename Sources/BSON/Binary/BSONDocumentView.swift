// Lazy, borrowed views over validated BSON bytes: walk elements and look fields up (also by
// dotted path) without materialising values or allocating key strings. The bytes are
// validated once when the top-level view is made; every view after that trusts them.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a BSON document (or array) in a byte array.
///
/// Make one with ``init(validating:options:)``, which checks the whole document once; field
/// lookups and iteration then cost only the bytes they touch. Sub-document views share the
/// same storage, so nothing is copied.
public struct BSONDocumentView: Sendable {
    @usableFromInline let storage: [UInt8]
    /// Offset of the document's length prefix in `storage`.
    @usableFromInline let start: Int
    /// Offset one past the document's terminating NUL.
    @usableFromInline let end: Int

    /// Validates `bytes` as exactly one BSON document and makes a view of it.
    public init(validating bytes: [UInt8], options: BSONDecodingOptions = .default) throws(BSONError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(BSONError) in try BSONDocument.validate(bsonBytes: raw, options: options) }
        }
        try result.get()
        self.init(trusted: bytes, start: 0, end: bytes.count)
    }

    /// A view of `bytes` that this process validated earlier (e.g. a document it stored
    /// after validating it), skipping the check. Element access on malformed bytes is
    /// undefined; use ``init(validating:options:)`` for anything received.
    public init(previouslyValidated bytes: [UInt8]) {
        self.init(trusted: bytes, start: 0, end: bytes.count)
    }

    init(trusted storage: [UInt8], start: Int, end: Int) {
        self.storage = storage
        self.start = start
        self.end = end
    }

    /// The document's bytes, length prefix and terminator included.
    public var bytes: ArraySlice<UInt8> { storage[start..<end] }

    /// The document's size in bytes.
    public var byteCount: Int { end - start }

    /// Whether the document has no elements.
    public var isEmpty: Bool { end - start == 5 }

    /// The first element named `key`, found by comparing bytes (no string is created).
    public subscript(key: String) -> BSONElementView? {
        var key = key
        return key.withUTF8 { keyBytes in element(forKeyBytes: UnsafeRawBufferPointer(keyBytes)) }
    }

    /// The element at a dotted path such as `minute.23.59`, descending through embedded
    /// documents and (by decimal index) arrays. `nil` if any step is missing or not a container.
    public func element(atPath path: String) -> BSONElementView? {
        var path = path
        return path.withUTF8 { pathBytes -> BSONElementView? in
            let raw = UnsafeRawBufferPointer(pathBytes)
            var container = self
            var componentStart = 0
            while true {
                let componentEnd = raw[componentStart...].firstIndex(of: UInt8(ascii: ".")) ?? raw.count
                let component = UnsafeRawBufferPointer(rebasing: raw[componentStart..<componentEnd])
                guard let found = container.element(forKeyBytes: component) else { return nil }
                if componentEnd == raw.count { return found }
                guard found.type == .document || found.type == .array else { return nil }
                container = BSONDocumentView(trusted: storage, start: found.valueStart, end: found.valueEnd)
                componentStart = componentEnd + 1
            }
        }
    }

    /// Materialises the whole document.
    public func document() throws(BSONError) -> BSONDocument {
        let (start, end) = (self.start, self.end)
        let result = storage.withUnsafeBytes { raw in
            Result { () throws(BSONError) -> BSONDocument in
                try BSONReader(raw, options: .default).readDocument(at: start, limit: end, depth: 1).0
            }
        }
        return try result.get()
    }

    func element(forKeyBytes key: UnsafeRawBufferPointer) -> BSONElementView? {
        storage.withUnsafeBytes { raw -> BSONElementView? in
            guard let base = raw.baseAddress else { return nil }
            var position = start + 4
            let contentEnd = end - 1
            while position < contentEnd {
                let keyStart = position + 1
                let keyEnd = BSONDocumentView.cstringEnd(raw, from: keyStart)
                let valueEnd = BSONDocumentView.valueEnd(raw, type: raw[position], at: keyEnd + 1)
                if keyEnd - keyStart == key.count,
                   key.count == 0 || memcmp(base + keyStart, key.baseAddress.unsafelyUnwrapped, key.count) == 0 {
                    return makeElement(raw, at: position, keyEnd: keyEnd, valueEnd: valueEnd)
                }
                position = valueEnd
            }
            return nil
        }
    }

    @inline(__always)
    func makeElement(_ raw: UnsafeRawBufferPointer, at position: Int, keyEnd: Int, valueEnd: Int) -> BSONElementView {
        // Validated bytes hold only known type bytes; `.null` is unreachable as a fallback.
        BSONElementView(
            type: BSONType(rawValue: raw[position]) ?? .null, storage: storage,
            keyStart: position + 1, keyEnd: keyEnd, valueStart: keyEnd + 1, valueEnd: valueEnd
        )
    }

    // MARK: Trusted skipping (the bytes were validated when the top-level view was made)

    @inline(__always)
    static func cstringEnd(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while raw[index] != 0 { index += 1 }
        return index
    }

    @inline(__always)
    static func int32(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int {
        Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
    }

    /// The offset after a value of type byte `type` starting at `start`.
    @inline(__always)
    static func valueEnd(_ raw: UnsafeRawBufferPointer, type: UInt8, at start: Int) -> Int {
        switch type {
        case 0x01, 0x09, 0x11, 0x12: start + 8
        case 0x10: start + 4
        case 0x13: start + 16
        case 0x07: start + 12
        case 0x08: start + 1
        case 0x06, 0x0A, 0xFF, 0x7F: start
        case 0x02, 0x0D, 0x0E: start + 4 + int32(raw, at: start)
        case 0x03, 0x04, 0x0F: start + int32(raw, at: start)
        case 0x05: start + 5 + int32(raw, at: start)
        case 0x0B: cstringEnd(raw, from: cstringEnd(raw, from: start) + 1) + 1
        case 0x0C: start + 4 + int32(raw, at: start) + 12
        default: raw.count  // unreachable for validated bytes; ends any walk safely
        }
    }
}

extension BSONDocumentView: Sequence {
    /// Iterates the elements in order.
    public struct Iterator: IteratorProtocol {
        let view: BSONDocumentView
        var position: Int

        /// The next element, or `nil` after the last.
        public mutating func next() -> BSONElementView? {
            guard position < view.end - 1 else { return nil }
            let position = self.position
            let element = view.storage.withUnsafeBytes { raw in
                let keyEnd = BSONDocumentView.cstringEnd(raw, from: position + 1)
                let valueEnd = BSONDocumentView.valueEnd(raw, type: raw[position], at: keyEnd + 1)
                return view.makeElement(raw, at: position, keyEnd: keyEnd, valueEnd: valueEnd)
            }
            self.position = element.valueEnd
            return element
        }
    }

    /// An iterator over the elements in order.
    public func makeIterator() -> Iterator { Iterator(view: self, position: start + 4) }
}

/// One element of a ``BSONDocumentView``: its type, key and value bytes.
public struct BSONElementView: Sendable {
    /// The element's BSON type.
    public let type: BSONType
    @usableFromInline let storage: [UInt8]
    let keyStart: Int
    let keyEnd: Int
    let valueStart: Int
    let valueEnd: Int

    /// The key (allocates a String; compare with ``keyEquals(_:)`` on hot paths).
    public var key: String {
        String(decoding: storage[keyStart..<keyEnd], as: UTF8.self)
    }

    /// Whether the key's bytes equal `other`'s UTF-8 bytes.
    public func keyEquals(_ other: String) -> Bool {
        var other = other
        return other.withUTF8 { $0.elementsEqual(storage[keyStart..<keyEnd]) }
    }

    /// The value's bytes (without type byte and key).
    public var valueBytes: ArraySlice<UInt8> { storage[valueStart..<valueEnd] }

    @inline(__always)
    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int = 0) -> T {
        storage.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: valueStart + offset, as: T.self)) }
    }

    /// The value if it is an int32.
    public var int32: Int32? { type == .int32 ? load(Int32.self) : nil }
    /// The value if it is an int64.
    public var int64: Int64? { type == .int64 ? load(Int64.self) : nil }
    /// The value if it is a double.
    public var double: Double? { type == .double ? Double(bitPattern: load(UInt64.self)) : nil }
    /// The value if it is a Boolean.
    public var bool: Bool? { type == .bool ? storage[valueStart] == 1 : nil }
    /// The value if it is a datetime.
    public var datetime: BSONDateTime? {
        type == .datetime ? BSONDateTime(millisecondsSinceEpoch: load(Int64.self)) : nil
    }
    /// The value if it is an ObjectId.
    public var objectId: ObjectId? {
        type == .objectId ? ObjectId(uncheckedBytes: storage, at: valueStart) : nil
    }
    /// The value if it is a string.
    public var string: String? {
        guard type == .string else { return nil }
        return String(decoding: storage[(valueStart + 4)..<(valueEnd - 1)], as: UTF8.self)
    }
    /// The value as a view if it is an embedded document.
    public var document: BSONDocumentView? {
        type == .document ? BSONDocumentView(trusted: storage, start: valueStart, end: valueEnd) : nil
    }
    /// The value as a view if it is an array (elements keyed "0", "1", ...).
    public var array: BSONDocumentView? {
        type == .array ? BSONDocumentView(trusted: storage, start: valueStart, end: valueEnd) : nil
    }

    /// Materialises the value.
    public func value() throws(BSONError) -> BSONValue {
        let (type, start, end) = (self.type, valueStart, valueEnd)
        let result = storage.withUnsafeBytes { raw in
            Result { () throws(BSONError) -> BSONValue in
                try BSONReader(raw, options: .default).readValue(type, at: start, limit: end, depth: 1).0
            }
        }
        return try result.get()
    }
}
