// libFuzzer entry point for Query's parsers: Filter, Update (operators and replacement),
// Projection, aggregation expressions, and aggregation and update pipelines, each fed a
// document made from the fuzzer's bytes (FuzzSupport's generator when the bytes are not
// BSON). Parsing and evaluating against one small fixed document may throw MongoError but
// never trap. Built and run by scripts/fuzz.

import BSON
import Documents
import FuzzSupport
@_spi(Fuzzing) import Query

/// The document every parsed filter, update, projection and expression is applied to.
private let target: BSONDocument = [
    "_id": 1,
    "a": [1, 2, ["b": "x", "c": [3, 4]]],
    "b": ["c": ["d": 5]],
    "x": "abc",
    "e": .null,
    "n": 3.5,
    "dt": .datetime(BSONDateTime(millisecondsSinceEpoch: 1_600_000_000_000)),
    "s": ["a", "b", "b"],
]

private let now = BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_000)

/// Called by libFuzzer once per input.
/// The process entry SwiftPM links as `main` (see FuzzSupport/FuzzerMain.swift).
@_cdecl("QueryParserFuzz_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let spec = fuzzDocument(Array(UnsafeBufferPointer(start: data, count: size)))

    var filter: Filter?
    if let parsed = try? Filter(spec) {
        filter = parsed
        _ = parsed.matches(target)
    }

    // Update documents: the spec, with its array-valued fields' documents as arrayFilters.
    let arrayFilters = spec.elements.flatMap { element -> [BSONDocument] in
        guard case .array(let values) = element.1 else { return [] }
        return values.compactMap(\.documentValue)
    }
    if let update = try? Update(spec, arrayFilters: arrayFilters) {
        _ = try? update.apply(to: target, positionalIndex: 1, now: now)
        _ = try? update.apply(to: target, positionalIndex: nil, now: now)
    }

    if let projection = try? Projection(spec, filter: filter) {
        _ = try? projection.apply(to: target, positionalIndex: 0)
        _ = try? projection.apply(to: target)
    }

    // The whole spec as one expression, and each value on its own.
    if let expression = try? Expression.parse(.document(spec)) {
        _ = try? expression.evaluate(root: .document(target))
    }
    for (_, value) in spec.elements {
        if let expression = try? Expression.parse(value) {
            _ = try? expression.evaluate(root: .document(target))
        }
    }

    // Pipelines: each top-level field as one stage, and each array of documents as a pipeline.
    let stages = spec.elements.map { BSONDocument([$0]) }
    _ = try? PipelineSyntax.checkAggregation(stages)
    _ = try? PipelineSyntax.checkUpdate(stages)
    if !arrayFilters.isEmpty {
        _ = try? PipelineSyntax.checkAggregation(arrayFilters)
    }
    return 0
}
