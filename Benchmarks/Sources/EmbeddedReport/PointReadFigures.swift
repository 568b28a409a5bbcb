// Point reads by `_id`: `findOne(["_id": id])` through `import Tessera` (typed and as
// BSONDocument) against RocksDB `get` of the same keys and records in a store of its own,
// single-threaded, over one seeded lookup sequence after a warm-up from another. Each side
// is timed by the wall clock and by the process's CPU time, which waiting for a core shared
// with other processes does not inflate.
import ReportSupport
import Tessera
import Storage

struct PointReadFigures {
    /// Lookups per second of one side (per wall second and per CPU second of the process),
    /// and a checksum of what it read (so nothing is elided).
    struct Side {
        let opsPerSecond: Double
        let opsPerCPUSecond: Double
        let checksum: Int

        /// `lookups` timed from `started` (wall) and `startedCPU` (process CPU seconds).
        init(_ lookups: Int, since started: ContinuousClock.Instant, cpu startedCPU: Double, checksum: Int) {
            opsPerSecond = Double(lookups) / started.duration(to: ContinuousClock.now).seconds
            opsPerCPUSecond = Double(lookups) / max(Machine.processCPUSeconds - startedCPU, 1e-9)
            self.checksum = checksum
        }
    }

    let documentCount: Int
    let lookupCount: Int
    let warmUpCount: Int
    let averageRecordBytes: Double
    let typed: Side
    let bson: Side
    let raw: Side

    static func measure(_ data: ScoreDocuments, client: TesseraClient, rawPath: String, lookupCount: Int) async throws -> PointReadFigures {
        let collection = client.db("bench").collection("reads", withType: Score.self)
        for start in stride(from: 0, to: data.scores.count, by: 1_000) {
            try await collection.insertMany(Array(data.scores[start..<min(start + 1_000, data.scores.count)]))
        }
        let pairs = try data.keyedRecords()
        let store = try RocksDBStore(path: rawPath, options: StorageOptions())
        let keySpace = try store.keySpace(named: "reads")
        let batch = try store.makeWriteBatch()
        for (index, pair) in pairs.enumerated() {
            batch.put(pair.key, pair.record, in: keySpace)
            if (index + 1) % 1_000 == 0 || index + 1 == pairs.count {
                try store.write(batch, durability: .buffered)
                batch.clear()
            }
        }

        let warmUpCount = max(1, lookupCount / 10)
        let warmUp = ScoreDocuments.lookups(warmUpCount, among: data.scores.count, seed: 0x57_41_52_4D)  // "WARM"
        let lookups = ScoreDocuments.lookups(lookupCount, among: data.scores.count, seed: 0x4C_4F_4F_4B)  // "LOOK"
        let ids = data.scores.map(\._id)
        let keys = pairs.map { $0.key }

        _ = try await apiReads(warmUp, ids: ids, collection: collection, weight: \.score)
        let typed = try await apiReads(lookups, ids: ids, collection: collection, weight: \.score)
        let documents = client.db("bench").collection("reads")
        _ = try await apiReads(warmUp, ids: ids, collection: documents, weight: \.count)
        let bson = try await apiReads(lookups, ids: ids, collection: documents, weight: \.count)
        _ = try rawReads(warmUp, keys: keys, store: store, keySpace: keySpace)
        let raw = try rawReads(lookups, keys: keys, store: store, keySpace: keySpace)

        return PointReadFigures(
            documentCount: data.scores.count, lookupCount: lookupCount, warmUpCount: warmUpCount,
            averageRecordBytes: Double(pairs.reduce(0) { $0 + $1.record.count }) / Double(max(pairs.count, 1)),
            typed: typed, bson: bson, raw: raw
        )
    }

    /// `findOne(["_id": id])` of every lookup through `collection`; `weight` of what it
    /// returns goes into the checksum.
    private static func apiReads<T: Codable & Sendable>(
        _ lookups: [Int], ids: [String], collection: TesseraCollection<T>, weight: (T) -> Int
    ) async throws -> Side {
        var checksum = 0
        let startedCPU = Machine.processCPUSeconds
        let started = ContinuousClock.now
        for index in lookups {
            guard let found = try await collection.findOne(["_id": .string(ids[index])]) else {
                throw ReportFailure(description: "findOne missed \(ids[index])")
            }
            checksum &+= weight(found)
        }
        return Side(lookups.count, since: started, cpu: startedCPU, checksum: checksum)
    }

    private static func rawReads(_ lookups: [Int], keys: [[UInt8]], store: RocksDBStore, keySpace: ColumnFamily) throws -> Side {
        var checksum = 0
        let startedCPU = Machine.processCPUSeconds
        let started = ContinuousClock.now
        for index in lookups {
            guard let value = try store.get(keys[index], in: keySpace) else {
                throw ReportFailure(description: "get missed key \(index)")
            }
            checksum &+= value.count
        }
        return Side(lookups.count, since: started, cpu: startedCPU, checksum: checksum)
    }
}
