// The shape registry: interns shapes from concurrent writers under one mutex, hands readers
// immutable snapshots for lock-free lookups by id, and restores itself from persisted
// definitions. It charges each new shape to its owner (a collection's namespace), so one
// collection with endlessly varied field names exhausts its own share, not every
// collection's; releases an owner's charge when its collection goes, and forgets shapes a
// sweep found unused (reclamation). It never touches storage; the catalog persists what
// records report and deletes what reclamation frees (DocumentStore+ShapeReclamation.swift).

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
/// Shapes are not forever: ``releaseCharges(of:)`` stops counting an owner's shapes (its
/// collection was dropped), and ``reclaim(keeping:createdBefore:)`` forgets shapes that no
/// stored record uses, freeing their charge and their definitions. Ids are never reused while
/// the process runs; every reclamation bumps ``reclaimGeneration``, so a writer that encoded
/// before it can tell that its records may name a forgotten shape and encode them again.
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
        /// Charged shapes per owner (released and reclaimed ones not counted).
        var ownedCounts: [String: Int] = [:]
        /// The ids reserved from the database and not yet used (shared stores only).
        var lease: Range<UInt32> = 0 ..< 0
        /// Shapes defined now, the root included (``ShapeSnapshot/idCount`` minus holes).
        var liveCount = 1
        /// Of those, shapes whose owner's charge was released: they count against no limit.
        var releasedCount = 0
        /// Bumped by every reclamation that forgot a shape.
        var generation: UInt64 = 0
        /// Shapes the last reclamation found unused but not yet persisted: kept then, as a
        /// write in flight may be about to commit them; forgotten by the next one if they are
        /// still unused (their write failed).
        var unpersistedAtLastReclaim: Set<ShapeID> = []
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
        var liveCount = 1
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
            liveCount += 1
        }
        // More shapes than the limit are restored as they are (a lowered limit, or shapes of
        // dropped collections whose charge is released once the catalog is known): new ones
        // are refused until reclamation brings the count down.
        self.root = root
        self.maximumShapeCount = maximumShapeCount
        self.maximumShapesPerOwner = maximumShapesPerOwner
        self.shared = shared
        state = Mutex(State(snapshot: snapshot, ownedCounts: ownedCounts, liveCount: liveCount))
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

    /// The number of ids allocated, the root included (reclaimed ones too: ids are not reused).
    public var idCount: Int { state.withLock { $0.snapshot.idCount } }

    /// The number of shapes defined now, the root included.
    public var liveCount: Int { state.withLock { $0.liveCount } }

    /// The number of shapes counted against ``maximumShapeCount``: those defined, less those
    /// whose owner's charge was released.
    public var chargedCount: Int { state.withLock { $0.liveCount - $0.releasedCount } }

    /// How many shapes created on behalf of `owner` (restored ones included) are charged to it.
    public func shapeCount(ownedBy owner: String) -> Int {
        state.withLock { $0.ownedCounts[owner] ?? 0 }
    }

    /// The owners with shapes charged to them.
    public var owners: [String] { state.withLock { Array($0.ownedCounts.keys) } }

    /// How many reclamations have forgotten shapes. A record encoded while this had another
    /// value may name a forgotten shape and must be encoded again before it is written.
    public var reclaimGeneration: UInt64 { state.withLock { $0.generation } }

    /// The current shapes and ``reclaimGeneration``, read together.
    func snapshotAndGeneration() -> (ShapeSnapshot, UInt64) {
        state.withLock { ($0.snapshot, $0.generation) }
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
            guard state.liveCount - state.releasedCount < limit else { throw .tooManyShapes(limit: limit) }
            let id: UInt32
            if let shared {
                // Ids index the snapshot's table, and a shared store never reclaims: the id
                // itself stays below the limit.
                id = try Self.leaseID(above: parent.id, from: shared, state: &state)
                guard Int(id) < limit, id < UInt32.max else { throw .tooManyShapes(limit: limit) }
            } else {
                guard let nextID = UInt32(exactly: state.snapshot.idCount), nextID < UInt32.max else {
                    throw .tooManyShapes(limit: limit)
                }
                id = nextID
            }
            if let owner {
                guard state.ownedCounts[owner, default: 0] < ownerLimit else { throw .tooManyShapes(limit: ownerLimit) }
                state.ownedCounts[owner, default: 0] += 1
            }
            let field = ShapeField(name: String(decoding: name, as: UTF8.self), kind: kind)
            let shape = Shape(id: ShapeID(id), parent: parent, field: field, owner: owner, persisted: false)
            state.snapshot.insert(shape, nameHash: nameHash)
            state.liveCount += 1
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
                state.liveCount += 1
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

    // MARK: Reclamation

    /// Stops charging `owner` for its shapes (its collection was dropped or renamed away):
    /// they count against neither limit any more, though they stay defined (other
    /// collections' records or the change log may still use them) until a reclamation
    /// finds them unused. Returns how many were released.
    @discardableResult
    public func releaseCharges(of owner: String) -> Int {
        state.withLock { state -> Int in
            guard let count = state.ownedCounts.removeValue(forKey: owner), count > 0 else { return 0 }
            var released = 0
            for case let shape? in state.snapshot.shapes where shape.owner == owner && !shape.isChargeReleased {
                shape.releaseCharge()
                released += 1
            }
            state.releasedCount += released
            return released
        }
    }

    /// The number of shapes whose owner's charge was released and that are still defined.
    public var releasedCount: Int { state.withLock { $0.releasedCount } }

    /// Forgets every shape that is not in `used`, not an ancestor of a shape kept, and whose
    /// id is below `highWater` (shapes created since a sweep began are never forgotten by it);
    /// returns the forgotten shapes' ids. A shape not yet persisted (a write in flight created
    /// it) is kept once and forgotten only if the next reclamation still finds it unused. Their owners' charges go down; their ids stay
    /// unused. Bumps ``reclaimGeneration`` when it forgets any.
    ///
    /// The caller must know that no stored record names a shape outside `used` (below
    /// `highWater`) and that no write can commit a record encoded before this call without
    /// first checking ``reclaimGeneration`` (the store holds its commit section).
    func reclaim(keeping used: Set<ShapeID>, createdBefore highWater: Int) -> [ShapeID] {
        state.withLock { state -> [ShapeID] in
            let shapes = state.snapshot.shapes
            // Children have larger ids than their parents: walking down from the top, every
            // child is decided before its parent, so "kept" reaches each parent in time.
            var kept = [Bool](repeating: false, count: shapes.count)
            var forgotten: [Shape] = []
            var unpersisted: Set<ShapeID> = []
            for index in stride(from: shapes.count - 1, through: 1, by: -1) {
                guard let shape = shapes[index] else { continue }
                var keep = kept[index] || index >= highWater || used.contains(shape.id)
                if !keep, !shape.isPersisted, !state.unpersistedAtLastReclaim.contains(shape.id) {
                    unpersisted.insert(shape.id)
                    keep = true
                }
                if keep {
                    if let parent = shape.parent { kept[Int(parent.id.rawValue)] = true }
                } else {
                    forgotten.append(shape)
                }
            }
            state.unpersistedAtLastReclaim = unpersisted
            guard !forgotten.isEmpty else { return [] }
            for shape in forgotten {
                state.snapshot.remove(shape)
                state.liveCount -= 1
                if shape.isChargeReleased {
                    state.releasedCount -= 1
                } else if let owner = shape.owner, let count = state.ownedCounts[owner] {
                    state.ownedCounts[owner] = count > 1 ? count - 1 : nil
                }
            }
            state.generation &+= 1
            return forgotten.map(\.id)
        }
    }
}
