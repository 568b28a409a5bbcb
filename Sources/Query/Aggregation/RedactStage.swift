// RedactStage: `$redact` — evaluates its expression at the top level and inside each embedded
// document (and documents in arrays), keeping ($$KEEP), removing ($$PRUNE) or descending into
// ($$DESCEND) each level. Streaming: one document at a time.

internal import BSON
internal import Documents

/// `$redact`: the expression, and the slots its `$$DESCEND`, `$$PRUNE`, `$$KEEP` read.
struct RedactSpec: Sendable {
    let expression: Expression
    let slots: (descend: Int, prune: Int, keep: Int)

    static let descend: BSONValue = "descend"
    static let prune: BSONValue = "prune"
    static let keep: BSONValue = "keep"

    /// Parses the expression with `$$DESCEND`, `$$PRUNE` and `$$KEEP` in scope.
    init(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) {
        let visible = context.visibleVariables
        slots = (context.declareUnchecked("DESCEND"), context.declareUnchecked("PRUNE"), context.declareUnchecked("KEEP"))
        defer { context.restore(visible) }
        expression = try Expression.parse(value, in: &context)
    }
}

final class RedactSink: StageSink {
    let spec: RedactSpec

    init(_ spec: RedactSpec, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        var scope = runtime.scope(for: document)
        scope.bind(spec.slots.descend, to: RedactSpec.descend)
        scope.bind(spec.slots.prune, to: RedactSpec.prune)
        scope.bind(spec.slots.keep, to: RedactSpec.keep)
        guard let redacted = try redact(document, scope) else { return true }
        return try next.push(redacted)
    }

    /// `document` at one level: nil when pruned.
    private func redact(_ document: BSONDocument, _ base: ExpressionScope) throws(MongoError) -> BSONDocument? {
        var scope = base
        scope.current = .document(document)
        let decision = try spec.expression.evaluate(scope)
        switch decision {
        case RedactSpec.keep?: return document
        case RedactSpec.prune?: return nil
        case RedactSpec.descend?:
            var output = BSONDocument()
            for (key, value) in document.elements {
                switch value {
                case .document(let inner):
                    if let kept = try redact(inner, base) { output.append(key, .document(kept)) }
                case .array(let elements):
                    output.append(key, .array(try redact(elements, base)))
                default:
                    output.append(key, value)
                }
            }
            return output
        default:
            throw MongoError(.location(17053), "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned \(decision.map { ServerText.value($0) } ?? "MISSING")")
        }
    }

    /// The elements of an array: documents redacted (pruned ones dropped), arrays recursed.
    private func redact(_ elements: [BSONValue], _ base: ExpressionScope) throws(MongoError) -> [BSONValue] {
        var output: [BSONValue] = []
        for element in elements {
            switch element {
            case .document(let inner):
                if let kept = try redact(inner, base) { output.append(.document(kept)) }
            case .array(let nested):
                output.append(.array(try redact(nested, base)))
            default:
                output.append(element)
            }
        }
        return output
    }
}
