// W4: `count({apples: {$gt: 10000}})` over 2,000,000 fruit documents of two shapes, the
// compiled per-shape matcher over shape-encoded records against an interpreting matcher
// over the same documents stored as BSON in the same RocksDB (same run, same machine);
// then the same with `kiwis`, which half the documents (one shape) lack.

import BenchSupport
import ReportSupport
import BSON
import Documents
import Query
import Storage

struct W4Figures {
    struct Pair {
        let matched: Int
        let compiledPerSecond: Double
        let interpretedPerSecond: Double
        let decidedByShape: Int
        var ratio: Double { compiledPerSecond / interpretedPerSecond }
    }

    let documentCount: Int
    let loadSeconds: Double
    let apples: Pair
    let kiwis: Pair

    static func measure(in directory: String, documentCount: Int = 2_000_000, rounds: Int = 3) throws -> W4Figures {
        let clock = ContinuousClock()
        let store = try DocumentStore(path: directory, options: QueryEngine.storeOptions())
        let engine = QueryEngine(store: store)
        let collection = try engine.collection("fruit", in: "w4")
        let raw = store.storage
        let bsonSpace = try raw.keySpace(named: "bench.w4.bson")
        var random = SeededGenerator(seed: 0x57_34)
        let yearStart: Int64 = 1_767_225_600_000
        let started = clock.now
        var batch: [BSONDocument] = []
        var rawBatch: any KeyValueWriteBatch = try raw.makeWriteBatch()
        for index in 0..<documentCount {
            var document: BSONDocument = ["_id": .int32(Int32(index))]
            let date = yearStart + Int64.random(in: 0..<(365 * 86_400_000), using: &random)
            document.append("date", .datetime(BSONDateTime(millisecondsSinceEpoch: date)))
            document.append("apples", .int32(Int32.random(in: 0...100_000, using: &random)))
            document.append("oranges", .int32(Int32.random(in: 0...100_000, using: &random)))
            document.append("bananas", .int32(Int32.random(in: 0...100_000, using: &random)))
            if index % 2 == 1 {
                document.append("kiwis", .int32(Int32.random(in: 0...100_000, using: &random)))
            }
            batch.append(document)
            rawBatch.put(KeyEncoding.key(for: .int32(Int32(index))), try document.bsonBytes(), in: bsonSpace)
            if batch.count == 10_000 {
                try collection.insert(contentsOf: batch)
                try raw.write(rawBatch, durability: .buffered)
                batch.removeAll(keepingCapacity: true)
                rawBatch = try raw.makeWriteBatch()
            }
        }
        if !batch.isEmpty {
            try collection.insert(contentsOf: batch)
            try raw.write(rawBatch, durability: .buffered)
        }
        // Both copies on disk and compacted, so both scans read SSTs the same way.
        if let maintenance = raw as? any StorageMaintenance {
            try maintenance.flush()
            try maintenance.compactRange(in: bsonSpace)
            for name in try raw.keySpaceNames where name.hasPrefix("c.") {
                if let space = try raw.existingKeySpace(named: name) { try maintenance.compactRange(in: space) }
            }
        }
        let loadSeconds = (clock.now - started).seconds

        func pair(_ field: String) throws -> Pair {
            let filter: BSONDocument = [field: ["$gt": .int32(10_000)]]
            let interpreter = InterpretingMatcher(spec: filter)
            var bestCompiled = Double.infinity
            var bestInterpreted = Double.infinity
            var compiledCount = 0
            var interpretedCount = 0
            for _ in 0..<rounds {
                let compiledStart = clock.now
                compiledCount = try collection.count(filter)
                bestCompiled = min(bestCompiled, (clock.now - compiledStart).seconds)

                let interpretedStart = clock.now
                var matched = 0
                try raw.scan(.all, in: bsonSpace) { _, value in
                    if interpreter.matches(BSONDocumentView(previouslyValidated: Array(value))) { matched += 1 }
                    return .continue
                }
                interpretedCount = matched
                bestInterpreted = min(bestInterpreted, (clock.now - interpretedStart).seconds)
            }
            guard compiledCount == interpretedCount else {
                throw ReportFailure(description: "W4 \(field): compiled matched \(compiledCount), interpreted \(interpretedCount)")
            }
            let explain = try collection.explain(FindQuery(filter: filter, projection: ["_id": 1]))
            let decided = explain.document(at: "executionStats")?.document(at: "executionStages")
                .flatMap(Self.collectionScan)?["docsDecidedByShape"]?.int64Value ?? -1
            return Pair(matched: compiledCount,
                        compiledPerSecond: Double(documentCount) / bestCompiled,
                        interpretedPerSecond: Double(documentCount) / bestInterpreted,
                        decidedByShape: Int(decided))
        }
        let apples = try pair("apples")
        let kiwis = try pair("kiwis")
        return W4Figures(documentCount: documentCount, loadSeconds: loadSeconds, apples: apples, kiwis: kiwis)
    }

    /// The COLLSCAN stage inside an execution stage tree.
    private static func collectionScan(_ stage: BSONDocument) -> BSONDocument? {
        if stage["stage"] == .string("COLLSCAN") { return stage }
        return stage.document(at: "inputStage").flatMap(collectionScan)
    }
}

extension BSONDocument {
    /// The embedded document at `key`, if that is what it holds.
    func document(at key: String) -> BSONDocument? {
        if case let .document(document)? = self[key] { return document }
        return nil
    }
}
