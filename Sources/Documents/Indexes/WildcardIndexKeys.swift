// WildcardIndexKeys: wildcard indexes (`{"$**": 1}`, `{"path.$**": 1}`, `wildcardProjection`)
// — MongoDB 8.0's pattern and option rules with their codes, the projection that selects the
// indexed paths, and key generation: one key `[path, value]` per leaf value of the projected
// document (paths through embedded documents, arrays expanded element by element, nested
// arrays and empty documents indexed whole, empty arrays as undefined), and the array paths
// met (the index's multikey paths). Compound wildcard indexes are refused.

internal import BSON
internal import Collation

/// MongoDB's rules for wildcard key patterns and options.
enum WildcardIndexRules {
    /// MongoDB's plugin name of a wildcard index.
    static let plugin = "wildcard"
    /// The option naming the indexed paths of a `"$**"` index.
    static let projectionOption = "wildcardProjection"

    /// Whether `name` is a wildcard key field: `$**` or ending in `.$**`.
    static func isWildcardField(_ name: String) -> Bool {
        name == "$**" || name.hasSuffix(".$**")
    }

    /// Whether a key pattern is a wildcard pattern (a numeric wildcard field).
    static func isWildcard(_ key: BSONDocument) -> Bool {
        key.contains { isWildcardField($0.key) && $0.value.isNumeric }
    }

    /// Checks a wildcard pattern (field names and values are validated by the caller).
    ///
    /// - Throws: 7246201 for two wildcard fields; `CannotCreateIndex` (67) for a compound
    ///   wildcard pattern (Tessera builds single-field wildcard indexes only, and refuses the
    ///   rest as mongod does without compound wildcard support).
    static func validate(_ key: BSONDocument) throws(MongoError) {
        let wildcards = key.filter { isWildcardField($0.key) }.count
        if wildcards > 1 {
            throw MongoError(MongoError.Code(7246201, "Location7246201"), "The index can't have more than one wildcard field")
        }
        guard key.count == 1 else { throw MongoError(.cannotCreateIndex, "wildcard indexes do not allow compounding") }
    }

    /// MongoDB's refusal of a string value naming the wildcard plugin (`{a: "wildcard"}`).
    static var stringValueError: MongoError {
        MongoError(.cannotCreateIndex, "The key pattern value for an 'wildcard' index must be a non-zero number, not a string.")
    }

    /// Checks `wildcardProjection` and the options a wildcard index refuses, in mongod's order.
    ///
    /// - Throws: `BadValue` (2) for `wildcardProjection` on another index type, `TypeMismatch`
    ///   (14) for a projection that is not a document, `FailedToParse` (9) for one on a
    ///   `"path.$**"` pattern or an empty one, the projection's parse errors (31253, 31254,
    ///   51271, 31249, 31250), and `CannotCreateIndex` (67) for `sparse`, `unique`,
    ///   `expireAfterSeconds` or `v: 1` on a wildcard index.
    static func validateOptions(key: BSONDocument, options: BSONDocument) throws(MongoError) {
        let isWildcard = isWildcard(key)
        if let projection = options[projectionOption] {
            guard isWildcard else {
                throw MongoError(.badValue, "The field 'wildcardProjection' is only allowed in 'wildcard' indexes")
            }
            guard case let .document(document) = projection else {
                throw MongoError(.typeMismatch,
                                 "The field 'wildcardProjection' must be a non-empty object, but got \(projection.type.alias)")
            }
            guard key["$**"] != nil else {
                throw MongoError(.failedToParse,
                                 "The field 'wildcardProjection' is only allowed when 'key' is {\"$**\": ±1} or {\"$**\": \"columnstore\"}")
            }
            guard !document.isEmpty else {
                throw MongoError(.failedToParse, "The 'wildcardProjection' field can't be an empty object")
            }
            do {
                _ = try WildcardProjection(parsing: document)
            } catch {
                throw MongoError(error.code, "Failed to parse projection: wildcardProjection :: caused by :: \(error.message)")
            }
        }
        guard isWildcard else { return }
        if let sparse = options["sparse"], IndexSpecValidation.isTrue(sparse) {
            throw MongoError(.cannotCreateIndex, "Index type 'wildcard' does not support the sparse option")
        }
        if let unique = options["unique"], IndexSpecValidation.isTrue(unique) {
            throw MongoError(.cannotCreateIndex, "Index type 'wildcard' does not support the unique option")
        }
        if options["expireAfterSeconds"] != nil {
            throw MongoError(.cannotCreateIndex, "Index type 'wildcard' cannot be a TTL index")
        }
        if let version = options["v"], version.isNumeric, BSONValue.compare(version, .int32(1)) == 0 {
            throw MongoError(.cannotCreateIndex,
                             "Index type 'wildcard' requires index version v:2, cannot create an index with v=1")
        }
    }
}

/// The paths a wildcard index indexes: an inclusion or exclusion projection, as a tree of
/// path components. `_id` is left out unless explicitly included (MongoDB's wildcard policy).
public struct WildcardProjection: Sendable, Equatable {
    /// One path component of the projection.
    struct Node: Sendable, Equatable {
        /// Components below this one named by the projection.
        var children: [String: Node] = [:]
        /// Whether the projection names this path itself (its whole subtree is in or out).
        var isTerminal = false
    }

    /// Whether the named paths are the ones indexed (else they are the ones left out).
    let isInclusion: Bool
    /// The named paths.
    let root: Node

    /// A projection of the given mode and paths.
    init(isInclusion: Bool, root: Node) {
        self.isInclusion = isInclusion
        self.root = root
    }

    /// The projection of `{"path.$**": 1}` (`path` included) or `{"$**": 1}` with the given
    /// `wildcardProjection` (none: everything but `_id`).
    init(keyField: String, projection: BSONDocument?) throws(MongoError) {
        if keyField != "$**" {
            var root = Node()
            Self.insert(Array(keyField.dropLast(4).split(separator: ".", omittingEmptySubsequences: false).map(String.init))[...],
                        into: &root)
            isInclusion = true
            self.root = root
        } else if let projection {
            self = try WildcardProjection(parsing: projection)
        } else {
            isInclusion = false
            var root = Node()
            root.children["_id"] = Node(isTerminal: true)
            self.root = root
        }
    }

    /// Parses a `wildcardProjection` document.
    ///
    /// - Throws: 31253/31254 for mixing inclusion and exclusion (other than `_id`), 51271 for
    ///   a computed field or an operator, 31249/31250 for paths that collide.
    init(parsing projection: BSONDocument) throws(MongoError) {
        var flat: [(path: [String], include: Bool)] = []
        try Self.flatten(projection, prefix: [], into: &flat)
        let mode = flat.first { $0.path != ["_id"] }?.include ?? flat.first?.include ?? false
        var root = Node()
        var idStated: Bool?
        var inserted: [[String]] = []
        for (path, include) in flat {
            if path == ["_id"] {
                idStated = include
                continue
            }
            guard include == mode else {
                let dotted = path.joined(separator: ".")
                throw include
                    ? MongoError(MongoError.Code(31253, "Location31253"), "Cannot do inclusion on field \(dotted) in exclusion projection")
                    : MongoError(MongoError.Code(31254, "Location31254"), "Cannot do exclusion on field \(dotted) in inclusion projection")
            }
            for other in inserted {
                if path.starts(with: other) {
                    throw MongoError(MongoError.Code(31250, "Location31250"),
                                     "Path collision at \(path.joined(separator: ".")) remaining portion \(path.dropFirst(other.count).joined(separator: "."))")
                }
                if other.starts(with: path) {
                    throw MongoError(MongoError.Code(31249, "Location31249"), "Path collision at \(path.joined(separator: "."))")
                }
            }
            inserted.append(path)
            Self.insert(path[...], into: &root)
        }
        // `_id` is out unless stated in: an inclusion names it, an exclusion leaves it named.
        if mode, idStated == true { Self.insert(["_id"], into: &root) }
        if !mode, idStated != true { Self.insert(["_id"], into: &root) }
        isInclusion = mode
        self.root = root
    }

    private static func flatten(_ document: BSONDocument, prefix: [String], into flat: inout [(path: [String], include: Bool)]) throws(MongoError) {
        for element in document {
            let path = prefix + element.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if element.key.hasPrefix("$") || path.contains(where: \.isEmpty) {
                throw computedFieldError
            }
            switch element.value {
            case .bool, .int32, .int64, .double, .decimal128:
                flat.append((path, IndexSpecValidation.isTrue(element.value)))
            case let .document(nested) where !nested.isEmpty:
                try flatten(nested, prefix: path, into: &flat)
            default:
                throw computedFieldError
            }
        }
    }

    private static var computedFieldError: MongoError {
        MongoError(MongoError.Code(51271, "Location51271"),
                   "Bad projection specification, cannot use computed fields when parsing a spec in kBanComputedFields mode")
    }

    private static func insert(_ path: ArraySlice<String>, into node: inout Node) {
        guard let first = path.first else {
            node.isTerminal = true
            return
        }
        var child = node.children[first] ?? Node()
        insert(path.dropFirst(), into: &child)
        node.children[first] = child
    }

    /// Whether the index holds the values at dotted `path` (array positions not counted).
    public func indexes(path components: [String]) -> Bool {
        var node = root
        for component in components {
            guard let child = node.children[component] else { return !isInclusion }
            if child.isTerminal { return isInclusion }
            node = child
        }
        // A strict prefix of named paths: an inclusion holds only what lies below them.
        return !isInclusion
    }

    /// `document` with the projection applied (MongoDB's projection executor semantics:
    /// inclusion keeps the documents leading to included paths, dropping other values met in
    /// arrays on the way; exclusion removes the named paths inside arrays too).
    func apply(to document: BSONDocument) -> BSONDocument {
        isInclusion ? Self.included(document, root) : Self.excluded(document, root)
    }

    private static func included(_ document: BSONDocument, _ node: Node) -> BSONDocument {
        var result = BSONDocument()
        for element in document {
            guard let child = node.children[element.key] else { continue }
            if child.isTerminal {
                result.append(element.key, element.value)
            } else if let value = includedValue(element.value, child) {
                result.append(element.key, value)
            }
        }
        return result
    }

    private static func includedValue(_ value: BSONValue, _ node: Node) -> BSONValue? {
        switch value {
        case let .document(document): .document(included(document, node))
        case let .array(elements): .array(elements.compactMap { includedValue($0, node) })
        default: nil
        }
    }

    private static func excluded(_ document: BSONDocument, _ node: Node) -> BSONDocument {
        var result = BSONDocument()
        for element in document {
            guard let child = node.children[element.key] else {
                result.append(element.key, element.value)
                continue
            }
            if !child.isTerminal { result.append(element.key, excludedValue(element.value, child)) }
        }
        return result
    }

    private static func excludedValue(_ value: BSONValue, _ node: Node) -> BSONValue {
        switch value {
        case let .document(document): .document(excluded(document, node))
        case let .array(elements): .array(elements.map { excludedValue($0, node) })
        default: value
        }
    }
}

/// A wildcard index's parsed definition: its projection and value direction.
public struct WildcardIndexSpec: Sendable, Equatable {
    /// The indexed paths.
    public let projection: WildcardProjection
    /// Whether values are stored in descending order (`{"$**": -1}`).
    public let isDescending: Bool
    /// The name of the path field of a wildcard key (`{"$_path": 1, "a.b": 1}` in explain).
    public static let pathField = "$_path"

    /// The spec of a stored wildcard index description; `nil` for any other index.
    public init?(_ description: IndexDescription) {
        guard WildcardIndexRules.isWildcard(description.key), let field = description.key.first else { return nil }
        let stated = description.options[WildcardIndexRules.projectionOption]?.documentValue
        // Validated when created; a stored projection that no longer parses indexes everything.
        projection = (try? WildcardProjection(keyField: field.key, projection: stated))
            ?? WildcardProjection(isInclusion: false, root: WildcardProjection.Node())
        isDescending = BSONValue.compare(field.value, .int32(0)) < 0
    }

    /// The key fields of a wildcard index's entries: the path, then the value.
    var keyFields: [IndexKeyField] {
        [IndexKeyField(path: Self.pathField, isDescending: false),
         IndexKeyField(path: "$**", isDescending: isDescending)]
    }
}

extension IndexKeyGenerator {
    /// The keys of `document` in a wildcard index: `[path, value]` per leaf of the projected
    /// document, and the array paths met in `multikeyPaths`. MongoDB's
    /// `WildcardKeyGenerator::_traverseWildcard`.
    func wildcardKeys(for document: BSONDocument, spec: WildcardIndexSpec) -> Keys {
        var walk = WildcardWalk(spec: spec, collator: collator)
        var path: [String] = []
        walk.traverse(spec.projection.apply(to: document), path: &path)
        return walk.result
    }
}

/// The traversal of one projected document, accumulating distinct keys.
private struct WildcardWalk {
    let spec: WildcardIndexSpec
    let collator: Collator?
    var result = IndexKeyGenerator.Keys()
    private var seen: Set<[UInt8]> = []

    init(spec: WildcardIndexSpec, collator: Collator?) {
        self.spec = spec
        self.collator = collator
    }

    mutating func traverse(_ object: BSONDocument, path: inout [String]) {
        for element in object {
            // A field name with a dot cannot be queried by path: not indexed.
            if element.key.contains(".") { continue }
            path.append(element.key)
            visit(element.value, inArray: false, path: &path)
            path.removeLast()
        }
    }

    /// One value at `path` (array elements are indexed at their array's own path).
    private mutating func visit(_ value: BSONValue, inArray: Bool, path: inout [String]) {
        switch value {
        case let .array(elements):
            if inArray {
                emit(value, at: path)  // a nested array is a value
                return
            }
            result.multikeyPaths.insert(path.joined(separator: "."))
            if elements.isEmpty { emit(.undefined, at: path) }
            for element in elements { visit(element, inArray: true, path: &path) }
        case let .document(nested):
            if nested.isEmpty {
                emit(value, at: path)
            } else {
                traverse(nested, path: &path)
            }
        default:
            emit(value, at: path)
        }
    }

    private mutating func emit(_ value: BSONValue, at path: [String]) {
        let stored = collator.map { $0.comparisonKey(value) } ?? value
        let values: [BSONValue] = [.string(path.joined(separator: ".")), stored]
        var encoded: [UInt8] = []
        IndexEntryCodec.appendField(values[0], descending: false, to: &encoded)
        IndexEntryCodec.appendField(values[1], descending: spec.isDescending, to: &encoded)
        if seen.insert(encoded).inserted {
            result.keys.append(IndexKeyGenerator.Key(values: values, encoded: encoded))
        }
    }
}
