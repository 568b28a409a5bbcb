// OpenIndex: a secondary index as writers and scanners use it — its key space, parsed spec
// and compiled partial filter. Lives in the catalog's in-memory state next to the collection;
// the metadata users see stays in IndexDescription.

internal import BSON
internal import Storage

extension Catalog {
    /// A built secondary index of an open collection.
    struct OpenIndex: Sendable {
        /// The index name (its description is the collection description's entry of this name).
        let name: String
        /// Where its entries live.
        let keySpace: any KeySpace
        /// What it indexes.
        let spec: IndexSpec
        /// The compiled partial filter, or why there is none.
        let filter: PartialFilter

        /// A partial index's compiled filter.
        enum PartialFilter: Sendable {
            /// Not a partial index: every document is indexed.
            case none
            /// Documents matching the predicate are indexed.
            case compiled(any DocumentPredicate)
            /// The filter could not be compiled (no compiler configured, or it failed):
            /// writes to the collection fail rather than leave the index incomplete.
            case unavailable(MongoError)
        }

        /// An open index for `description`, compiling its partial filter with `compiler`.
        init(description: IndexDescription, keySpace: any KeySpace, compiler: DocumentPredicateCompiler?) {
            name = description.name
            self.keySpace = keySpace
            spec = IndexSpec(description)
            guard let partial = description.partialFilter else {
                filter = .none
                return
            }
            guard let compiler else {
                filter = .unavailable(MongoError(
                    .badValue,
                    "index \(description.name) has a partialFilterExpression but the store has no predicate compiler"))
                return
            }
            do {
                filter = .compiled(try compiler(partial))
            } catch {
                filter = .unavailable(error)
            }
        }

        /// Whether `document` belongs in the index (always, unless a partial filter rejects it).
        func includes(_ document: BSONDocument) throws(MongoError) -> Bool {
            switch filter {
            case .none: return true
            case let .compiled(predicate): return predicate.matches(document)
            case let .unavailable(error): throw error
            }
        }
    }
}
