// ExpressionObjects: `$mergeObjects`, `$objectToArray` and `$arrayToObject` with MongoDB's
// null rules (null and missing inputs are skipped or give null) and error codes.

internal import BSON
internal import Documents

/// The positional object operators.
enum ExpressionObjects {
    static func apply(_ op: ExpressionOperator, _ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        switch op {
        case .mergeObjects:
            var merged = BSONDocument()
            for value in values {
                try merge(value, into: &merged)
            }
            return .document(merged)
        case .objectToArray:
            if ExpressionArithmetic.isNullish(values[0]) { return .null }
            guard case .document(let document)? = values[0] else {
                throw MongoError(.location(40390), "$objectToArray requires a document input, found: \(ServerText.typeName(values[0]))")
            }
            return .array(document.elements.map { .document(["k": .string($0.key), "v": $0.value]) })
        default:
            return try arrayToObject(values[0])
        }
    }

    /// `$mergeObjects`' step: null and missing are skipped; later fields replace earlier ones.
    static func merge(_ value: BSONValue?, into merged: inout BSONDocument) throws(MongoError) {
        if ExpressionArithmetic.isNullish(value) { return }
        guard case .document(let document)? = value else {
            throw MongoError(.location(40400), "$mergeObjects requires object inputs, but input \(value.map { ServerText.value($0) } ?? "missing") is of type \(ServerText.typeName(value))")
        }
        for element in document.elements { merged[element.key] = element.value }
    }

    static func arrayToObject(_ value: BSONValue?) throws(MongoError) -> BSONValue? {
        if ExpressionArithmetic.isNullish(value) { return .null }
        guard case .array(let elements)? = value else {
            throw MongoError(.location(40386), "$arrayToObject requires an array input, found: \(ServerText.typeName(value))")
        }
        var result = BSONDocument()
        guard let first = elements.first else { return .document(result) }
        let pairs: Bool
        switch first {
        case .array: pairs = true
        case .document: pairs = false
        default:
            throw MongoError(.location(40398), "Unrecognised input type format for $arrayToObject: \(ServerText.typeName(first))")
        }
        for element in elements {
            let key: String
            let entry: BSONValue
            switch element {
            case .array(let pair) where pairs:
                guard pair.count == 2 else {
                    throw MongoError(.location(40397), "$arrayToObject requires an array of size 2 arrays,found array of size: \(pair.count)")
                }
                guard case .string(let name) = pair[0] else {
                    throw MongoError(.location(40395), "$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: \(ServerText.typeName(pair[0]))")
                }
                key = name
                entry = pair[1]
            case .document(let document) where !pairs:
                guard document.count == 2 else {
                    throw MongoError(.location(40392), "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:\(document.count)")
                }
                guard let k = document["k"], let v = document["v"] else {
                    throw MongoError(.location(40393), "$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys from: \(ServerText.value(element))")
                }
                guard case .string(let name) = k else {
                    throw MongoError(.location(40394), "$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: \(ServerText.typeName(k))")
                }
                key = name
                entry = v
            default:
                throw MongoError(.location(40396), "$arrayToObject requires a consistent input format. Elements must all be arrays or all be objects. \(pairs ? "Array" : "Object") was detected, now found: \(ServerText.typeName(element))")
            }
            if key.utf8.contains(0) {
                throw MongoError(.location(4_940_400), "Key field cannot contain an embedded null byte")
            }
            result[key] = entry
        }
        return .document(result)
    }
}
