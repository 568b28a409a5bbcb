// PathTraversal: the values a dotted path reaches in a document under MongoDB's query rules
// (implicit traversal of arrays, numeric components as array indexes and as field names).
// Mirrors the server's element iterator, including which array offset each value reports.
// Never allocates per value: visitors are non-escaping closures.

public import BSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a traversal yields for an array found at the end of a path.
public enum LeafArrayTraversal: Sendable {
    /// Each element (with its index as the array offset), then the array itself. What
    /// comparisons, `$in`, `$type`, `$regex` and the like see.
    case elementsThenArray
    /// Only the array itself. What `$elemMatch` and `$size` see.
    case arrayOnly
}

extension FieldPath {
    /// Calls `visit` for each value the path reaches in `root`, in MongoDB's order, until a
    /// call returns `true`; returns whether one did.
    ///
    /// `visit` receives the value (`nil` when the path is missing at that point) and the
    /// array offset MongoDB records for the positional `$` operator: the index in the
    /// outermost array traversed implicitly, or `nil`. Rules:
    /// - Objects are descended by field name; the first array met stops the descent.
    /// - An array at the end of the path yields its elements (offset = index), then itself.
    ///   Nested arrays at the end are not expanded (`{a: [[1]]}` never yields `1` for `a`).
    /// - An array in the middle of the path is traversed: each embedded document continues
    ///   the rest of the path (offset = its index); an element whose index equals the next
    ///   component (`a.0.b`) is also entered by position, reporting no offset of its own;
    ///   scalars and nested arrays are otherwise skipped.
    ///
    /// - Parameters:
    ///   - root: a document, or an array read as a document (as `$elemMatch` reads elements).
    ///   - start: the first component to apply.
    public func visitValues<E: Error>(
        in root: BSONValue,
        from start: Int = 0,
        leafArrays: LeafArrayTraversal = .elementsThenArray,
        _ visit: (BSONValue?, Int?) throws(E) -> Bool
    ) throws(E) -> Bool {
        let count = components.count
        guard start < count else { return try visit(root, nil) }
        var container = root
        var part = start
        var reached: BSONValue?
        descent: while true {
            guard let child = child(of: container, at: part) else {
                reached = nil
                break descent
            }
            switch child {
            case .document:
                part += 1
                if part == count {
                    reached = child
                    break descent
                }
                container = child
            case .array:
                reached = child
                break descent
            default:
                // A scalar midway means the path is missing. (Not a ternary: BSONValue is
                // ExpressibleByNilLiteral, so `cond ? child : nil` would yield BSON null.)
                if part + 1 == count { reached = child } else { reached = nil }
                break descent
            }
        }
        guard case .array(let elements)? = reached else { return try visit(reached, nil) }
        let next = part + 1
        if next == count {
            if leafArrays == .arrayOnly { return try visit(reached, nil) }
            for (index, element) in elements.enumerated() where try visit(element, index) {
                return true
            }
            return try visit(reached, nil)
        }
        return try visitElements(elements, next: next, leafArrays: leafArrays, visit)
    }

    /// Traverses `elements`, an array met before component `next`, which exists.
    private func visitElements<E: Error>(
        _ elements: [BSONValue],
        next: Int,
        leafArrays: LeafArrayTraversal,
        _ visit: (BSONValue?, Int?) throws(E) -> Bool
    ) throws(E) -> Bool {
        let position = arrayIndexes[next]
        let isLast = next + 1 == components.count
        for (index, element) in elements.enumerated() {
            if case .document = element {
                // Implicit traversal: everything found inside reports this element's index.
                let found = try visitValues(in: element, from: next, leafArrays: leafArrays) {
                    (value: BSONValue?, _: Int?) throws(E) -> Bool in try visit(value, index)
                }
                if found { return true }
            }
            guard position == index else { continue }
            // Positional: the component names this element; it reports no offset itself.
            if isLast {
                if try visit(element, nil) { return true }
            } else if case .document = element {
                if try visitValues(in: element, from: next + 1, leafArrays: leafArrays, visit) { return true }
            } else if case .array(let inner) = element {
                if try visitElements(inner, next: next + 1, leafArrays: leafArrays, visit) { return true }
            }
        }
        return false
    }

    /// The first value named `name` in `document`, comparing UTF-8 bytes (as BSON does, not
    /// Unicode equivalence). Reads the elements in place so the scan retains nothing.
    @inline(__always)
    public static func lookup(_ name: String, in document: BSONDocument) -> BSONValue? {
        let count = name.utf8.count
        return document.elements.withUnsafeBufferPointer { elements in
            for index in elements.indices {
                let key = elements[index].key.utf8
                if key.count == count && bytesEqual(key, name.utf8) { return elements[index].value }
            }
            return nil
        }
    }

    /// Byte equality of two UTF-8 views of equal length, by `memcmp` when both are contiguous.
    @inline(__always)
    private static func bytesEqual(_ lhs: String.UTF8View, _ rhs: String.UTF8View) -> Bool {
        let fast = lhs.withContiguousStorageIfAvailable { left in
            rhs.withContiguousStorageIfAvailable { right in
                guard let a = left.baseAddress, let b = right.baseAddress else { return true }
                return memcmp(a, b, left.count) == 0
            }
        }
        if let fast, let equal = fast { return equal }
        return lhs.elementsEqual(rhs)
    }

    /// The value named by component `part` in a document, or by index in an array.
    @inline(__always)
    private func child(of container: BSONValue, at part: Int) -> BSONValue? {
        switch container {
        case .document(let document):
            return FieldPath.lookup(components[part], in: document)
        case .array(let elements):
            guard let index = arrayIndexes[part], index < elements.count else { return nil }
            return elements[index]
        default:
            return nil
        }
    }
}
