// Update: the public face of MongoDB update semantics as a pure function over BSONDocument —
// parse once (operators or a replacement), then apply to a stored document or build the
// document an upsert inserts. No storage here; the executor calls it.

public import BSON
public import Collation
import Documents

/// A parsed MongoDB update: an operator document (`{$set: ..., $inc: ...}`) or a replacement
/// document.
///
/// Parsing finds every error MongoDB reports before touching a document (unknown operators,
/// bad arguments, conflicting paths, bad array filters); applying finds the errors that depend
/// on the document (types, non-viable paths, `_id` changes).
public struct Update: Sendable {
    private enum Kind: Sendable {
        case replacement(BSONDocument)
        case operators(ObjectNode)
    }

    private let kind: Kind
    private let arrayFilters: [String: Filter]
    private let collator: Collator?

    /// Whether the update is a replacement document rather than operators.
    public var isReplacement: Bool {
        if case .replacement = kind { return true }
        return false
    }

    /// Whether some path uses the positional `$`, so the executor must supply the query's
    /// matched array index.
    public let usesPositionalOperator: Bool

    /// If the update is only `$set` and `$inc` (and `$setOnInsert`, which does nothing to an
    /// existing document) on fixed paths — no `$`, `$[]`, `$[<id>]`, not `_id` — those changes
    /// in MongoDB's processing order; `nil` otherwise.
    ///
    /// They are only the whole update when every path names an existing field of an existing
    /// document and each `$inc` meets a number; otherwise ``apply(to:positionalIndex:now:)``
    /// decides (creating fields, errors).
    public let simpleFieldChanges: [SimpleFieldChange]?

    /// Parses `spec`: an operator document when its first field starts with `$`, otherwise a
    /// replacement document (an empty document is a replacement, as in MongoDB).
    ///
    /// - Parameter arrayFilters: the `arrayFilters` of the update; each must have one
    ///   top-level field name, the identifier `$[<id>]` paths refer to.
    /// - Parameter collator: the operation's collation (`nil`: simple), which MongoDB applies
    ///   to the array filters and to the operators that compare values: `$addToSet`'s
    ///   uniqueness, `$pull`'s conditions, `$pullAll`'s equality, `$push`'s `$sort` and
    ///   `$min`/`$max`.
    public init(_ spec: BSONDocument, arrayFilters: [BSONDocument] = [], collator: Collator? = nil) throws(MongoError) {
        let filters = try ArrayFilters.compile(arrayFilters, collator: collator)
        self.arrayFilters = filters
        self.collator = collator
        guard let first = spec.first, first.key.hasPrefix("$") else {
            kind = .replacement(spec)
            usesPositionalOperator = false
            simpleFieldChanges = nil
            return
        }
        var builder = UpdateTreeBuilder(arrayFilterIdentifiers: Set(filters.keys))
        for (name, argument) in spec.elements {
            guard let op = UpdateOperator(rawValue: name) else {
                throw MongoError(.failedToParse, "Unknown modifier: \(name). Expected a valid update modifier or "
                                 + "pipeline-style update specified as an array")
            }
            guard case .document(let fields) = argument else {
                throw MongoError(.failedToParse, "Modifiers operate on fields but we found type \(argument.type.alias) "
                                 + "instead. For example: {$mod: {<field>: ...}} not {\(ValueText.element(name, argument))}")
            }
            for (path, value) in fields.elements {
                if op == .rename {
                    _ = try builder.checkPath(path)
                    try builder.add(.renameSource, at: path)
                    guard case .string(let target) = value else {
                        throw MongoError(.badValue, "The 'to' field for $rename must be a string: "
                                         + ValueText.element(path, value))
                    }
                    _ = try builder.checkPath(target)
                    try builder.add(try Modifier(op, path: path, argument: value, collator: collator), at: target)
                } else {
                    _ = try builder.checkPath(path)
                    try builder.add(try Modifier(op, path: path, argument: value, collator: collator), at: path)
                }
            }
        }
        for identifier in filters.keys.sorted() where !builder.usedIdentifiers.contains(identifier) {
            throw MongoError(.failedToParse, "The array filter for identifier '\(identifier)' was not used in the "
                             + "update \(ValueText.document(spec))")
        }
        kind = .operators(builder.root)
        usesPositionalOperator = builder.isPositional
        simpleFieldChanges = Self.simpleChanges(builder.root)
    }

    /// Applies the update to an existing document.
    ///
    /// - Parameters:
    ///   - positionalIndex: the array index the query matched (``FilterMatch/positionalIndex``),
    ///     needed when the update uses `$`.
    ///   - now: the time `$currentDate` (and zero timestamps in a replacement) take.
    public func apply(to document: BSONDocument, positionalIndex: Int?,
                      now: BSONDateTime) throws(MongoError) -> UpdateOutcome {
        switch kind {
        case .replacement(let replacement):
            return try replace(document, with: replacement, now: now, isInsert: false)
        case .operators(let tree):
            let root = EditNode(root: document)
            var applier = UpdateApplier(root: root, matchedField: positionalIndex.map { String($0) }, isInsert: false,
                                        validateForStorage: true, now: now, arrayFilters: arrayFilters, collator: collator)
            let start = UpdateApplier.Position(element: root, parent: nil, pathTaken: [], pathToCreate: [])
            guard try applier.apply(.object(tree), at: start) else {
                return UpdateOutcome(document: document, modified: false, changedPaths: [])
            }
            return UpdateOutcome(document: root.documentValue, modified: true,
                                 changedPaths: Self.keepShortest(applier.changedPaths))
        }
    }

    /// The document an upsert inserts when `query` matched nothing.
    ///
    /// For operators: the query's equality fields (top-level equality and `$eq`, inside
    /// `$and` too; dotted paths create embedded documents; other operators are ignored) seed
    /// the document, then the update applies with `$setOnInsert`. For a replacement: the
    /// replacement plus the query's `_id`. `_id` comes first; a new ObjectId is generated when
    /// there is none.
    public func upsertDocument(query: BSONDocument, now: BSONDateTime) throws(MongoError) -> BSONDocument {
        var document: BSONDocument
        switch kind {
        case .replacement(let replacement):
            let seed = try UpsertSeed.document(from: query, onlyId: true)
            document = try replace(seed.documentValue, with: replacement, now: now, isInsert: true).document
        case .operators(let tree):
            let root = try UpsertSeed.document(from: query, onlyId: false)
            var applier = UpdateApplier(root: root, matchedField: nil, isInsert: true, validateForStorage: false,
                                        now: now, arrayFilters: arrayFilters, collator: collator)
            let start = UpdateApplier.Position(element: root, parent: nil, pathTaken: [], pathToCreate: [])
            _ = try applier.apply(.object(tree), at: start)
            document = root.documentValue
        }
        document = Self.idFirst(document, generate: true)
        try StorageValidation.validate(document, allowTopLevelDollarPrefixes: true)
        return document
    }

    // MARK: - Replacement

    private func replace(_ original: BSONDocument, with replacement: BSONDocument, now: BSONDateTime,
                         isInsert: Bool) throws(MongoError) -> UpdateOutcome {
        if original == replacement {
            return UpdateOutcome(document: original, modified: false, changedPaths: [])
        }
        var result = BSONDocument()
        if !replacement.contains(key: "_id"), let id = original["_id"] {
            result.append("_id", id)
        }
        for (name, value) in replacement.elements {
            // A zero timestamp outside _id becomes the current time, as in an insert.
            if name != "_id", case .timestamp(let stamp) = value, stamp.timestamp == 0, stamp.increment == 0 {
                let seconds = UInt32(clamping: max(0, now.millisecondsSinceEpoch / 1000))
                result.append(name, .timestamp(BSONTimestamp(timestamp: seconds, increment: 1)))
            } else {
                result.append(name, value)
            }
        }
        result = Self.idFirst(result, generate: false)
        if !isInsert {
            try StorageValidation.validate(result, allowTopLevelDollarPrefixes: false)
        }
        if let old = original["_id"], let new = result["_id"], BSONValue.compare(old, new) != 0 {
            throw MongoError(.immutableField, "After applying the update, the (immutable) field '_id' was found to "
                             + "have been altered to \(ValueText.element("_id", new))")
        }
        var changed: [[String]] = []
        for (name, value) in result.elements where original[name] != value { changed.append([name]) }
        for name in original.keys where !result.contains(key: name) { changed.append([name]) }
        return UpdateOutcome(document: result, modified: true, changedPaths: Self.keepShortest(changed))
    }

    /// `_id` moved to the front; with `generate`, a new ObjectId when there is none.
    private static func idFirst(_ document: BSONDocument, generate: Bool) -> BSONDocument {
        guard let index = document.index(forKey: "_id") else {
            guard generate else { return document }
            var result = BSONDocument([("_id", .objectId(ObjectId()))])
            for (name, value) in document.elements { result.append(name, value) }
            return result
        }
        if index == 0 { return document }
        var elements = document.elements.map { ($0.key, $0.value) }
        let id = elements.remove(at: index)
        elements.insert(id, at: 0)
        return BSONDocument(elements)
    }

    // MARK: - Paths

    /// Removes duplicates and paths below another listed path, keeping first-seen order.
    private static func keepShortest(_ paths: [[String]]) -> [FieldPath] {
        var kept: [[String]] = []
        for path in paths {
            if kept.contains(where: { path.starts(with: $0) }) { continue }
            kept.removeAll { $0.starts(with: path) }
            kept.append(path)
        }
        return kept.map { FieldPath(components: $0) }
    }

    private static func simpleChanges(_ root: ObjectNode) -> [SimpleFieldChange]? {
        var changes: [SimpleFieldChange] = []
        func walk(_ node: ObjectNode, _ prefix: [String]) -> Bool {
            if node.positional != nil { return false }
            for (name, child) in node.children {
                let path = prefix + [name]
                switch child {
                case .object(let object):
                    guard walk(object, path) else { return false }
                case .leaf(.set(let value)):
                    changes.append(.set(FieldPath(components: path), value))
                case .leaf(.inc(let amount)):
                    changes.append(.increment(FieldPath(components: path), amount))
                case .leaf(.setOnInsert):
                    continue
                default:
                    return false
                }
            }
            return true
        }
        guard walk(root, []), !root.children.contains(where: { $0.name == "_id" }) else { return nil }
        return changes
    }
}

/// The result of applying an update to a document.
public struct UpdateOutcome: Sendable {
    /// The document after the update (the original when nothing changed).
    public var document: BSONDocument
    /// Whether the update changed the document (MongoDB's `nModified`): `$set` to the same
    /// value, `$inc` by 0, `$addToSet` of a present value and the like are no-ops.
    public var modified: Bool
    /// The paths that changed, shortest first-seen (a path below another is not repeated);
    /// adding array elements reports the array's path.
    public var changedPaths: [FieldPath]

    /// An outcome.
    public init(document: BSONDocument, modified: Bool, changedPaths: [FieldPath]) {
        self.document = document
        self.modified = modified
        self.changedPaths = changedPaths
    }
}

/// A change to one fixed path that an executor can apply as a small delta.
public enum SimpleFieldChange: Sendable, Equatable {
    /// `$set`: the field takes the value.
    case set(FieldPath, BSONValue)
    /// `$inc`: the number is added to the field (MongoDB's numeric type rules).
    case increment(FieldPath, BSONValue)
}
