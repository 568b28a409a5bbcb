// DocumentPaths: reading, setting and removing dotted paths in documents the way the
// aggregation stages do ($addFields and $unwind set through embedded documents, and map
// over arrays of documents; $unset removes through arrays).

internal import BSON
internal import Documents

/// Path edits on documents, with aggregation's array rules.
enum DocumentPaths {
    /// `document` with `path` set to `value` (removed when `value` is nil). Through an array,
    /// the rest of the path is set in each element (scalars become documents).
    static func setting(_ path: ArraySlice<String>, to value: BSONValue?, in document: BSONDocument) -> BSONDocument {
        guard let first = path.first else { return document }
        var document = document
        if path.count == 1 {
            document[first] = value
            return document
        }
        switch document[first] {
        case .document(let inner)?:
            document[first] = .document(setting(path.dropFirst(), to: value, in: inner))
        case .array(let elements)?:
            document[first] = .array(elements.map { element in
                .document(setting(path.dropFirst(), to: value, in: element.documentValue ?? BSONDocument()))
            })
        default:
            if value == nil { return document }
            document[first] = .document(setting(path.dropFirst(), to: value, in: BSONDocument()))
        }
        return document
    }

    /// `document` without `path`; through arrays, removed from each document element.
    static func removing(_ path: ArraySlice<String>, from document: BSONDocument) -> BSONDocument {
        guard let first = path.first else { return document }
        var document = document
        if path.count == 1 {
            _ = document.removeValue(forKey: first)
            return document
        }
        switch document[first] {
        case .document(let inner)?:
            document[first] = .document(removing(path.dropFirst(), from: inner))
        case .array(let elements)?:
            document[first] = .array(elements.map { element in
                if case .document(let inner) = element { return .document(removing(path.dropFirst(), from: inner)) }
                return element
            })
        default:
            break
        }
        return document
    }

    /// The value at `path` through embedded documents only (no array traversal), for $unwind.
    static func value(at path: [String], in document: BSONDocument) -> BSONValue? {
        var current: BSONValue = .document(document)
        for component in path {
            guard case .document(let inner) = current, let next = inner[component] else { return nil }
            current = next
        }
        return current
    }

    /// Parses a dotted field name the stages accept (no `$` prefix, no empty parts).
    static func components(_ dotted: String) throws(MongoError) -> [String] {
        let parts = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for part in parts { try Expression.validatePathComponent(part) }
        return parts
    }
}
