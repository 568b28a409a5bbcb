// Fixtures for the index tests: key generation as a set of encoded keys, full and bounded
// scans collected into arrays, a test-only predicate compiler for partial indexes, and
// helpers that expect a MongoError code.

import BSON
import Testing
@testable import Documents

/// The keys `pattern` gives `document`, each as the KeyEncoding of its values (so `1` and
/// `1.0` are the same key, as in MongoDB's KeyString sets).
func generatedKeys(_ pattern: BSONDocument, _ document: BSONDocument, sparse: Bool = false) throws -> Set<[UInt8]> {
    let generator = IndexKeyGenerator(fields: IndexKeyPattern.fields(of: pattern), isSparse: sparse)
    return Set(try generator.keys(for: document).keys.map { KeyEncoding.key(for: .array($0.values)) })
}

/// The expected keys, encoded like `generatedKeys`.
func keySet(_ keys: [[BSONValue]]) -> Set<[UInt8]> {
    Set(keys.map { KeyEncoding.key(for: .array($0)) })
}

/// The key pattern fields (by position) that `pattern`'s keys for `document` mark multikey.
func multikeyPositions(_ pattern: BSONDocument, _ document: BSONDocument) throws -> Set<Int> {
    try IndexKeyGenerator(fields: IndexKeyPattern.fields(of: pattern), isSparse: false).keys(for: document).multikeyFields
}

/// Every entry of index `name` within `bounds` (all values when `nil`), in scan order.
func scanned(
    _ collection: DocumentCollection, _ name: String, bounds: [[IndexInterval]]? = nil, reverse: Bool = false,
    statistics: inout IndexScanStatistics
) throws -> [IndexEntry] {
    let width = collection.index(named: name)?.key.count ?? 1
    var entries: [IndexEntry] = []
    try collection.scanIndex(named: name, bounds: bounds ?? Array(repeating: [.all], count: width), reverse: reverse,
                             statistics: &statistics) { entry in
        entries.append(entry)
        return true
    }
    return entries
}

/// Every entry of index `name` within `bounds`, in scan order.
func scanned(
    _ collection: DocumentCollection, _ name: String, bounds: [[IndexInterval]]? = nil, reverse: Bool = false
) throws -> [IndexEntry] {
    var statistics = IndexScanStatistics()
    return try scanned(collection, name, bounds: bounds, reverse: reverse, statistics: &statistics)
}

/// Runs `body` and returns the MongoError it throws, recording an issue when it throws
/// nothing or something else.
@discardableResult
func expectMongoError(
    _ code: MongoError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> MongoError? {
    do {
        try body()
        Issue.record("expected \(code.name) (\(code.rawValue)), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as MongoError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code.name), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// `{field: {$gt: value}}`, the only filter the test compiler accepts: matches documents
/// whose top-level `field` has the bound's type bracket and is greater.
struct GreaterThanPredicate: DocumentPredicate {
    let field: String
    let bound: BSONValue

    func matches(_ document: BSONDocument) -> Bool {
        guard let value = document[field], value.type.canonicalRank == bound.type.canonicalRank else { return false }
        return BSONValue.compare(value, bound) > 0
    }
}

/// A predicate compiler for `{field: {$gt: value}}` only.
let greaterThanCompiler: DocumentPredicateCompiler = { (filter: BSONDocument) throws(MongoError) -> any DocumentPredicate in
    guard filter.count == 1, case let .document(operation) = filter[0].value, operation.count == 1,
          operation[0].key == "$gt"
    else {
        throw MongoError(.badValue, "test compiler: unsupported filter \(filter.extendedJSON())")
    }
    return GreaterThanPredicate(field: filter[0].key, bound: operation[0].value)
}

/// Store options with the test predicate compiler.
var optionsWithCompiler: DocumentStoreOptions {
    var options = DocumentStoreOptions()
    options.predicateCompiler = greaterThanCompiler
    return options
}

/// Whether two lists of values are equal by MongoDB's comparison.
func sameValues(_ lhs: [BSONValue], _ rhs: [BSONValue]) -> Bool {
    lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { BSONValue.compare($0, $1) == 0 }
}
