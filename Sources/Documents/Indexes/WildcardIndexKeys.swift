// WildcardIndexKeys: wildcard indexes (`{"$**": 1}`, `{"path.$**": 1}`, `wildcardProjection`)
// — MongoDB 8.0's pattern and option rules with their codes, the projection that selects the
// indexed paths, and key generation: one key `[path, value]` per leaf value of the projected
// document (paths through embedded documents, arrays expanded element by element, nested
// arrays and empty documents indexed whole, empty arrays as undefined), and the array paths
// met (the index's multikey paths); a compound wildcard index's regular fields around them.

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

    /// Checks a wildcard pattern (field names and values are validated by the caller):
    /// mongod's `validateWildcardIndex`.
    ///
    /// - Throws: 7246201 for two wildcard fields; 7246204 for a regular field inside the
    ///   wildcard term's subtree (`{a: 1, "a.$**": 1}`).
    static func validate(_ key: BSONDocument) throws(MongoError) {
        let wildcards = key.keys.filter(isWildcardField)
        if wildcards.count > 1 {
            throw MongoError(MongoError.Code(7246201, "Location7246201"), "Index Key can contain only one wildcard index field")
        }
        guard let wildcard = wildcards.first else { return }
        let root = wildcard.dropLast(3).split(separator: ".").map(String.init)
        guard !root.isEmpty else { return }
        for field in key.keys where !isWildcardField(field) && isPrefix(root, of: components(field)) {
            throw MongoError(MongoError.Code(7246204, "Location7246204"),
                             "A wildcard index field should not overlap with and index key fields if wildcard projection is empty, however '\(field)' is overlapping with the wildcard index field.")
        }
    }

    /// mongod's rule for a compound `{..., "$**": 1, ...}` index: it must name its paths.
    ///
    /// - Throws: `CannotCreateIndex` (67) for a compound `$**` pattern without
    ///   `wildcardProjection`.
    static func validateCompoundProjectionPresence(key: BSONDocument, options: BSONDocument) throws(MongoError) {
        guard isWildcard(key), key.count > 1, key["$**"] != nil, options[projectionOption] == nil else { return }
        throw MongoError(.cannotCreateIndex, "Compound wildcard indexes on all fields must also specify 'wildcardProjection' option")
    }

    /// mongod 8.0's `validateWildcardProjection` for a compound wildcard index: the projection's
    /// top-level paths, split into included and excluded, checked against the regular fields.
    ///
    /// - Throws: 7246200 for overlapping paths of one kind, 7246208 for an included path over a
    ///   regular field, 7246211 for mixing inclusion and exclusion (other than `_id` alone),
    ///   7246209/7246210 for an exclusion that leaves a regular field indexed.
    static func validateCompoundProjection(key: BSONDocument, projection: BSONDocument) throws(MongoError) {
        var included: [[String]] = []
        var excluded: [[String]] = []
        for element in projection {
            if IndexSpecValidation.isTrue(element.value) {
                included.append(components(element.key))
            } else {
                excluded.append(components(element.key))
            }
        }
        let regular = key.keys.filter { !isWildcardField($0) }.map(components).sorted(by: precedes)
        included.sort(by: precedes)
        excluded.sort(by: precedes)
        for paths in [included, excluded] {
            for (earlier, later) in zip(paths, paths.dropFirst()) where isPrefix(earlier, of: later) || isPrefix(later, of: earlier) {
                throw MongoError(MongoError.Code(7246200, "Location7246200"),
                                 "Fields in Wildcard Projection cannot overlap, however '\(dotted(earlier))' is overlapped with '\(dotted(later))'")
            }
        }
        let id = ["_id"]
        let onlyIDExcluded = excluded == [id]
        let onlyIDIncluded = included == [id]
        // Merge walk over the sorted lists: an included path may not be a regular field or
        // lie above one (`_id` included beside exclusions is not an inclusion projection).
        var field = regular.startIndex
        var path = included.startIndex
        while field < regular.endIndex && path < included.endIndex && !(onlyIDIncluded && !excluded.isEmpty) {
            if isPrefix(included[path], of: regular[field]) {
                throw MongoError(MongoError.Code(7246208, "Location7246208"),
                                 "Index Key and Wildcard Projection cannot contain overlapping fields, however '\(dotted(regular[field]))' index field is overlapping with '\(dotted(included[path]))' wildcardProjection path.")
            }
            if precedes(included[path], regular[field]) { path += 1 } else { field += 1 }
        }
        if !included.isEmpty && !excluded.isEmpty && !onlyIDExcluded && !onlyIDIncluded {
            throw MongoError(MongoError.Code(7246211, "Location7246211"),
                             "Inclusion and exclusion statements cannot combine in the wildcardProjection with an exception of explicitly including _id field")
        }
        // An exclusion projection (excluding `_id` beside inclusions is not one) must exclude
        // every regular field.
        guard !excluded.isEmpty, !(onlyIDExcluded && !included.isEmpty) else { return }
        field = regular.startIndex
        path = excluded.startIndex
        while field < regular.endIndex && path < excluded.endIndex {
            if isPrefix(excluded[path], of: regular[field]) {
                field += 1
            } else if precedes(excluded[path], regular[field]) {
                path += 1
            } else {
                throw MongoError(MongoError.Code(7246209, "Location7246209"),
                                 "wildcardProjection paths must exclude all regular index fields, however '\(dotted(regular[field]))'is not excluded.")
            }
        }
        if field < regular.endIndex {
            throw MongoError(MongoError.Code(7246210, "Location7246210"),
                             "wildcardProjection paths must exclude all regular index fields, however '\(dotted(regular[field]))'is not excluded.")
        }
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    private static func dotted(_ components: [String]) -> String {
        components.joined(separator: ".")
    }

    /// Whether `prefix` is `path` or a leading part of it, component by component.
    private static func isPrefix(_ prefix: [String], of path: [String]) -> Bool {
        prefix.count <= path.count && path.starts(with: prefix)
    }

    /// mongod's FieldRef order: component by component, bytewise; a prefix first.
    private static func precedes(_ lhs: [String], _ rhs: [String]) -> Bool {
        for (left, right) in zip(lhs, rhs) where left != right {
            return left.utf8.lexicographicallyPrecedes(right.utf8)
        }
        return lhs.count < rhs.count
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
            if key.count > 1 { try validateCompoundProjection(key: key, projection: document) }
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

/// A wildcard index's parsed definition: its projection, value direction and, for a compound
/// wildcard index (`{a: 1, "b.$**": 1, c: -1}`), the regular fields around the wildcard term.
public struct WildcardIndexSpec: Sendable, Equatable {
    /// The indexed paths.
    public let projection: WildcardProjection
    /// Whether values are stored in descending order (`{"$**": -1}`).
    public let isDescending: Bool
    /// The regular fields before the wildcard term, in pattern order.
    public let prefixFields: [IndexKeyField]
    /// The regular fields after the wildcard term, in pattern order.
    public let suffixFields: [IndexKeyField]
    /// The name of the path field of a wildcard key (`{"$_path": 1, "a.b": 1}` in explain).
    public static let pathField = "$_path"

    /// Whether the index has regular fields beside its wildcard term.
    public var isCompound: Bool { !prefixFields.isEmpty || !suffixFields.isEmpty }

    /// The spec of a stored wildcard index description; `nil` for any other index.
    public init?(_ description: IndexDescription) {
        guard WildcardIndexRules.isWildcard(description.key),
              let position = description.key.keys.firstIndex(where: WildcardIndexRules.isWildcardField)
        else { return nil }
        let field = description.key[position]
        let stated = description.options[WildcardIndexRules.projectionOption]?.documentValue
        // Validated when created; a stored projection that no longer parses indexes everything.
        projection = (try? WildcardProjection(keyField: field.key, projection: stated))
            ?? WildcardProjection(isInclusion: false, root: WildcardProjection.Node())
        isDescending = BSONValue.compare(field.value, .int32(0)) < 0
        let regular = IndexKeyPattern.fields(of: description.key)
        prefixFields = Array(regular[..<position])
        suffixFields = Array(regular[(position + 1)...])
    }

    /// The key fields of a wildcard index's entries: the prefix fields, the path, the value,
    /// then the suffix fields.
    var keyFields: [IndexKeyField] {
        prefixFields
            + [IndexKeyField(path: Self.pathField, isDescending: false),
               IndexKeyField(path: "$**", isDescending: isDescending)]
            + suffixFields
    }
}

extension IndexKeyGenerator {
    /// The keys of `document` in a wildcard index: `[path, value]` per leaf of the projected
    /// document (between the regular fields' values in a compound wildcard index), and the
    /// array paths met in `multikeyPaths`. MongoDB's `WildcardKeyGenerator::generateKeys`: a
    /// compound index also keys a document with no indexed path but some regular field, with
    /// MinKey as path and value, so queries on the regular fields alone can use it.
    ///
    /// - Throws: 7246301 when a regular field of a compound wildcard index meets an array
    ///   (its regular fields cannot be multikey).
    func wildcardKeys(for document: BSONDocument, spec: WildcardIndexSpec) throws(MongoError) -> Keys {
        let prefix = try spec.prefixFields.map { field throws(MongoError) in try Self.regularValue(field, in: document) }
        let suffix = try spec.suffixFields.map { field throws(MongoError) in try Self.regularValue(field, in: document) }
        var walk = WildcardWalk(spec: spec, collator: collator,
                                prefix: prefix.map { $0 ?? .null }, suffix: suffix.map { $0 ?? .null })
        var path: [String] = []
        walk.traverse(spec.projection.apply(to: document), path: &path)
        if walk.result.keys.isEmpty, !(prefix + suffix).compactMap({ $0 }).isEmpty {
            walk.emitWithoutPath()
        }
        return walk.result
    }

    /// The value of a compound wildcard index's regular field in `document`; `nil` when missing.
    private static func regularValue(_ field: IndexKeyField, in document: BSONDocument) throws(MongoError) -> BSONValue? {
        var current = BSONValue.document(document)
        for component in field.components {
            switch current {
            case let .document(object):
                guard let next = object[component] else { return nil }
                current = next
            case .array:
                throw regularArrayError(field.path)
            default:
                return nil
            }
        }
        if case .array = current { throw regularArrayError(field.path) }
        return current
    }

    private static func regularArrayError(_ path: String) -> MongoError {
        MongoError(MongoError.Code(7246301, "Location7246301"),
                   "The non-wildcard field '\(path)' of a compound wildcard index cannot be an array")
    }
}

/// The traversal of one projected document, accumulating distinct keys.
private struct WildcardWalk {
    let spec: WildcardIndexSpec
    let collator: Collator?
    /// A compound index's regular field values before and after the wildcard term.
    let prefix: [BSONValue]
    let suffix: [BSONValue]
    var result = IndexKeyGenerator.Keys()
    private var seen: Set<[UInt8]> = []

    init(spec: WildcardIndexSpec, collator: Collator?, prefix: [BSONValue], suffix: [BSONValue]) {
        self.spec = spec
        self.collator = collator
        self.prefix = prefix
        self.suffix = suffix
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
        append(path: .string(path.joined(separator: ".")), value: collator.map { $0.comparisonKey(value) } ?? value)
    }

    /// The key of a document with regular fields but no indexed path: MinKey as both path and
    /// value (mongod's marker, below every real path).
    mutating func emitWithoutPath() {
        append(path: .minKey, value: .minKey)
    }

    private mutating func append(path: BSONValue, value: BSONValue) {
        let regular = { (value: BSONValue) in self.collator.map { $0.comparisonKey(value) } ?? value }
        let values = prefix.map(regular) + [path, value] + suffix.map(regular)
        var encoded: [UInt8] = []
        for (field, component) in zip(spec.keyFields, values) {
            IndexEntryCodec.appendField(component, descending: field.isDescending, to: &encoded)
        }
        if seen.insert(encoded).inserted {
            result.keys.append(IndexKeyGenerator.Key(values: values, encoded: encoded))
        }
    }
}
