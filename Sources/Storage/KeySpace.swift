// KeySpace: the handle the storage interface gives out for one named key space (a RocksDB
// column family, a SQL table). The protocol only; each engine's handle class conforms.

/// A named, droppable set of ordered keys inside one `StorageEngine`.
///
/// Handles are objects, so identity (not the name) tells a key space from one created
/// later under the same name. A handle is accepted only by the engine that gave it out
/// (and that engine's batches, snapshots and cursors); others refuse it with
/// `.invalidArgument`. After `StorageEngine.dropKeySpace(_:)`, every use throws
/// `.keySpaceDropped`.
public protocol KeySpace: AnyObject, Sendable {
    /// The key space's name, unique within its engine.
    var name: String { get }
    /// Whether the key space has been dropped through its engine.
    var isDropped: Bool { get }
}
