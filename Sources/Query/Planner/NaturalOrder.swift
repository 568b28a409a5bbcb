// NaturalOrder: `$natural` in a find's sort and hint, as mongod checks and reads it — each must
// be exactly `{$natural: 1}` or `{$natural: -1}` (query_request_helper's hasInvalidNaturalParam),
// a `$natural` sort takes no index hint and agrees with a `$natural` hint (CanonicalQuery's
// isValid), and the direction both give is the way a collection scan walks natural order.

import BSON

/// The natural-order part of a find's sort and hint.
struct NaturalOrder {
    /// The sort without its `$natural` key (`nil` when the sort was only `$natural` or absent).
    let sort: BSONDocument?
    /// `$natural`'s direction from the sort, else from the hint; `nil` when neither names it.
    let ascending: Bool?
    /// Whether the sort was a `$natural` sort.
    let sortsNaturally: Bool

    /// Whether a collection scan walks natural order backwards.
    var reverse: Bool { ascending == false }

    /// Reads `sort` and `hint`.
    ///
    /// - Throws: `BadValue` (2) with mongod's messages for a `$natural` other than 1 or -1 (or
    ///   beside other keys), an index hint with a `$natural` sort, or opposite directions.
    init(sort: BSONDocument?, hint: BSONValue?) throws(MongoError) {
        let sortDirection = try Self.direction(sort, what: "sort")
        let hintDocument = hint?.documentValue
        let hintDirection = try Self.direction(hintDocument, what: "hint")
        if let sortDirection {
            if let hint, !Self.isEmpty(hint), hintDirection == nil {
                throw MongoError(.badValue, "index hint not allowed with $natural sort order")
            }
            if let hintDirection, hintDirection != sortDirection {
                throw MongoError(.badValue, "$natural hint must be in the same direction as $natural sort order")
            }
        }
        self.sort = sortDirection == nil ? sort : nil
        ascending = sortDirection ?? hintDirection
        sortsNaturally = sortDirection != nil
    }

    /// The refusals of a `$text` query beside a `$natural` sort or any hint (mongod's isValid).
    ///
    /// - Throws: `BadValue` (2).
    static func checkText(sort: BSONDocument?, hint: BSONValue?) throws(MongoError) {
        let order = try NaturalOrder(sort: sort, hint: hint)
        if order.sortsNaturally {
            throw MongoError(.badValue, "text expression not allowed with $natural sort order")
        }
        if let hint, !isEmpty(hint) {
            throw MongoError(.badValue, "text and hint not allowed in same query")
        }
    }

    /// `true` for ascending, `false` for descending, `nil` without `$natural`.
    private static func direction(_ document: BSONDocument?, what: String) throws(MongoError) -> Bool? {
        guard let document, let value = document["$natural"] else { return nil }
        guard document.count == 1, value.isNumeric, let number = value.doubleValue, number == 1 || number == -1 else {
            throw MongoError(.badValue, "$natural \(what) cannot be set to a value other than -1 or 1.")
        }
        return number == 1
    }

    private static func isEmpty(_ hint: BSONValue) -> Bool {
        switch hint {
        case let .document(document): document.isEmpty
        case let .string(name): name.isEmpty
        default: false
        }
    }
}
