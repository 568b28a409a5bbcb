// QueryEngine's collection validation: documents checked against every secondary index (the
// `validate` command), and the test-only index corruption that proves the check finds what
// it should. A thin face over Documents' StoreConsistency and IndexCorruption.

public import BSON
public import Documents

extension QueryEngine {
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
