// StoreConsistency: the logical check a verified backup gets once restored — every collection
// in the catalog readable, every document with an `_id`, every secondary index holding exactly
// the entries its documents generate, the change log's newest entry readable. Read-only.

public import BSON

/// What the consistency check found.
public struct ConsistencyReport: Sendable, Equatable {
    /// Collections checked.
    public var collections = 0
    /// Documents read.
    public var documents = 0
    /// Secondary index entries checked.
    public var indexEntries = 0
    /// What is wrong, one line each (at most `maximumProblems`).
    public var problems: [String] = []

    /// Whether nothing is wrong.
    public var isConsistent: Bool { problems.isEmpty }

    /// The most problems listed.
    static let maximumProblems = 50

    mutating func note(_ problem: String) {
        if problems.count < Self.maximumProblems { problems.append(problem) }
    }
}

extension DocumentStore {
    /// Checks that the catalog, documents, indexes and change log agree.
    ///
    /// For each secondary index, the entries each document generates (as the write path
    /// makes them, partial filters included) must all be present, and the index must hold no
    /// other entry (counts equal). Costs a scan of every collection, one point read per
    /// expected entry and a key scan of every index.
    ///
    /// - Throws: `MaxTimeMSExpired` / `Interrupted` when `interrupt` fires; storage failures.
    public func checkConsistency(interrupt: OperationInterrupt = .none) throws(MongoError) -> ConsistencyReport {
        var report = ConsistencyReport()
        for database in catalog.databaseNames {
            for description in catalog.collections(in: database) {
                try check(description.namespace, into: &report, interrupt: interrupt)
            }
        }
        let latest = changeLog.latestSequence
        if latest > 0 {
            do {
                let newest = try changeLog.entries(after: latest - 1, limit: 1, postImages: true)
                if newest.first?.sequence != latest { report.note("the change log's newest entry \(latest) is missing") }
            } catch {
                report.note("the change log's newest entry \(latest) is unreadable: \(error.message)")
            }
        }
        return report
    }

    private func check(_ namespace: Namespace, into report: inout ConsistencyReport, interrupt: OperationInterrupt) throws(MongoError) {
        guard let collection = catalog.openCollection(namespace) else {
            report.note("\(namespace) is in the catalog but cannot be opened")
            return
        }
        report.collections += 1
        let generators = collection.indexes.map { IndexKeyGenerator(fields: $0.spec.fields, isSparse: $0.spec.isSparse) }
        var expected = [Int](repeating: 0, count: collection.indexes.count)
        var problems: [String] = []
        var documents = 0
        do {
            try self.collection(namespace).forEachDocument(interrupt: interrupt) { (document) throws(MongoError) -> Bool in
                documents += 1
                guard let id = document["_id"] else {
                    problems.append("a document of \(namespace) has no _id")
                    return problems.count < ConsistencyReport.maximumProblems
                }
                let idKey = KeyEncoding.key(for: id)
                for (position, index) in collection.indexes.enumerated() {
                    guard try index.includes(document) else { continue }
                    for key in try generators[position].keys(for: document).keys {
                        expected[position] += 1
                        let entry = IndexEntryCodec.entryKey(fields: key.encoded, id: idKey)
                        if try !indexEntryExists(entry, in: index) {
                            problems.append("index \(index.name) of \(namespace) lacks the entry of _id \(id.extendedJSON())")
                        }
                    }
                }
                return problems.count < ConsistencyReport.maximumProblems
            }
        } catch where error.code == .internalError {
            report.note("\(namespace): \(error.message)")
        }
        report.documents += documents
        for problem in problems { report.note(problem) }
        for (position, index) in collection.indexes.enumerated() {
            let stored = try indexEntryCount(index, interrupt: interrupt)
            report.indexEntries += stored
            if stored != expected[position] {
                report.note("index \(index.name) of \(namespace) holds \(stored) entries; its documents generate \(expected[position])")
            }
        }
    }
}
