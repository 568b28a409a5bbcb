// SortKeyGenerator: the candidate sort keys of a document, generated the way MongoDB's
// index key generator does for a sort pattern — arrays on a path expand into one key per
// element, paths sharing an array expand together, an empty array is `undefined` at the end
// of a path and `null` inside one, a missing value is `null`. Two different arrays → error.

internal import BSON
internal import Documents

/// The keys MongoDB generates for a document under a sort pattern's paths.
struct SortKeyGenerator: Sendable {
    /// Two paths reached two different arrays ("parallel arrays").
    struct ParallelArrays: Error {}

    /// One path per sort key.
    let paths: [[String]]

    /// Every key tuple of `document` (one value per path), in generation order.
    func keys(of document: BSONDocument) throws(ParallelArrays) -> [[BSONValue]] {
        var output: [[BSONValue]] = []
        let pending = paths.enumerated().map { (field: $0.offset, path: $0.element[...]) }
        try Self.expand(document, pending: pending, fixed: Array(repeating: .null, count: paths.count), into: &output)
        return output
    }

    /// The keys of `document` for one path alone.
    static func keys(of document: BSONDocument, path: [String]) -> [BSONValue] {
        var output: [[BSONValue]] = []
        // A single path can never meet two arrays at once.
        try? expand(document, pending: [(0, path[...])], fixed: [.null], into: &output)
        return output.map { $0[0] }
    }

    private static func expand(
        _ object: BSONDocument,
        pending: [(field: Int, path: ArraySlice<String>)],
        fixed: [BSONValue],
        into output: inout [[BSONValue]]
    ) throws(ParallelArrays) {
        var fixed = fixed
        var array: (elements: [BSONValue], prefix: ArraySlice<String>)?
        var arrayFields: [(field: Int, rest: ArraySlice<String>)] = []
        for (field, path) in pending {
            var current = BSONValue.document(object)
            var rest = path
            while true {
                guard let name = rest.first else {
                    fixed[field] = current
                    break
                }
                if case .array(let elements) = current, let position = Self.arrayIndex(name), position < elements.count {
                    // A positional component ("a.0.b") reaches into the array without expanding it.
                    current = elements[position]
                    rest = rest.dropFirst()
                    continue
                }
                guard case .document(let document) = current, let next = document[name] else {
                    fixed[field] = .null
                    break
                }
                rest = rest.dropFirst()
                if case .array(let elements) = next,
                   !(rest.first.flatMap(Self.arrayIndex).map { $0 < elements.count } ?? false) {
                    let prefix = path.prefix(path.count - rest.count)
                    if let existing = array {
                        guard existing.prefix.elementsEqual(prefix) else { throw ParallelArrays() }
                    } else {
                        array = (elements, prefix)
                    }
                    arrayFields.append((field, rest))
                    break
                }
                current = next
            }
        }
        guard let array else {
            output.append(fixed)
            return
        }
        if array.elements.isEmpty {
            for (field, rest) in arrayFields { fixed[field] = rest.isEmpty ? .undefined : .null }
            output.append(fixed)
            return
        }
        for element in array.elements {
            var keys = fixed
            var inner: [(field: Int, path: ArraySlice<String>)] = []
            for (field, rest) in arrayFields {
                if rest.isEmpty {
                    keys[field] = element
                } else if case .document = element {
                    inner.append((field, rest))
                } else {
                    keys[field] = .null
                }
            }
            if case .document(let document) = element, !inner.isEmpty {
                try expand(document, pending: inner, fixed: keys, into: &output)
            } else {
                output.append(keys)
            }
        }
    }

    /// The array index a path component names ("0", "12"), if any.
    private static func arrayIndex(_ component: String) -> Int? {
        guard !component.isEmpty, component.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              component == "0" || component.utf8.first != UInt8(ascii: "0") else { return nil }
        return Int(component)
    }
}
