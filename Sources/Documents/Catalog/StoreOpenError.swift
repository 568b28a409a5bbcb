// StoreOpenError: why a data directory could not be opened as a Tessera store. Seen by the
// operator starting the server or embedding the library, not by a wire client, so it has
// no MongoDB code; every case names the path and the reason.

public import Storage

/// Why `DocumentStore(path:)` refused or failed to open a directory.
///
/// The refusals (`notATesseraStore`, `newerFormat`) are decided before RocksDB opens the
/// directory, so nothing on disk changes.
public enum StoreOpenError: Error, Sendable, CustomStringConvertible {
    /// The path holds something that is not a Tessera store (a file, a non-empty directory
    /// without the marker, another program's RocksDB database).
    case notATesseraStore(path: String, reason: String)
    /// The store was written by a newer Tessera whose format this build cannot read.
    case newerFormat(path: String, found: Int, supported: Int)
    /// The store's catalog is unreadable or inconsistent.
    case corruptCatalog(path: String, reason: String)
    /// A file-system call failed.
    case io(path: String, reason: String)
    /// RocksDB failed to open or read the store.
    case storage(StorageError)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case let .notATesseraStore(path, reason):
            "\(path) is not a Tessera data directory: \(reason)"
        case let .newerFormat(path, found, supported):
            "\(path) was written in Tessera data format \(found); this build reads formats up to \(supported)"
        case let .corruptCatalog(path, reason):
            "the catalog of \(path) is corrupt: \(reason)"
        case let .io(path, reason):
            "cannot open \(path): \(reason)"
        case let .storage(error):
            error.description
        }
    }
}
