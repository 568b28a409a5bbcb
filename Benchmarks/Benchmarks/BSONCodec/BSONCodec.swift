// Tessera's BSON codec against libbson, both measured in the same run on the same bytes:
// decode, validate, validate-and-walk, lazy lookup, encode and relaxed Extended JSON, on a
// ~1 KB mixed document and on the W1 metric document. Names sort in pairs:
// "<input> <operation>/tessera" next to "<input> <operation>/libbson", plus
// "<input> <operation>/paired", which times both alternately in one loop.
//
// Fair counterparts (libbson has no owned value tree):
//   decode/tessera  = BSONDocument(bsonBytes:): validate + materialise every value.
//   decode/libbson  = bson_validate(UTF8) + a full bson_iter walk reading every value.
//   validate        = BSONDocument.validate(bsonBytes:)  vs  bson_validate(BSON_VALIDATE_UTF8).
//   validate-walk   = BSONDocumentView(validating:) + a full view walk  vs  decode/libbson:
//                     the like-for-like pair (neither side allocates values).
//   lookup path/key = a validated view's element(atPath:) / subscript  vs
//                     bson_init_static + bson_iter_find_descendant / bson_iter_init_find.
//   encode          = BSONDocument.bsonBytes()  vs  bson_append_* from a prepared C plan.
//   json relaxed    = extendedJSON(.relaxed) of the model  vs  bson_as_relaxed_extended_json
//                     of the bytes (+ bson_free).

import BSON
import Benchmark
import LibBSONBaseline

#if canImport(Glibc)
import Glibc
#endif

/// Registers every benchmark; called by the benchmark plugin's generated entry point.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 10,
        maxDuration: .seconds(secondsPerBenchmark()),
        maxIterations: 1_000_000
    )
    for fixture in [Fixture.mixed(), Fixture.w1()] {
        checkBaselineAgrees(on: fixture)
        register(fixture)
    }
}

/// How long each benchmark samples: `BENCH_SECONDS` from the environment, else 1 second.
private func secondsPerBenchmark() -> Int {
    guard let text = getenv("BENCH_SECONDS"), let seconds = Int(String(cString: text)), seconds > 0 else { return 1 }
    return seconds
}

/// Registers every operation on one input, each as a tessera/libbson/paired trio.
private func register(_ fixture: Fixture) {
    let bytes = fixture.bytes
    let document = fixture.document
    let view = fixture.view
    let plan = LibBSONPlan(document)
    let pair = { (operation: String, repetitions: BenchmarkScalingFactor, tessera: @escaping () -> Void, libbson: @escaping () -> Void) in
        registerPair(fixture.name + " " + operation, repetitions: repetitions, tessera: tessera, libbson: libbson)
    }

    pair("decode", .one, {
        blackHole(try! BSONDocument(bsonBytes: bytes))
    }, {
        blackHole(lbb_validate_and_visit(bytes, bytes.count))
    })

    pair("validate", .one, {
        bytes.withUnsafeBytes { raw in
            do {
                try BSONDocument.validate(bsonBytes: raw)
            } catch {
                fatalError("fixture failed validation: \(error)")
            }
        }
    }, {
        blackHole(lbb_validate(bytes, bytes.count))
    })

    // Validate, then read every value without materialising.
    pair("validate-walk", .one, {
        blackHole(walk(try! BSONDocumentView(validating: bytes)))
    }, {
        blackHole(lbb_validate_and_visit(bytes, bytes.count))
    })

    // Lazy lookup of a nested path and of a top-level key, on trusted bytes. The C strings
    // are NUL-terminated copies made once, so libbson pays no String-to-C bridging.
    let path = fixture.path
    let key = fixture.topLevelKey
    let cPath = Array(path.utf8CString)
    let cKey = Array(key.utf8CString)
    pair("lookup path", .kilo, {
        blackHole(numericValue(view.element(atPath: path)))
    }, {
        blackHole(lbb_find_path(bytes, bytes.count, cPath))
    })
    pair("lookup key", .kilo, {
        blackHole(numericValue(view[key]))
    }, {
        blackHole(lbb_find_key(bytes, bytes.count, cKey))
    })

    pair("encode", .one, {
        blackHole(try! document.bsonBytes())
    }, {
        blackHole(lbb_plan_encode(plan.pointer))
    })

    pair("json relaxed", .one, {
        blackHole(document.extendedJSON(.relaxed))
    }, {
        blackHole(lbb_relaxed_json(bytes, bytes.count))
    })
}

/// The paired benchmark's two metrics: nanoseconds per `repetitions` operations of each side.
private let tesseraTime = BenchmarkMetric.custom("tesseraNanoseconds", polarity: .prefersSmaller, useScalingFactor: false)
private let libbsonTime = BenchmarkMetric.custom("libbsonNanoseconds", polarity: .prefersSmaller, useScalingFactor: false)

/// Registers "<name>/tessera" and "<name>/libbson" (wall clock, throughput and mallocs, each
/// sample `repetitions` operations), and "<name>/paired", which times both sides back to back
/// in every iteration (alternating which goes first) so a machine that speeds up or slows
/// down between benchmarks cannot tilt their ratio.
///
/// Whole-document operations take microseconds, far above the clock's cost, so their samples
/// are one operation each: short samples are rarely cut by the scheduler. Lookups (tens of
/// nanoseconds) run 1,000 per sample.
private func registerPair(
    _ name: String, repetitions: BenchmarkScalingFactor,
    tessera: @escaping () -> Void, libbson: @escaping () -> Void
) {
    let configuration = Benchmark.Configuration(scalingFactor: repetitions)
    Benchmark("\(name)/tessera", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { tessera() }
    }
    Benchmark("\(name)/libbson", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { libbson() }
    }
    let count = repetitions.rawValue
    Benchmark(
        "\(name)/paired",
        configuration: .init(metrics: [tesseraTime, libbsonTime], units: [tesseraTime: .count, libbsonTime: .count], scalingFactor: .one)
    ) { benchmark in
        let tesseraFirst = benchmark.currentIteration % 2 == 0
        var tesseraNanoseconds = 0
        var libbsonNanoseconds = 0
        for side in 0..<2 {
            let runTessera = (side == 0) == tesseraFirst
            let start = monotonicNanoseconds()
            if runTessera {
                for _ in 0..<count { tessera() }
            } else {
                for _ in 0..<count { libbson() }
            }
            let elapsed = monotonicNanoseconds() - start
            if runTessera { tesseraNanoseconds = elapsed } else { libbsonNanoseconds = elapsed }
        }
        benchmark.measurement(tesseraTime, tesseraNanoseconds)
        benchmark.measurement(libbsonTime, libbsonNanoseconds)
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
private func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}

/// The element's value as libbson's bson_iter_as_int64 gives it (bool, double, int32 and
/// int64; 0 for other types), so both sides of a lookup benchmark read the value they found.
private func numericValue(_ element: BSONElementView?) -> Int64 {
    guard let element else { return .min }
    if let value = element.int32 { return Int64(value) }
    if let value = element.int64 { return value }
    if let value = element.double { return Int64(value) }
    if let value = element.bool { return value ? 1 : 0 }
    return 0
}

/// Reads every value in a view, recursing into documents and arrays, the way
/// lbb_visit reads every value with bson_iter (strings and binaries by length, no copies).
private func walk(_ view: BSONDocumentView) -> Int64 {
    var sum: Int64 = 0
    for element in view {
        sum &+= Int64(element.type.rawValue)
        switch element.type {
        case .document, .array:
            if let child = element.document ?? element.array { sum &+= walk(child) }
        case .int32: sum &+= Int64(element.int32 ?? 0)
        case .int64: sum &+= element.int64 ?? 0
        case .double: sum &+= Int64(element.double ?? 0)
        case .bool: sum &+= (element.bool ?? false) ? 1 : 0
        case .datetime: sum &+= element.datetime?.millisecondsSinceEpoch ?? 0
        default: sum &+= Int64(element.valueBytes.count)
        }
    }
    return sum
}

/// Checks, once before measuring, that libbson builds byte-identical BSON from the plan,
/// accepts Tessera's bytes and finds the same values, so both sides do the same work.
/// Differences in Extended JSON text are reported on stderr, not fatal, as is the input size.
private func checkBaselineAgrees(on fixture: Fixture) {
    let bytes = fixture.bytes
    printToStandardError("input: \(fixture.name) is \(bytes.count) bytes\n")
    let libbsonBytes = LibBSONPlan(fixture.document).encodedBytes()
    precondition(libbsonBytes == bytes, "\(fixture.name): libbson built different bytes from the same document")
    precondition(lbb_validate(bytes, bytes.count), "\(fixture.name): libbson rejects Tessera's bytes")
    precondition(
        lbb_find_path(bytes, bytes.count, fixture.path) == numericValue(fixture.view.element(atPath: fixture.path)),
        "\(fixture.name): the path lookups disagree"
    )
    precondition(
        lbb_find_key(bytes, bytes.count, fixture.topLevelKey) == numericValue(fixture.view[fixture.topLevelKey]),
        "\(fixture.name): the key lookups disagree"
    )
    let tesseraJSON = fixture.document.extendedJSON(.relaxed)
    if let pointer = lbb_relaxed_json_copy(bytes, bytes.count) {
        let libbsonJSON = String(cString: pointer)
        lbb_free(pointer)
        let ours = Array(withoutInsignificantSpace(tesseraJSON).utf8)
        let theirs = Array(withoutInsignificantSpace(libbsonJSON).utf8)
        if ours != theirs {
            let first = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count)
            let from = max(0, first - 40)
            printToStandardError(
                "note: \(fixture.name) relaxed Extended JSON differs from libbson's (whitespace aside) at byte \(first):\n"
                    + "  tessera: …\(String(decoding: ours[from..<min(ours.count, first + 60)], as: UTF8.self))\n"
                    + "  libbson: …\(String(decoding: theirs[from..<min(theirs.count, first + 60)], as: UTF8.self))\n"
            )
        }
    }
}

/// Writes `text` to file descriptor 2 (the benchmark's stdout carries its results).
private func printToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}

/// JSON text without whitespace outside strings, to compare two serialisers' output.
private func withoutInsignificantSpace(_ json: String) -> String {
    var result = String.UnicodeScalarView()
    var inString = false
    var escaped = false
    for scalar in json.unicodeScalars {
        if inString {
            if escaped { escaped = false } else if scalar == "\\" { escaped = true } else if scalar == "\"" { inString = false }
            result.append(scalar)
        } else if scalar == "\"" {
            inString = true
            result.append(scalar)
        } else if scalar != " " && scalar != "\n" && scalar != "\t" && scalar != "\r" {
            result.append(scalar)
        }
    }
    return String(result)
}
