// SharedShapeSource: how a shape registry of a store that several servers share (issue 21)
// reaches the database without touching storage itself — reserving ranges of shape ids from
// a database counter, and loading the definition of a shape another server created.

/// The database side of a shared registry, as two closures the store provides.
struct SharedShapeSource: Sendable {
    /// Reserves `count` consecutive ids, none below `floor`, that no other server will get;
    /// returns the first.
    let reserve: @Sendable (_ count: UInt32, _ floor: UInt32) throws(RecordError) -> UInt32
    /// The stored definition of shape `id`, or `nil` if there is none (or it is unreadable).
    let load: @Sendable (_ id: ShapeID) -> ShapeDefinition?
}
