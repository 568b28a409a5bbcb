// A per-reader map from shape id to a value, for the lookups a scan makes once per record
// (which layout, which compiled filter). Shape ids are small dense integers, so the common
// ones index an array; only large ids pay for hashing.

/// A map keyed by ``ShapeID``: an array slot for ids below ``denseLimit``, a dictionary above.
///
/// A value type with no locking: keep one per reader (one scan, one query execution).
public struct ShapeIDMap<Value> {
    private var dense: [Value?] = []
    private var sparse: [ShapeID: Value] = [:]

    /// Ids below this are array slots: at most this many optionals per map.
    public static var denseLimit: Int { 4096 }

    /// An empty map.
    public init() {}

    /// How many ids above ``denseLimit`` the map holds (the part that can grow without bound).
    public var sparseCount: Int { sparse.count }

    /// The value for `id`, or `nil`.
    @inline(__always)
    public subscript(id: ShapeID) -> Value? {
        get {
            let index = Int(id.rawValue)
            if index < dense.count { return dense[index] }
            return index < Self.denseLimit ? nil : sparse[id]
        }
        set {
            let index = Int(id.rawValue)
            guard index < Self.denseLimit else {
                sparse[id] = newValue
                return
            }
            if index >= dense.count {
                dense.append(contentsOf: repeatElement(nil, count: index - dense.count + 1))
            }
            dense[index] = newValue
        }
    }

    /// Forgets the ids above ``denseLimit``.
    public mutating func removeSparse() {
        sparse.removeAll(keepingCapacity: true)
    }
}
