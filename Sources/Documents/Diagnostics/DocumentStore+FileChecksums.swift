// DocumentStore+FileChecksums: `validate`'s `full: true` below the catalog — the storage
// engine's files read back from disk and their checksums checked (RocksDB's SST blocks), with
// the operation's interrupt asked between files. Read-only; engines without such files (a
// PostgreSQL database checks its own pages) report nothing.

public import BSON
internal import Storage

/// What reading the store's files back found.
public struct StoredChecksums: Sendable, Equatable {
    /// Files read and checked.
    public var filesChecked: Int
    /// Their bytes.
    public var bytesChecked: UInt64
    /// One line per file that failed: its name and the engine's message.
    public var failures: [String]
}

extension DocumentStore {
    /// Reads every data file of the store back from disk (not through caches) and checks each
    /// checksum in it; `nil` when the engine keeps no such files.
    ///
    /// - Throws: `Interrupted` (11601), `InterruptedAtShutdown` (11600) or `MaxTimeMSExpired`
    ///   (50) when `interrupt` fires (asked between files); a storage error when the file list
    ///   cannot be read. A file that fails its checksums is reported, not thrown.
    public func verifyFileChecksums(interrupt: OperationInterrupt = .none) throws(MongoError) -> StoredChecksums? {
        guard let verification = storage as? any StorageFileVerification else { return nil }
        var stopped: MongoError?
        let report: FileChecksumReport
        do {
            report = try verification.verifyFileChecksums {
                do throws(MongoError) {
                    try interrupt.check()
                    return false
                } catch {
                    stopped = error
                    return true
                }
            }
        } catch {
            if let stopped { throw stopped }
            throw .storage(error)
        }
        return StoredChecksums(filesChecked: report.filesChecked, bytesChecked: report.bytesChecked,
                               failures: report.failures.map { "\($0.file): \($0.message)" })
    }
}
