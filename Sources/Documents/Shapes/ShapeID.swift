// The identifier of an interned shape: a small integer, written as a varint at the front of
// every record. Ids are assigned in creation order and never reused while the process runs
// (reclaimed shapes leave holes; see ShapeRegistry).

/// The identifier of a ``Shape`` within one ``ShapeRegistry``.
///
/// Id 0 is always the empty document's shape (the root of the transition tree). A shape's
/// parent always has a smaller id than the shape itself.
public struct ShapeID: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id as written in records and shape definitions.
    public var rawValue: UInt32

    /// An id from its raw value.
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// An id from its raw value.
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// The empty document's shape, the root of every registry's transition tree.
    public static let root = ShapeID(0)

    /// Orders ids numerically, which is creation order.
    @inlinable public static func < (lhs: ShapeID, rhs: ShapeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The decimal id.
    public var description: String { String(rawValue) }
}
