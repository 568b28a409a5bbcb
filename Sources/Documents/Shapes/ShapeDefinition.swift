// The persisted form of one shape: (id, parent id, field name, kind) and its byte encoding.
// The catalog stores one definition per shape; a registry is rebuilt from the list.

import BSON

/// What the catalog persists for one shape: enough to rebuild the transition tree.
///
/// The root (id 0) has no definition; it exists in every registry.
public struct ShapeDefinition: Sendable, Hashable {
    /// The shape's id.
    public let id: ShapeID
    /// The parent's id (always smaller than ``id``).
    public let parentID: ShapeID
    /// The field that leads from the parent to this shape.
    public let field: ShapeField
    /// The namespace whose write created the shape, if known (see ``ShapeRegistry``'s
    /// per-owner limit); `nil` in definitions written before owners were recorded.
    public let owner: String?

    /// The format version of a definition without an owner (the original format).
    static let formatVersion: UInt8 = 1
    /// The format version of a definition with an owner.
    static let ownedFormatVersion: UInt8 = 2

    /// A definition from its parts.
    public init(id: ShapeID, parentID: ShapeID, field: ShapeField, owner: String? = nil) {
        self.id = id
        self.parentID = parentID
        self.field = field
        self.owner = owner
    }

    /// The definition as bytes: version 1, varint id, varint parent id, kind byte, then the
    /// field name's UTF-8 bytes to the end; with an owner, version 2 and the owner as a
    /// varint length and UTF-8 bytes between the kind byte and the name.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = [owner == nil ? Self.formatVersion : Self.ownedFormatVersion]
        bytes.reserveCapacity(14 + field.name.utf8.count + (owner?.utf8.count ?? 0))
        RecordBytes.appendVarint(UInt64(id.rawValue), to: &bytes)
        RecordBytes.appendVarint(UInt64(parentID.rawValue), to: &bytes)
        bytes.append(field.kind.rawValue)
        if let owner {
            RecordBytes.appendVarint(UInt64(owner.utf8.count), to: &bytes)
            bytes.append(contentsOf: owner.utf8)
        }
        bytes.append(contentsOf: field.name.utf8)
        return bytes
    }

    /// Parses bytes written by ``serialized()``.
    ///
    /// - Throws: ``RecordError/invalidShapeDefinition(_:)`` for anything malformed.
    public init(serialized bytes: [UInt8]) throws(RecordError) {
        let parsed = try bytes.withUnsafeBufferPointer { (buffer) throws(RecordError) -> ShapeDefinition in
            try ShapeDefinition.parse(UnsafeRawBufferPointer(buffer))
        }
        self = parsed
    }

    private static func parse(_ raw: UnsafeRawBufferPointer) throws(RecordError) -> ShapeDefinition {
        guard raw.count >= 1, raw[0] == formatVersion || raw[0] == ownedFormatVersion else {
            throw .invalidShapeDefinition("unknown shape definition format")
        }
        var position = 1
        let id: UInt64, parent: UInt64
        do {
            id = try RecordBytes.readVarint(raw, at: &position, limit: raw.count)
            parent = try RecordBytes.readVarint(raw, at: &position, limit: raw.count)
        } catch {
            throw .invalidShapeDefinition("malformed id")
        }
        guard id > 0, id <= UInt64(UInt32.max), parent < id else {
            throw .invalidShapeDefinition("shape \(id) cannot have parent \(parent)")
        }
        guard position < raw.count, let kind = ValueKind(rawValue: raw[position]) else {
            throw .invalidShapeDefinition("missing or unknown kind")
        }
        position += 1
        var owner: String?
        if raw[0] == ownedFormatVersion {
            let length: UInt64
            do {
                length = try RecordBytes.readVarint(raw, at: &position, limit: raw.count)
            } catch {
                throw .invalidShapeDefinition("malformed owner length")
            }
            guard length <= UInt64(raw.count - position) else { throw .invalidShapeDefinition("owner past the end") }
            let end = position + Int(length)
            owner = String(wellFormedUTF8: UnsafeRawBufferPointer(rebasing: raw[position..<end]))
            guard owner != nil else { throw .invalidShapeDefinition("owner is not UTF-8") }
            position = end
        }
        guard let name = String(wellFormedUTF8: UnsafeRawBufferPointer(rebasing: raw[position...])) else {
            throw .invalidShapeDefinition("field name is not UTF-8")
        }
        return ShapeDefinition(
            id: ShapeID(UInt32(id)), parentID: ShapeID(UInt32(parent)), field: ShapeField(name: name, kind: kind),
            owner: owner
        )
    }
}
