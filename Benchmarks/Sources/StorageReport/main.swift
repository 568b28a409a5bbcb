// `make bench-storage`: prints issue 3's storage figures — W4 fruit record vs BSON sizes,
// W2 events' raw-BSON-to-disk ratio after compaction, and W1's last/first field read cost —
// ending with four machine-readable `name: value` lines.
import ReportSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let clock = ContinuousClock()
let runStarted = clock.now
print("Tessera storage report — \(Machine.cores) cores, host \(Machine.hostname), \(Machine.utcDate)")
print("")

do {
    let fruit = try FruitFigures.measure()
    print("W4 fruit documents: \(fruit.documentCount) (half with kiwis), \(fruit.shapeCount) shape ids, "
        + "\(Format.fixed(fruit.seconds, 2)) s")
    print("  average record bytes (no _id): \(Format.fixed(fruit.averageRecordBytes, 2))")
    print("  average BSON bytes   (no _id): \(Format.fixed(fruit.averageBSONBytes, 2))")
    print("")

    let scratch = try ScratchDirectory(prefix: "tessera-storage-report")
    defer { scratch.remove() }
    let w2 = try W2DiskFigures.measure(in: scratch.path + "/db")
    print("W2 events: \(w2.documentCount) in batches of 1,000 (.buffered), default StorageOptions, in \(scratch.path)")
    print("  write time: \(Format.fixed(w2.writeSeconds, 2)) s (\(Format.fixed(Double(w2.documentCount) / w2.writeSeconds, 0)) docs/s); "
        + "flush + compactRange: \(Format.fixed(w2.compactSeconds, 2)) s")
    print("  raw BSON total:     \(Format.bytes(w2.rawBSONBytes)), avg \(Format.fixed(Double(w2.rawBSONBytes) / Double(w2.documentCount), 2)) B/doc")
    print("  record total:       \(Format.bytes(w2.recordBytes)), avg \(Format.fixed(Double(w2.recordBytes) / Double(w2.documentCount), 2)) B/doc (values only, keys 12 B each)")
    print("  SST bytes:          \(Format.bytes(w2.sstBytes)) (live \(w2.liveSSTBytes))")
    print("  directory total:    \(Format.bytes(w2.directoryBytes)) (SSTs + WAL + MANIFEST + LOG)")
    print("")

    let w1 = try W1FieldReadFigures.measure()
    print("W1 metric document: record \(w1.recordBytes) B, BSON \(w1.bsonBytes) B")
    print("  record  minute.00.00: \(Format.fixed(w1.record.firstNanoseconds, 2)) ns/read, "
        + "minute.23.59: \(Format.fixed(w1.record.lastNanoseconds, 2)) ns/read, ratio \(Format.fixed(w1.record.ratio, 3)) "
        + "(median of \(w1.record.rounds) rounds × \(w1.record.readsPerRound) reads)")
    print("  BSON    minute.00.00: \(Format.fixed(w1.bson.firstNanoseconds, 2)) ns/read, "
        + "minute.23.59: \(Format.fixed(w1.bson.lastNanoseconds, 2)) ns/read, ratio \(Format.fixed(w1.bson.ratio, 3)) "
        + "(median of \(w1.bson.rounds) rounds × \(w1.bson.readsPerRound) reads; BSONDocumentView.element(atPath:))")
    print("  checksum: \(w1.checksum)")
    print("")
    print("total run time: \(Format.fixed(runStarted.duration(to: clock.now).seconds, 1)) s")
    print("")
    print("fruit-record-bytes: \(Format.fixed(fruit.averageRecordBytes, 2))")
    print("fruit-bson-bytes: \(Format.fixed(fruit.averageBSONBytes, 2))")
    print("w2-disk-ratio: \(Format.fixed(w2.diskRatio, 2))")
    print("w1-last-first-field-ratio: \(Format.fixed(w1.record.ratio, 3))")
} catch {
    print("storage report failed: \(error)")
    exit(1)
}
