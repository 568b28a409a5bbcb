// LetBindings: a command's `let` option — variables evaluated once when the command starts
// — put into the parts of find, count, distinct, update, delete and findAndModify that read
// `$$name`: the `$expr` clauses of a filter and the stages of a pipeline-style update.

public import BSON
import Documents

/// The constants a command's `let` defines, ready to substitute for `$$name` references.
///
/// MongoDB evaluates each `let` value once, before the command runs, and the values cannot
/// refer to document fields; so a reference to one is a constant, and it is substituted as
/// `{$literal: value}` wherever aggregation expressions are read. Filter fields outside
/// `$expr` are match values, not expressions, and are left alone (`{a: "$$x"}` matches the
/// string "$$x", as in MongoDB).
public struct LetBindings: Sendable {
    /// Each variable's value; `nil` when its expression evaluated to missing.
    private let values: [String: BSONValue?]

    /// Evaluates `spec`'s values (constants or expressions such as `{$add: [1, 2]}`).
    ///
    /// - Throws: `FailedToParse` (9) for an invalid variable name, or the expression's errors.
    public init(_ spec: BSONDocument) throws(MongoError) {
        var values: [String: BSONValue?] = [:]
        var context = ExpressionContext()
        let scope = ExpressionScope(root: .document(BSONDocument()), now: WallClock.now())
        for (name, value) in spec.elements {
            _ = try context.declare(name)
            values[name] = .some(try Expression.parse(value, in: &context).evaluate(in: scope))
        }
        self.values = values
    }

    /// No variables.
    public var isEmpty: Bool { values.isEmpty }

    /// `filter` with the variables substituted inside its `$expr` clauses (also under
    /// `$and`, `$or` and `$nor`).
    public func substitutingInExpr(_ filter: BSONDocument) -> BSONDocument {
        guard !values.isEmpty else { return filter }
        var output = BSONDocument()
        for (key, value) in filter.elements {
            switch (key, value) {
            case ("$expr", _):
                output.append(key, substituting(in: value))
            case ("$and", .array(let clauses)), ("$or", .array(let clauses)), ("$nor", .array(let clauses)):
                output.append(key, .array(clauses.map { clause in
                    if case .document(let document) = clause { return .document(substitutingInExpr(document)) }
                    return clause
                }))
            default:
                output.append(key, value)
            }
        }
        return output
    }

    /// `value`, an aggregation expression (or a stage of them), with every `$$name` and
    /// `$$name.path` of these variables replaced by its constant value.
    public func substituting(in value: BSONValue) -> BSONValue {
        guard !values.isEmpty else { return value }
        switch value {
        case .string(let text) where text.hasPrefix("$$"):
            let reference = text.dropFirst(2).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard let name = reference.first, let bound = values[name] else { return value }
            var current: BSONValue? = bound
            for component in reference.dropFirst() {
                guard case .document(let document)? = current else { current = nil; break }
                current = document[component]
            }
            // A missing value stays missing: $$REMOVE evaluates to nothing.
            guard let current else { return .string("$$REMOVE") }
            return .document(["$literal": current])
        case .document(let document):
            var output = BSONDocument()
            for (key, element) in document.elements {
                // A literal is never read as an expression.
                output.append(key, key == "$literal" ? element : substituting(in: element))
            }
            return .document(output)
        case .array(let elements):
            return .array(elements.map(substituting(in:)))
        default:
            return value
        }
    }
}
