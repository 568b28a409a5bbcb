// DisambiguatedPaths: an update event's `updateDescription.disambiguatedPaths` (MongoDB 6.1+,
// with `showExpandedEvents`): for each updated, removed or truncated path with a component
// that reads as a number, the path's components, an array index as an integer and a field
// name as a string, so a client can tell `a.1` in `{a: {"1": ...}}` from `a.1` in `{a: [...]}`.

import BSON

/// Builds `disambiguatedPaths` from an update description and the document's shape.
enum DisambiguatedPaths {
    /// `{path: [component, ...]}` for the ambiguous paths of `description`, resolved against
    /// `document` (the post-image, or the best stand-in for it): a numeric component is an
    /// index where the document has an array at that point, a field name otherwise.
    static func of(_ description: BSONDocument, in document: BSONDocument) -> BSONDocument {
        var paths: [String] = description["updatedFields"]?.documentValue?.keys ?? []
        for case let .string(path) in description["removedFields"]?.arrayValue ?? [] { paths.append(path) }
        for case let .document(truncated) in description["truncatedArrays"]?.arrayValue ?? [] {
            if case let .string(path)? = truncated["field"] { paths.append(path) }
        }
        var result = BSONDocument()
        for path in paths where result[path] == nil {
            let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard components.contains(where: isNumeric) else { continue }
            result.append(path, .array(resolve(components, in: .document(document))))
        }
        return result
    }

    /// The components of a path, an index as `int32` where `current` is an array there.
    private static func resolve(_ components: [String], in root: BSONValue) -> [BSONValue] {
        var current: BSONValue? = root
        var resolved: [BSONValue] = []
        for component in components {
            switch current {
            case let .array(elements)? where isNumeric(component):
                let index = Int(component) ?? -1
                resolved.append(Int32(exactly: index).map(BSONValue.int32) ?? .string(component))
                current = elements.indices.contains(index) ? elements[index] : nil
            case let .document(fields)?:
                resolved.append(.string(component))
                current = fields[component]
            default:
                resolved.append(.string(component))
                current = nil
            }
        }
        return resolved
    }

    /// A component made of decimal digits only.
    private static func isNumeric(_ component: String) -> Bool {
        !component.isEmpty && component.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
