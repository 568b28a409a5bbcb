// IndexKeyGenerator: the keys a document has in an index, by MongoDB's B-tree key generation
// rules — dotted paths through documents and arrays, one key per distinct array element,
// at most one array per compound key, missing fields as null, sparse and positional paths.
// Pure: knows no storage.

internal import BSON
internal import Collation

/// Generates the keys of documents for one key pattern.
///
/// Follows MongoDB's `BtreeKeyGenerator`: each key field's path is followed until it ends or
/// meets an array; all fields meeting an array must meet the same one (else
/// `CannotIndexParallelArrays`), and then a key is generated per element of that array,
/// continuing the paths inside it. A path ending at an array indexes each element (an
/// element that is itself an array is indexed whole); an empty array indexes `undefined`.
/// A path component that is a decimal index selects that element of an array without
/// expanding it. Missing fields are null; a sparse index skips keys where every field is
/// missing.
struct IndexKeyGenerator: Sendable {
    /// The key pattern's fields.
    let fields: [IndexKeyField]
    /// Whether keys whose fields are all missing are left out.
    let isSparse: Bool
    /// The index's collation: keys hold the comparison keys of strings (ICU sort keys), so the
    /// index orders and finds strings as the collation does.
    let collator: Collator?
    /// A text index's spec: keys are its terms and scores (TextIndexKeys.swift).
    var text: TextIndexSpec?
    /// A wildcard index's spec: keys are paths and values (WildcardIndexKeys.swift).
    var wildcard: WildcardIndexSpec?

    /// One generated key.
    struct Key: Sendable {
        /// The values of the key fields, in key pattern order (`null` for missing).
        let values: [BSONValue]
        /// The order-preserving encoding of `values` (descending fields complemented).
        let encoded: [UInt8]
    }

    /// A document's keys and which key fields met arrays.
    struct Keys: Sendable {
        /// The distinct keys (by encoding, so `1` and `1.0` are one key), in generation order.
        var keys: [Key] = []
        /// Positions of key fields whose path expanded an array (made the index multikey).
        var multikeyFields: Set<Int> = []
        /// A wildcard index's document paths that held arrays (its multikey paths).
        var multikeyPaths: Set<String> = []

        /// The multikey names these keys show for an index of `fields`: the paths of the key
        /// fields that met arrays, and a wildcard index's array paths.
        func multikeyNames(_ fields: [IndexKeyField]) -> Set<String> {
            var names = multikeyPaths
            for position in multikeyFields where position < fields.count { names.insert(fields[position].path) }
            return names
        }
    }

    /// A generator for `fields`, under `collator` when the index has one.
    init(fields: [IndexKeyField], isSparse: Bool, collator: Collator? = nil) {
        self.fields = fields
        self.isSparse = isSparse
        self.collator = collator
    }

    /// The generator of an index's keys.
    init(_ spec: IndexSpec) {
        self.init(fields: spec.fields, isSparse: spec.isSparse, collator: spec.collator)
        text = spec.text
        wildcard = spec.wildcard
    }

    /// The keys of `document`.
    ///
    /// - Throws: `CannotIndexParallelArrays` (171) when two key fields meet different arrays,
    ///   and MongoDB's error 16746 when a positional path is ambiguous.
    func keys(for document: BSONDocument) throws(MongoError) -> Keys {
        if isHashed { return try hashedKeys(for: document) }
        if let text { return try textKeys(for: document, spec: text) }
        if isGeo { return try geoKeys(for: document) }
        if let wildcard { return try wildcardKeys(for: document, spec: wildcard) }
        var walk = KeyWalk(fields: fields, isSparse: isSparse, collator: collator)
        let names = fields.map { ArraySlice($0.components) }
        let fixed = [BSONValue](repeating: .null, count: fields.count)
        let positional = [Positional](repeating: Positional(), count: fields.count)
        try walk.keys(names, fixed, in: document, at: [], notFound: 0, positional: positional)
        if walk.result.keys.isEmpty && !isSparse {
            walk.emit(fixed)
        }
        return walk.result
    }
}

/// A value found in the document and, for arrays, where: the path from the root, with array
/// positions as decimal strings. Two fields meet the same array exactly when the locations
/// are equal.
private struct Located {
    var value: BSONValue
    var location: [String]
}

/// A positional path component's target in the array being expanded, resolved once for all
/// of that array's elements (MongoDB's `PositionalPathInfo`).
private struct Positional {
    /// The element the component names; `nil` when the component is not positional.
    var indexedElement: BSONValue?
    /// The array holding it (for error messages).
    var array: BSONValue = .null
    /// The path left after following the positional path from the array.
    var remaining: ArraySlice<String> = []
    /// What following it found.
    var dotted: Located?
}

/// The recursive part of key generation, accumulating keys.
private struct KeyWalk {
    let fields: [IndexKeyField]
    let isSparse: Bool
    let collator: Collator?
    var result = IndexKeyGenerator.Keys()
    private var seen: Set<[UInt8]> = []

    init(fields: [IndexKeyField], isSparse: Bool, collator: Collator?) {
        self.fields = fields
        self.isSparse = isSparse
        self.collator = collator
    }

    mutating func emit(_ values: [BSONValue]) {
        // An index with a collation stores (and scans) comparison keys in place of strings.
        let values = collator.map { collator in values.map(collator.comparisonKey) } ?? values
        var encoded: [UInt8] = []
        encoded.reserveCapacity(16 * values.count)
        for (position, value) in values.enumerated() {
            IndexEntryCodec.appendField(value, descending: fields[position].isDescending, to: &encoded)
        }
        if seen.insert(encoded).inserted {
            result.keys.append(IndexKeyGenerator.Key(values: values, encoded: encoded))
        }
    }

    /// Keys for `object` (at `location`), given each field's remaining path (empty once
    /// resolved) and resolved value. MongoDB's `_getKeysWithArray`.
    mutating func keys(
        _ names: [ArraySlice<String>], _ values: [BSONValue], in object: BSONDocument, at location: [String],
        notFound: Int, positional: [Positional]
    ) throws(MongoError) {
        var names = names
        var values = values
        var notFound = notFound
        var array: Located?
        var arrayFields: [Int] = []
        var mayExpandArrayUnembedded = true
        for position in names.indices where !names[position].isEmpty {
            var arrayNestedArray = false
            let found = try nextElement(in: object, at: location, positional[position], path: &names[position],
                                        arrayNestedArray: &arrayNestedArray)
            guard let found else {
                values[position] = .null
                names[position] = []
                notFound += 1
                continue
            }
            if case .array = found.value {
                arrayFields.append(position)
                if let array {
                    if array.location != found.location {
                        throw MongoError(.cannotIndexParallelArrays,
                                         "cannot index parallel arrays [\(found.location.last ?? "")] [\(array.location.last ?? "")]")
                    }
                } else {
                    array = found
                }
                if arrayNestedArray { mayExpandArrayUnembedded = false }
            } else {
                values[position] = found.value
            }
        }
        guard let array, case let .array(elements) = array.value else {
            if isSparse && notFound == names.count { return }
            emit(values)
            return
        }
        if elements.isEmpty {
            if mayExpandArrayUnembedded { result.multikeyFields.formUnion(arrayFields) }
            try elementKeys(names, values, element: Located(value: .undefined, location: array.location),
                            notFound: notFound, array: array.value, arrayFields: arrayFields, mayExpandArrayUnembedded: true,
                            positional: [Positional](repeating: Positional(), count: names.count))
            return
        }
        var subPositional = [Positional](repeating: Positional(), count: names.count)
        for position in names.indices {
            let fieldIsArray = arrayFields.contains(position)
            guard let part = names[position].first else {
                if fieldIsArray && mayExpandArrayUnembedded { result.multikeyFields.insert(position) }
                continue
            }
            guard let index = arrayIndex(part), index < elements.count else {
                // Not indexing one element: the array is expanded, so the field is multikey.
                result.multikeyFields.insert(position)
                continue
            }
            var remaining = names[position]
            let dotted = elementOrArray(along: &remaining, from: array.value, at: array.location)
            subPositional[position] = Positional(indexedElement: elements[index], array: array.value, remaining: remaining,
                                                 dotted: dotted)
        }
        for (index, element) in elements.enumerated() {
            try elementKeys(names, values, element: Located(value: element, location: array.location + [String(index)]),
                            notFound: notFound, array: array.value, arrayFields: arrayFields,
                            mayExpandArrayUnembedded: mayExpandArrayUnembedded, positional: subPositional)
        }
    }

    /// Keys with the expanded array fixed at one element. MongoDB's `_getKeysArrEltFixed`.
    private mutating func elementKeys(
        _ names: [ArraySlice<String>], _ values: [BSONValue], element: Located, notFound: Int, array: BSONValue,
        arrayFields: [Int], mayExpandArrayUnembedded: Bool, positional: [Positional]
    ) throws(MongoError) {
        var values = values
        for position in arrayFields where names[position].isEmpty {
            values[position] = mayExpandArrayUnembedded ? element.value : array
        }
        let object = element.value.documentValue ?? BSONDocument()
        try keys(names, values, in: object, at: element.location, notFound: notFound, positional: positional)
    }

    /// The next value on `path` from `object`, or from the positional target when `object`
    /// lacks the field. MongoDB's `_extractNextElement`.
    private func nextElement(
        in object: BSONDocument, at location: [String], _ positional: Positional, path: inout ArraySlice<String>,
        arrayNestedArray: inout Bool
    ) throws(MongoError) -> Located? {
        guard let first = path.first else { return nil }
        let haveField = object[first] != nil
        if haveField, positional.indexedElement != nil {
            throw MongoError(MongoError.Code(16746, "Location16746"),
                             "Ambiguous field name found in array (do not use numeric field names in embedded elements "
                                 + "in an array), field: '\(first)' for array: \(positional.array.extendedJSON())")
        }
        arrayNestedArray = false
        if haveField {
            return elementOrArray(along: &path, from: .document(object), at: location)
        }
        if let indexed = positional.indexedElement {
            if case .array = indexed { arrayNestedArray = true }
            path = positional.remaining
            return positional.dotted
        }
        return nil
    }

    /// Follows `path` from `container` through documents until it ends or meets an array,
    /// consuming the components followed. A first step into an array container goes by
    /// decimal index. MongoDB's `extractElementAtPathOrArrayAlongPath`.
    private func elementOrArray(along path: inout ArraySlice<String>, from container: BSONValue, at location: [String]) -> Located? {
        let original = path
        var current = container
        while let component = path.first {
            path = path.dropFirst()
            let next: BSONValue?
            switch current {
            case let .document(document):
                next = document[component]
            case let .array(elements):
                next = arrayIndex(component).flatMap { $0 < elements.count ? elements[$0] : nil }
            default:
                next = nil
            }
            guard let next else { return nil }
            if case .array = next {
                // Only arrays are compared by location, so only they pay for building one.
                return Located(value: next, location: location + original.prefix(original.count - path.count))
            }
            if path.isEmpty { return Located(value: next, location: []) }
            guard case .document = next else { return nil }
            current = next
        }
        return nil
    }
}

/// The array position a path component names: decimal digits without leading zeros.
private func arrayIndex(_ component: String) -> Int? {
    let digits = component.utf8
    guard let first = digits.first, digits.count <= 9, first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
    var value = 0
    for digit in digits {
        guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(digit - UInt8(ascii: "0"))
    }
    return value
}
