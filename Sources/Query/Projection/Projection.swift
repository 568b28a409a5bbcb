// Projection: the public face of a MongoDB find() projection — parsed and validated once
// (ProjectionParser), applied per document as a pure function (ProjectionExecutor). Knows
// nothing of collections, cursors or indexes; `coveredFields` is what a planner needs.

public import BSON
import Documents

/// A parsed MongoDB find() projection, applied to documents as a pure function.
///
/// Follows MongoDB 6/7: inclusion (`1`, `true`, any non-zero number) or exclusion (`0`,
/// `false`) with `_id` included unless excluded, dotted paths through embedded documents and
/// arrays, `$slice`, `$elemMatch`, positional `$`, literals and `$literal`. Inclusion keeps the
/// document's field order; computed fields come after the included ones.
public struct Projection: Sendable {
    /// The specification as given.
    public let spec: BSONDocument
    /// Whether this is an inclusion projection (only the named fields, plus `_id` unless
    /// excluded); otherwise an exclusion (every field but the named ones).
    public let isInclusion: Bool
    /// Whether the projection uses the positional `$` operator (`"a.$": 1`).
    public let usesPositional: Bool
    /// The query the projection goes with; it supplies positional `$` its index.
    public let filter: Filter?

    private let tree: ProjectionTree
    private let executor: ProjectionExecutor

    /// Parses `spec`. `filter` is the query; a positional `$` requires one.
    ///
    /// - Throws: MongoDB's errors for invalid projections, e.g. `Location31254` ("Cannot do
    ///   exclusion on field b in inclusion projection"), `Location31250` ("Path collision at
    ///   a.b"), `Location31276` (two positional operators).
    public init(_ spec: BSONDocument, filter: Filter? = nil) throws(MongoError) {
        var parser = ProjectionParser(filter: filter)
        let tree = try parser.parse(spec)
        let inclusion = parser.isInclusion ?? false
        self.spec = spec
        self.filter = filter
        self.tree = tree
        self.isInclusion = inclusion
        self.usesPositional = parser.hasPositional
        self.executor = ProjectionExecutor(tree: tree, isInclusion: inclusion)
    }

    /// Projects `document`. `positionalIndex` is, for a positional `$`, the index of the
    /// matching element in the first array the query traversed (`FilterMatch.positionalIndex`).
    ///
    /// - Throws: `Location51246` when the projected path holds an array but there is no
    ///   positional index, `Location51247` when the index is outside the projected array,
    ///   and the aggregation `$slice` expression's argument errors. (MongoDB's find prefixes
    ///   such messages with "Executor error during find command :: caused by :: ".)
    public func apply(to document: BSONDocument, positionalIndex: Int?) throws(MongoError) -> BSONDocument {
        try executor.apply(to: document, positionalIndex: positionalIndex)
    }

    /// Projects `document`, taking the positional index from matching `filter` against it.
    public func apply(to document: BSONDocument) throws(MongoError) -> BSONDocument {
        let index = usesPositional ? filter?.match(document)?.positionalIndex : nil
        return try executor.apply(to: document, positionalIndex: index)
    }

    /// For covered queries: the document paths an inclusion projection's result is built from
    /// (`_id` first when it is included), or `nil` when the result needs the whole document
    /// — an exclusion, or `$slice`, `$elemMatch`, positional `$` or a field-path expression.
    /// Constant computed fields (`{a: "x"}`, `$literal`) read nothing and are not listed.
    public var coveredFields: [FieldPath]? {
        guard isInclusion else { return nil }
        var paths: [FieldPath] = []
        guard Self.collectCovered(tree, prefix: [], into: &paths) else { return nil }
        if let id = paths.firstIndex(where: { $0.components == ["_id"] }) {
            paths.insert(paths.remove(at: id), at: 0)
        }
        return paths
    }

    private static func collectCovered(_ tree: ProjectionTree, prefix: [String], into paths: inout [FieldPath]) -> Bool {
        for (name, node) in tree.children {
            let path = prefix + [name]
            switch node {
            case .path(let inner):
                guard collectCovered(inner, prefix: path, into: &paths) else { return false }
            case .boolean(let included):
                if included { paths.append(FieldPath(components: path)) }
            case .expression(.constant):
                continue
            case .expression, .slice, .positional:
                return false
            }
        }
        return true
    }
}
