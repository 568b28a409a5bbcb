// DocumentPredicate: how the Documents layer asks "does this document match?" without
// knowing query syntax. The Query layer compiles partial index filters into predicates and
// hands the compiler to DocumentStoreOptions; Documents only calls it.

public import BSON

/// A compiled filter over whole documents (a partial index's `partialFilterExpression`).
public protocol DocumentPredicate: Sendable {
    /// Whether `document` matches.
    func matches(_ document: BSONDocument) -> Bool
}

/// Compiles a filter document (MongoDB query syntax) into a predicate, or throws MongoDB's
/// error for a filter it refuses. Supplied by the layer that knows query syntax.
public typealias DocumentPredicateCompiler = @Sendable (BSONDocument) throws(MongoError) -> any DocumentPredicate
