// The shape registry: interns shapes from concurrent writers under one mutex, hands readers
// immutable snapshots for lock-free lookups by id, and restores itself from persisted
// definitions. It charges each new shape to its owner (a collection's namespace), so one
// collection with endlessly varied field names exhausts its own share, not every
// collection's. It never touches storage; the catalog persists what records report.

import Synchronization

/// Interns document shapes and finds them by id.
///
/// Writers call ``child(of:field:owner:)`` (or let ``RecordEncoder`` do it); the same
/// `(parent, name, kind)` always yields the same shape, even from many threads at once.
/// Readers take a ``snapshot()`` and look shapes up in it without locking.
///
/// Two limits bound the registry: ``maximumShapeCount`` shapes in all, and
/// ``maximumShapesPerOwner`` shapes created on behalf of one owner. The owner limit is
/// smaller, so a collection that runs out of shapes leaves room for every other one, and
/// the counts are rebuilt from the persisted definitions, so this holds after a restart too.
/// A shape another owner created is shared freely and charged to nobody new.
///
/// Persistence is the catalog's job. The protocol: every ``EncodedRecord`` lists the shapes it
/// depends on that are not yet known to be persisted (``EncodedRecord/unpersistedShapes``);
/// the catalog writes those definitions in the same batch as the record and, after the batch
/// commits, calls ``markPersisted(_:)``. Writing a definition twice is harmless. On open, the
/// catalog rebuilds the registry with ``init(restoring:maximumShapeCount:maximumShapesPerOwner:)``.
public final class ShapeRegistry: Sendable {
    /// The default of ``maximumShapeCount``.
    public static let defaultMaximumShapeCount = 1 << 22
    /// The default of ``maximumShapesPerOwner``.
    public static let defaultMaximumShapesPerOwner = 1 << 20

    /// The empty shape, id 0.
    public let root: Shape
    /// The most shapes this registry will create; interning beyond it throws.
    public let maximumShapeCount: Int
    /// The most shapes created on behalf of one owner; interning beyond it throws.
    public let maximumShapesPerOwner: Int
    private let state: Mutex<State>

    /// Where ids and other servers' shapes come from when the store is shared, else `nil`.
    private let shared: SharedShapeSource?

    /// The shapes and how many each owner created.
    private struct State: Sendable {
        var snapshot: ShapeSnapshot
        var ownedCounts: [String: Int] = [:]
        /// The ids reserved from the database and not yet used (shared stores only).
        var lease: Range<UInt32> = 0 ..< 0
    }

    /// An empty registry holding only the root shape.
    public init(
        maximumShapeCount: Int = ShapeRegistry.defaultMaximumShapeCount,
        maximumShapesPerOwner: Int = ShapeRegistry.defaultMaximumShapesPerOwner
    ) {
        let root = Shape()
        self.root = root
        self.maximumShapeCount = maximumShapeCount
        self.maximumShapesPerOwner = maximumShapesPerOwner
        self.shared = nil
        state = Mutex(State(snapshot: ShapeSnapshot(root: root)))
    }

    /// A registry rebuilt from persisted definitions, in any order. Restored shapes count as
    /// persisted, and against their owners' limits. Ids missing from the list stay unused.
    ///
    /// - Throws: ``RecordError/invalidShapeDefinition(_:)`` when a definition names a missing
    ///   parent, repeats an id, or repeats an edge already defined under another id.
    ///
    /// With `shared` (a store other servers write to), ids come from `shared`'s reservations,
    /// unknown ids are loaded through it, and two definitions of one edge are both kept (two
    /// servers may intern the same field at once): the lower id serves new writes, the other
    /// is found by id only.
    init(
        restoring definitions: some Sequence<ShapeDefinition>, maximumShapeCount: Int = ShapeRegistry.defaultMaximumShapeCount,
        maximumShapesPerOwner: Int = ShapeRegistry.defaultMaximumShapesPerOwner, shared: SharedShapeSource?
    ) throws(RecordError) {
        let root = Shape()
        var snapshot = ShapeSnapshot(root: root)
        var ownedCounts: [String: Int] = [:]
        for definition in definitions.sorted(by: { $0.id < $1.id }) {
            guard definition.id != .root, snapshot.shape(withID: definition.id) == nil else {
                throw .invalidShapeDefinition("shape id \(definition.id) defined twice")
            }
            guard let parent = snapshot.shape(withID: definition.parentID), definition.parentID < definition.id else {
                throw .invalidShapeDefinition("shape \(definition.id) names missing parent \(definition.parentID)")
            }
            var name = definition.field.name
            let duplicate = name.withUTF8 { buffer -> Bool in
                let bytes = UnsafeRawBufferPointer(buffer)
                let hash = FieldNameIndex.hash(bytes)
                return snapshot.child(of: parent, kind: definition.field.kind, name: bytes, nameHash: hash) != nil
            }
            guard !duplicate || shared != nil else {
                throw .invalidShapeDefinition("shape \(definition.id) repeats an edge of shape \(definition.parentID)")
            }
            let shape = Shape(id: definition.id, parent: parent, field: definition.field, owner: definition.owner, persisted: true)
            if duplicate {
                snapshot.insert(byIDOnly: shape)
            } else {
                snapshot.insert(shape, nameHash: name.withUTF8 { FieldNameIndex.hash(UnsafeRawBufferPointer($0)) })
            }
            if let owner = definition.owner { ownedCounts[owner, default: 0] += 1 }
        }
        guard snapshot.idCount <= maximumShapeCount else { throw .tooManyShapes(limit: maximumShapeCount) }
        self.root = root
        self.maximumShapeCount = maximumShapeCount
        self.maximumShapesPerOwner = maximumShapesPerOwner
        self.shared = shared
        state = Mutex(State(snapshot: snapshot, ownedCounts: ownedCounts))
    }

    /// A registry rebuilt from persisted definitions, in any order, for a store no other
    /// server writes to. Restored shapes count as persisted, and against their owners' limits.
    /// Ids missing from the list stay unused.
    ///
    /// - Throws: ``RecordError/invalidShapeDefinition(_:)`` when a definition names a missing
    ///   parent, repeats an id, or repeats an edge already defined under another id.
    public convenience init(
        restoring definitions: some Sequence<ShapeDefinition>, maximumShapeCount: Int = ShapeRegistry.defaultMaximumShapeCount,
        maximumShapesPerOwner: Int = ShapeRegistry.defaultMaximumShapesPerOwner
    ) throws(RecordError) {
        try self.init(restoring: definitions, maximumShapeCount: maximumShapeCount,
                      maximumShapesPerOwner: maximumShapesPerOwner, shared: nil)
    }

    /// The current shapes, for lock-free lookups.
    public func snapshot() -> ShapeSnapshot {
        state.withLock { $0.snapshot }
    }

    /// The shape with this id, or `nil` if there is none yet. Takes the lock; hot paths look
    /// in a ``ShapeSnapshot`` first.
    public func shape(withID id: ShapeID) -> Shape? {
        state.withLock { $0.snapshot.shape(withID: id) }
    }

    /// The number of ids allocated, the root included.
    public var idCount: Int { state.withLock { $0.snapshot.idCount } }

    /// How many shapes were created on behalf of `owner` (restored ones included).
    public func shapeCount(ownedBy owner: String) -> Int {
        state.withLock { $0.ownedCounts[owner] ?? 0 }
    }

    /// The child of `parent` reached by adding `field`, created if it does not exist yet and
    /// then charged to `owner` (when given).
    ///
    /// - Throws: ``RecordError/tooManyShapes(limit:)`` when creating it would exceed
    ///   ``maximumShapeCount`` or `owner`'s ``maximumShapesPerOwner``;
    ///   ``RecordError/unknownShape(_:)`` when `parent` belongs to another registry.
    public func child(of parent: Shape, field: ShapeField, owner: String? = nil) throws(RecordError) -> Shape {
        var name = field.name
        let result = name.withUTF8 { buffer in
            Result { () throws(RecordError) -> Shape in
                let bytes = UnsafeRawBufferPointer(buffer)
                return try self.child(
                    of: parent, kind: field.kind, name: bytes, nameHash: FieldNameIndex.hash(bytes), owner: owner
                )
            }
        }
        return try result.get()
    }

    /// The shape with exactly these fields in this order, created as needed (on behalf of
    /// `owner`, when given).
    public func shape(for fields: some Sequence<ShapeField>, owner: String? = nil) throws(RecordError) -> Shape {
        var shape = root
        for field in fields { shape = try child(of: shape, field: field, owner: owner) }
        return shape
    }

    /// Interns the edge `(parent, name, kind)` under the lock, charging a new shape to `owner`.
    func child(
        of parent: Shape, kind: ValueKind, name: UnsafeRawBufferPointer, nameHash: Int, owner: String?
    ) throws(RecordError) -> Shape {
        let limit = maximumShapeCount
        let ownerLimit = maximumShapesPerOwner
        return try state.withLock { (state) throws(RecordError) -> Shape in
            // A shape from another registry would graft a foreign id into this tree.
            guard state.snapshot.shape(withID: parent.id) === parent else { throw .unknownShape(parent.id) }
            if let existing = state.snapshot.child(of: parent, kind: kind, name: name, nameHash: nameHash) {
                return existing
            }
            let id: UInt32
            if let shared {
                id = try Self.leaseID(above: parent.id, from: shared, state: &state)
                guard Int(id) < limit else { throw .tooManyShapes(limit: limit) }
            } else {
                let next = state.snapshot.idCount
                guard next < limit, let nextID = UInt32(exactly: next) else { throw .tooManyShapes(limit: limit) }
                id = nextID
            }
            if let owner {
                guard state.ownedCounts[owner, default: 0] < ownerLimit else { throw .tooManyShapes(limit: ownerLimit) }
                state.ownedCounts[owner, default: 0] += 1
            }
            let field = ShapeField(name: String(decoding: name, as: UTF8.self), kind: kind)
            let shape = Shape(id: ShapeID(id), parent: parent, field: field, owner: owner, persisted: false)
            state.snapshot.insert(shape, nameHash: nameHash)
            return shape
        }
    }

    /// How many ids one reservation from a shared store takes.
    static let leaseSize: UInt32 = 64

    /// The next id of the reserved lease, reserving a new one when it is used up or when its
    /// next id is not above `parent` (a definition's parent id is always smaller than its id).
    private static func leaseID(above parent: ShapeID, from shared: SharedShapeSource, state: inout State) throws(RecordError) -> UInt32 {
        if state.lease.isEmpty || state.lease.lowerBound <= parent.rawValue {
            let known = UInt32(clamping: state.snapshot.idCount)
            let floor = max(known, parent.rawValue &+ 1)
            let first = try shared.reserve(leaseSize, floor)
            let (end, overflow) = first.addingReportingOverflow(leaseSize)
            guard !overflow, first > parent.rawValue else { throw .tooManyShapes(limit: Int(UInt32.max)) }
            state.lease = first ..< end
        }
        let id = state.lease.lowerBound
        state.lease = (id + 1) ..< state.lease.upperBound
        return id
    }

    /// The shape with `id` from the shared store, with any ancestors this registry lacks,
    /// when another server created it; `nil` when the store is not shared or has no such shape.
    public func loadShape(withID id: ShapeID) -> Shape? {
        guard let shared else { return nil }
        if let known = shape(withID: id) { return known }
        // The missing chain, child first; parents have smaller ids, so it ends.
        var chain: [ShapeDefinition] = []
        var next = id
        while next != .root, shape(withID: next) == nil {
            guard let definition = shared.load(next), definition.id == next else { return nil }
            chain.append(definition)
            next = definition.parentID
        }
        return state.withLock { state -> Shape? in
            for definition in chain.reversed() where state.snapshot.shape(withID: definition.id) == nil {
                guard let parent = state.snapshot.shape(withID: definition.parentID) else { return nil }
                let shape = Shape(id: definition.id, parent: parent, field: definition.field, owner: definition.owner,
                                  persisted: true)
                var name = definition.field.name
                let hash = name.withUTF8 { FieldNameIndex.hash(UnsafeRawBufferPointer($0)) }
                let duplicate = name.withUTF8 { buffer -> Bool in
                    state.snapshot.child(of: parent, kind: definition.field.kind, name: UnsafeRawBufferPointer(buffer),
                                         nameHash: hash) != nil
                }
                if duplicate {
                    state.snapshot.insert(byIDOnly: shape)
                } else {
                    state.snapshot.insert(shape, nameHash: hash)
                }
                if let owner = definition.owner { state.ownedCounts[owner, default: 0] += 1 }
            }
            return state.snapshot.shape(withID: id)
        }
    }

    /// Records that the definitions of these shapes are durably stored. A shape is marked
    /// only once its parent is, so ``Shape/isPersisted`` implies every ancestor is stored
    /// too; pass a record's whole ``EncodedRecord/unpersistedShapes`` list.
    public func markPersisted(_ ids: some Sequence<ShapeID>) {
        let snapshot = snapshot()
        for id in ids.sorted() {
            guard let shape = snapshot.shape(withID: id) ?? shape(withID: id) else { continue }
            if shape.parent?.isPersisted ?? true { shape.setPersisted() }
        }
    }

    /// Every shape's definition in id order (the root excluded), for a full dump.
    public func definitions() -> [ShapeDefinition] {
        snapshot().shapes.compactMap { $0?.definition }
    }
}
