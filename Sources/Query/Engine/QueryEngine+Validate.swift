// QueryEngine's collection validation: documents checked against every secondary index (the
// `validate` command), the store's files checked against their checksums (`full: true`), and
// the test-only index corruption that proves the check finds what it should. A thin face over
// Documents' StoreConsistency, file checksums and IndexCorruption.

public import BSON
public import Documents

/// What reading the store's files back found (see ``Documents/StoredChecksums``).
public typealias StoredChecksums = Documents.StoredChecksums

extension QueryEngine {
    /// Reads every data file of the store back from disk and checks its checksums (`validate`
    /// with `full: true`); `nil` when the engine keeps no such files.
    public func verifyFileChecksums(interrupt: OperationInterrupt = .none) throws(MongoError) -> StoredChecksums? {
        try store.verifyFileChecksums(interrupt: interrupt)
    }

    /// Reads every document of the collection at `namespace` and checks that each secondary
    /// index holds exactly the entries they generate; `nil` when the collection does not exist.
    public func checkConsistency(of namespace: Namespace, interrupt: OperationInterrupt = .none) throws(MongoError) -> CollectionConsistency? {
        try store.checkConsistency(of: namespace, interrupt: interrupt)
    }

    /// Corrupts the index `indexName` of the collection at `namespace` as `corruption` says,
    /// bypassing the write path; returns the entries touched. For tests only.
    public func corruptIndex(_ indexName: String, of namespace: Namespace, _ corruption: IndexCorruption) throws(MongoError) -> Int {
        try store.corruptIndex(indexName, of: namespace, corruption)
    }
}
