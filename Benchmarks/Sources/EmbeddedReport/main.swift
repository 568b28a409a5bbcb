// `make bench-embedded`: issue 19's figures for `import Tessera` — point reads by `_id`
// through the API against raw RocksDB `get` of the same keys and records (goal ≥ 50 %), and
// the API's insertMany against the in-process `insert` command — ending with
// machine-readable `name: value` lines. `--scale F` (or REPORT_SCALE=F) scales N.
import ReportSupport
import Tessera
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let options = ReportOptions()
let clock = ContinuousClock()
let runStarted = clock.now
let documentCount = options.scaled(100_000)
let lookupCount = options.scaled(200_000)
print("Tessera embedded API report — \(Machine.cores) cores, host \(Machine.hostname), \(Machine.utcDate), scale \(options.scale)")
print("")

do {
    let scratch = try ScratchDirectory(prefix: "tessera-embedded-report")
    defer { scratch.remove() }
    let data = try ScoreDocuments(count: documentCount, seed: 0x53_43_4F_52_45)  // "SCORE"
    let client = try TesseraClient(path: scratch.path + "/tessera")
    defer { client.close() }

    if options.runs("reads") {
        let reads = try await PointReadFigures.measure(data, client: client, rawPath: scratch.path + "/rocksdb",
                                                       lookupCount: lookupCount)
        let typedRatio = reads.typed.opsPerSecond / reads.raw.opsPerSecond
        let bsonRatio = reads.bson.opsPerSecond / reads.raw.opsPerSecond
        print("Point reads by _id: \(reads.documentCount) scores (record avg \(Format.fixed(reads.averageRecordBytes, 1)) B), "
            + "\(reads.lookupCount) seeded uniform lookups after \(reads.warmUpCount) warm-up, one thread")
        print("  findOne typed (Score):      \(Format.fixed(reads.typed.opsPerSecond, 0)) ops/s  "
            + "(\(Format.fixed(typedRatio * 100, 1)) % of raw)  checksum \(reads.typed.checksum)")
        print("  findOne BSONDocument:       \(Format.fixed(reads.bson.opsPerSecond, 0)) ops/s  "
            + "(\(Format.fixed(bsonRatio * 100, 1)) % of raw)  checksum \(reads.bson.checksum)")
        print("  RocksDBStore.get (raw):     \(Format.fixed(reads.raw.opsPerSecond, 0)) ops/s  checksum \(reads.raw.checksum)")
        print("  (raw: the same KeyEncoding keys and shape-encoded records, default StorageOptions, own store)")
        let typedCPURatio = reads.typed.opsPerCPUSecond / reads.raw.opsPerCPUSecond
        let bsonCPURatio = reads.bson.opsPerCPUSecond / reads.raw.opsPerCPUSecond
        print("  per CPU second (load-independent): typed \(Format.fixed(reads.typed.opsPerCPUSecond, 0)), "
            + "BSONDocument \(Format.fixed(reads.bson.opsPerCPUSecond, 0)), raw \(Format.fixed(reads.raw.opsPerCPUSecond, 0)) ops")
        print("")
        print("embedded-findone-typed-ops: \(Format.fixed(reads.typed.opsPerSecond, 0))")
        print("embedded-findone-bson-ops: \(Format.fixed(reads.bson.opsPerSecond, 0))")
        print("raw-get-ops: \(Format.fixed(reads.raw.opsPerSecond, 0))")
        print("findone-typed-raw-ratio: \(Format.fixed(typedRatio, 3))")
        print("findone-bson-raw-ratio: \(Format.fixed(bsonRatio, 3))")
        print("findone-typed-raw-cpu-ratio: \(Format.fixed(typedCPURatio, 3))")
        print("findone-bson-raw-cpu-ratio: \(Format.fixed(bsonCPURatio, 3))")
        print("")
    }
    if options.runs("inserts") {
        let inserts = try await InsertFigures.measure(data, client: client)
        print("Inserts: \(inserts.documentCount) scores in batches of \(inserts.batchSize), each path into a fresh collection")
        print("  insert command (runCommand): \(Format.fixed(inserts.commandPerSecond, 0)) docs/s")
        print("  insertMany typed (Score):    \(Format.fixed(inserts.typedPerSecond, 0)) docs/s")
        print("  insertMany BSONDocument:     \(Format.fixed(inserts.bsonPerSecond, 0)) docs/s")
        print("")
        print("insert-command-docs: \(Format.fixed(inserts.commandPerSecond, 0))")
        print("insertmany-typed-docs: \(Format.fixed(inserts.typedPerSecond, 0))")
        print("insertmany-bson-docs: \(Format.fixed(inserts.bsonPerSecond, 0))")
        print("")
    }
    print("total run time: \(Format.fixed(runStarted.duration(to: clock.now).seconds, 1)) s")
} catch {
    print("embedded report failed: \(error)")
    exit(1)
}
