// A node of the shape transition tree: its id, its parent, and the field that leads to it
// from the parent. The slot layout is built lazily, once, for shapes that records end on; it
// is published through an atomic pointer that owns one retain, released in deinit.

import Synchronization

/// An interned document shape: the ordered list of (field name, value kind) of a document.
///
/// Shapes form a transition tree rooted at the empty shape (id 0): adding field `(name, kind)`
/// to shape `S` leads to one child of `S`, the same child every time. Two documents with the
/// same field names and kinds in the same order therefore share one shape, and `{a, b}` and
/// `{b, a}` do not. Shapes are immutable and shared across threads.
public final class Shape: Sendable {
    /// The shape's id, written at the front of each record of this shape.
    public let id: ShapeID
    /// The shape this one extends by one field; `nil` for the root (the empty shape).
    public let parent: Shape?
    /// The number of fields.
    public let fieldCount: Int
    /// The last field (the edge from ``parent``); `nil` for the root.
    public let lastField: ShapeField?
    /// The last field name's UTF-8 bytes, for comparing keys without making strings.
    let lastNameBytes: [UInt8]
    /// Who created the shape (a collection's namespace), charged against that owner's share
    /// of the registry; `nil` for the root and for unattributed shapes.
    public let owner: String?
    /// Whether this shape's definition (and every ancestor's) is known to be in storage.
    private let persistedFlag: Atomic<Bool>
    /// Whether ``owner``'s charge for this shape was released (its collection is gone): the
    /// shape then counts against no limit until reclaimed. Changed under the registry's lock.
    private let chargeReleasedFlag = Atomic<Bool>(false)
    /// The layout's address once built (0 before): an unmanaged `ShapeLayout` holding one
    /// retain owned by this shape. Set at most once (compare-exchange from 0), released in
    /// `deinit`. An address as an integer, because atomics of pointers are not `Sendable`.
    private let layoutAddress = Atomic<UInt>(0)

    /// The root shape of a registry.
    init() {
        id = .root
        parent = nil
        fieldCount = 0
        lastField = nil
        lastNameBytes = []
        owner = nil
        persistedFlag = Atomic(true)
    }

    /// A child of `parent` reached by `field`.
    init(id: ShapeID, parent: Shape, field: ShapeField, owner: String?, persisted: Bool) {
        self.id = id
        self.owner = owner
        self.parent = parent
        fieldCount = parent.fieldCount + 1
        lastField = field
        lastNameBytes = Array(field.name.utf8)
        persistedFlag = Atomic(persisted)
    }

    /// The slot layout: field names, kinds, and where each slot's value sits in a record.
    /// Built on first use (walking the parent chain once) and then shared.
    public var layout: ShapeLayout {
        if let pointer = UnsafeRawPointer(bitPattern: layoutAddress.load(ordering: .acquiring)) {
            return Unmanaged<ShapeLayout>.fromOpaque(pointer).takeUnretainedValue()
        }
        let fresh = Unmanaged.passRetained(ShapeLayout(shape: self))
        let (exchanged, address) = layoutAddress.compareExchange(
            expected: 0, desired: UInt(bitPattern: fresh.toOpaque()), ordering: .acquiringAndReleasing
        )
        guard !exchanged, let current = UnsafeRawPointer(bitPattern: address) else { return fresh.takeUnretainedValue() }
        // Another thread published first: use its layout and drop ours.
        fresh.release()
        return Unmanaged<ShapeLayout>.fromOpaque(current).takeUnretainedValue()
    }

    deinit {
        if let pointer = UnsafeRawPointer(bitPattern: layoutAddress.load(ordering: .acquiring)) {
            Unmanaged<ShapeLayout>.fromOpaque(pointer).release()
        }
    }

    /// The fields in order.
    public var fields: [ShapeField] { layout.fields }

    /// Whether this shape and all its ancestors have been reported persisted with
    /// ``ShapeRegistry/markPersisted(_:)`` (or were restored from storage).
    public var isPersisted: Bool { persistedFlag.load(ordering: .acquiring) }

    func setPersisted() { persistedFlag.store(true, ordering: .releasing) }

    /// Whether the owner's charge for this shape was released (see
    /// ``ShapeRegistry/releaseCharges(of:)``).
    var isChargeReleased: Bool { chargeReleasedFlag.load(ordering: .relaxed) }

    func releaseCharge() { chargeReleasedFlag.store(true, ordering: .relaxed) }

    /// The persistable definition of this shape; `nil` for the root, which is implicit.
    public var definition: ShapeDefinition? {
        guard let parent, let lastField else { return nil }
        return ShapeDefinition(id: id, parentID: parent.id, field: lastField, owner: owner)
    }

    /// The ancestor (or this shape) that has `count` fields; `count` must not exceed
    /// ``fieldCount``.
    func ancestor(withFieldCount count: Int) -> Shape {
        var shape = self
        while shape.fieldCount > count, let parent = shape.parent { shape = parent }
        return shape
    }
}
