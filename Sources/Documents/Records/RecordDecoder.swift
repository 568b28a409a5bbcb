// The entry point for reading records: bytes to a lazy ``Record`` view or to a whole
// ``BSONDocument``. Holds a registry snapshot so shape lookups take no lock.

public import BSON

/// Reads shape-encoded records.
///
/// A decoder keeps the registry snapshot it was made with; records naming shapes created
/// later are still read (the registry is asked, under its lock). Make a new decoder now and
/// then to pick up new shapes lock-free.
public struct RecordDecoder: Sendable {
    /// The registry the records' shape ids refer to.
    public let registry: ShapeRegistry
    /// The deepest nesting of documents and arrays ``document(_:)`` accepts.
    public var maximumDepth: Int = 200
    let resolver: ShapeResolver

    /// A decoder for records whose shapes live in `registry`.
    public init(registry: ShapeRegistry) {
        self.registry = registry
        resolver = ShapeResolver(registry: registry)
    }

    /// A lazy view of the record in `bytes`; reads only its header.
    public func record(_ bytes: [UInt8]) throws(RecordError) -> Record {
        try Record(storage: bytes, start: 0, end: bytes.count, resolver: resolver)
    }

    /// A lazy view of the record in `bytes`, its layout taken from `layouts`: the path for
    /// scans, where one cache serves every record the scan reads.
    public func record(_ bytes: [UInt8], layouts: inout RecordLayoutCache) throws(RecordError) -> Record {
        try Record(storage: bytes, resolver: resolver, layouts: &layouts)
    }

    /// Decodes the whole record in `bytes`, validating every value.
    public func document(_ bytes: [UInt8]) throws(RecordError) -> BSONDocument {
        let result = bytes.withUnsafeBytes { (buffer) -> Result<BSONDocument, RecordError> in
            Result { () throws(RecordError) in try document(buffer) }
        }
        return try result.get()
    }

    /// Decodes the whole record in `raw` (storage's own memory, say), validating every value;
    /// the document keeps no reference to `raw`.
    public func document(_ raw: UnsafeRawBufferPointer) throws(RecordError) -> BSONDocument {
        try RecordReader(raw: raw, resolver: resolver, maximumDepth: maximumDepth).document(start: 0, end: raw.count, depth: 1)
    }

    /// Converts the whole record in `bytes` to BSON bytes without materialising a
    /// ``BSONDocument``; see ``Record/bsonBytes(maximumDepth:)``.
    public func bsonBytes(_ bytes: [UInt8]) throws(RecordError) -> [UInt8] {
        let (resolver, maximumDepth) = (self.resolver, self.maximumDepth)
        let result = try bytes.withUnsafeBufferPointer { (buffer) throws(RecordError) -> [UInt8] in
            var writer = RecordBSONWriter(raw: UnsafeRawBufferPointer(buffer), resolver: resolver, maximumDepth: maximumDepth)
            try writer.writeDocument(start: 0, end: buffer.count, depth: 1)
            return writer.out
        }
        return result
    }

    /// Appends the whole record in `bytes` as a BSON document to `out`, written in place
    /// (the reply path from a stored record to the wire); `out` is unchanged on error.
    public func appendBSON(of bytes: [UInt8], to out: inout [UInt8]) throws(RecordError) {
        let (resolver, maximumDepth) = (self.resolver, self.maximumDepth)
        let count = out.count
        try bytes.withUnsafeBufferPointer { (buffer) throws(RecordError) in
            var writer = RecordBSONWriter(raw: UnsafeRawBufferPointer(buffer), resolver: resolver,
                                          maximumDepth: maximumDepth, takingOver: &out)
            defer {
                swap(&writer.out, &out)
            }
            do throws(RecordError) {
                try writer.writeDocument(start: 0, end: buffer.count, depth: 1)
            } catch {
                writer.out.removeSubrange(count...)
                throw error
            }
        }
    }
}
