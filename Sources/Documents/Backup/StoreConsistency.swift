// StoreConsistency: the logical check a verified backup gets once restored, and `validate`
// for one collection — every collection in the catalog readable, every document with an
// `_id`, every secondary index holding exactly the entries its documents generate, the change
// log's newest entry readable. Read-only.

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
        guard let checked = try checkConsistency(of: namespace, interrupt: interrupt) else {
            report.note("\(namespace) is in the catalog but cannot be opened")
            return
        }
        report.collections += 1
        report.documents += checked.documents
        for problem in checked.problems { report.note(problem) }
        for index in checked.indexes {
            report.indexEntries += index.storedEntries
            if index.storedEntries != index.expectedEntries {
                report.note("index \(index.name) of \(namespace) holds \(index.storedEntries) entries; its documents generate \(index.expectedEntries)")
            }
        }
    }

    /// Checks one collection's documents against its secondary indexes (as
    /// ``checkConsistency(interrupt:)`` does for every collection); `nil` when it does not exist.
    public func checkConsistency(of namespace: Namespace, interrupt: OperationInterrupt = .none) throws(MongoError) -> CollectionConsistency? {
        guard let collection = catalog.openCollection(namespace) else { return nil }
        let generators = collection.indexes.map { IndexKeyGenerator($0.spec) }
        var indexes = collection.indexes.map { IndexConsistency(name: $0.name) }
        var result = CollectionConsistency()
        do {
            try self.collection(namespace).forEachDocument(interrupt: interrupt) { (document) throws(MongoError) -> Bool in
                result.documents += 1
                guard let id = document["_id"] else {
                    result.invalidDocuments += 1
                    result.note("a document of \(namespace) has no _id")
                    return true
                }
                let idKey = KeyEncoding.key(for: id)
                var complete = true
                for (position, index) in collection.indexes.enumerated() {
                    guard try index.includes(document) else { continue }
                    for key in try generators[position].keys(for: document).keys {
                        indexes[position].expectedEntries += 1
                        let entry = IndexEntryCodec.entryKey(fields: key.encoded, id: idKey)
                        if try !indexEntryExists(entry, in: index) {
                            indexes[position].missingEntries += 1
                            complete = false
                            result.note("index \(index.name) of \(namespace) lacks the entry of _id \(id.extendedJSON())")
                        }
                    }
                }
                if !complete { result.invalidDocuments += 1 }
                return true
            }
        } catch where error.code == .internalError {
            result.note("\(namespace): \(error.message)")
        }
        for (position, index) in collection.indexes.enumerated() {
            indexes[position].storedEntries = try indexEntryCount(index, interrupt: interrupt)
        }
        result.indexes = indexes
        return result
    }
}

/// What checking one collection found: its documents, and for each secondary index the
/// entries its documents generate, how many of those are missing, and how many it holds
/// (more than expected means entries no document generates).
public struct CollectionConsistency: Sendable, Equatable {
    /// Documents read.
    public var documents = 0
    /// Documents without an `_id` or with an index entry missing.
    public var invalidDocuments = 0
    /// One per secondary index, in catalog order.
    public var indexes: [IndexConsistency] = []
    /// What is wrong, one line each (at most ``ConsistencyReport/maximumProblems``).
    public var problems: [String] = []

    /// Whether documents and indexes agree.
    public var isConsistent: Bool {
        invalidDocuments == 0 && problems.isEmpty && indexes.allSatisfy(\.isConsistent)
    }

    mutating func note(_ problem: String) {
        if problems.count < ConsistencyReport.maximumProblems { problems.append(problem) }
    }
}

/// One secondary index's side of a ``CollectionConsistency``.
public struct IndexConsistency: Sendable, Equatable {
    /// The index's name.
    public let name: String
    /// Entries the collection's documents generate.
    public var expectedEntries = 0
    /// Of those, how many the index lacks.
    public var missingEntries = 0
    /// Entries the index holds.
    public var storedEntries = 0

    /// Entries the index holds that no document generates.
    public var extraEntries: Int { max(0, storedEntries - (expectedEntries - missingEntries)) }
    /// Whether the index holds exactly what its documents generate.
    public var isConsistent: Bool { missingEntries == 0 && extraEntries == 0 }
}
