// Streaming construction with BSONWriter: open a document or array, append elements (values,
// or bytes another encoder writes in place, such as a stored record's BSON form), close it.
// Lets a reply be written straight to bytes without building a BSONDocument first.

extension BSONWriter {
    /// Where an open container (document or array) starts; pass it to ``endContainer(_:)``.
    public struct Container: Sendable {
        let start: Int
    }

    /// Opens a top-level document.
    public mutating func beginDocument() -> Container {
        Container(start: beginFrame())
    }

    /// Opens an embedded document as element `key` of the open container.
    public mutating func beginDocument(key: String) throws(BSONError) -> Container {
        bytes.append(BSONType.document.rawValue)
        try appendCString(key)
        return Container(start: beginFrame())
    }

    /// Opens an array as element `key` of the open container; name its elements with
    /// ``appendIndexKey(_:)``'s keys ("0", "1", ...).
    public mutating func beginArray(key: String) throws(BSONError) -> Container {
        bytes.append(BSONType.array.rawValue)
        try appendCString(key)
        return Container(start: beginFrame())
    }

    /// Closes `container`: writes its terminator and patches its length.
    public mutating func endContainer(_ container: Container) {
        endFrame(container.start)
    }

    /// Appends element `key` with `value` to the open container.
    public mutating func append(key: String, _ value: BSONValue) throws(BSONError) {
        try appendElement(key: key, value)
    }

    /// Appends an embedded-document element whose key is array index `index` and whose
    /// document bytes `body` appends to the writer's bytes itself (a complete BSON document,
    /// length prefix and terminator included), so nothing is copied in between. `body`
    /// returns whether it appended one; when it did not (or threw) the element is taken back.
    /// Returns what `body` returned.
    @discardableResult
    public mutating func appendDocument<E: Error>(
        index: Int, _ body: (inout [UInt8]) throws(E) -> Bool
    ) throws(E) -> Bool {
        let start = bytes.count
        bytes.append(BSONType.document.rawValue)
        appendIndexKey(index)
        let appended: Bool
        do {
            appended = try body(&bytes)
        } catch {
            bytes.removeSubrange(start...)
            throw error
        }
        if !appended { bytes.removeSubrange(start...) }
        return appended
    }
}
