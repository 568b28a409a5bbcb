// W1's per-minute metric document: the cost of reading its last counter (minute.23.59)
// against its first (minute.00.00), from a decoded-once shape-encoded record and, for
// reference, from the BSON bytes; alternating rounds, median ns/read of each.
import BenchSupport
import ReportSupport
import BSON
import Documents

struct ReadTiming {
    let firstNanoseconds: Double
    let lastNanoseconds: Double
    let readsPerRound: Int
    let rounds: Int
    var ratio: Double { lastNanoseconds / firstNanoseconds }
}

struct W1FieldReadFigures {
    let recordBytes: Int
    let bsonBytes: Int
    let record: ReadTiming
    let bson: ReadTiming
    /// Sum of every value read, printed so the reads cannot be optimised away.
    let checksum: Int64

    static let firstPath = "minute.00.00"
    static let lastPath = "minute.23.59"

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `{_id: "20101010/metric-1", metadata: {date, metric}, daily, hourly: {00..23}, minute: {00..23: {00..59}}}`.
    static func metricDocument() -> BSONDocument {
        var random = SeededGenerator(seed: 0x57_31_4D_45)  // "W1ME"
        var hourly = BSONDocument()
        var minute = BSONDocument()
        var daily: Int32 = 0
        for hour in 0..<24 {
            var minutes = BSONDocument()
            var hourTotal: Int32 = 0
            for minuteOfHour in 0..<60 {
                let hits = Int32.random(in: 0...500, using: &random)
                hourTotal += hits
                minutes.append(twoDigits(minuteOfHour), .int32(hits))
            }
            hourly.append(twoDigits(hour), .int32(hourTotal))
            minute.append(twoDigits(hour), .document(minutes))
            daily += hourTotal
        }
        var metadata = BSONDocument()
        metadata.append("date", .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_668_800_000)))
        metadata.append("metric", .string("metric-1"))
        var document = BSONDocument()
        document.append("_id", .string("20101010/metric-1"))
        document.append("metadata", .document(metadata))
        document.append("daily", .int32(daily))
        document.append("hourly", .document(hourly))
        document.append("minute", .document(minute))
        return document
    }

    static func intValue(_ field: RecordField?) -> Int64 {
        guard let field else { return -1 }
        if let value = field.int32 { return Int64(value) }
        return field.int64 ?? -1
    }

    static func intValue(_ element: BSONElementView?) -> Int64 {
        guard let element else { return -1 }
        if let value = element.int32 { return Int64(value) }
        return element.int64 ?? -1
    }

    /// Median of `values`.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Times `reads` calls of `read` for each path, alternating first/last for `rounds` rounds.
    static func time(rounds: Int, reads: Int, checksum: inout Int64,
                     _ read: (String) throws -> Int64) rethrows -> ReadTiming {
        let clock = ContinuousClock()
        var firstSamples: [Double] = []
        var lastSamples: [Double] = []
        // Warm-up, untimed.
        for _ in 0..<min(reads, 10_000) {
            checksum &+= try read(firstPath) &+ read(lastPath)
        }
        for round in 0..<rounds {
            // Alternate which path goes first so neither always follows the other.
            let order = round % 2 == 0 ? [firstPath, lastPath] : [lastPath, firstPath]
            for path in order {
                var sum: Int64 = 0
                let started = clock.now
                for _ in 0..<reads { sum &+= try read(path) }
                let perRead = started.duration(to: clock.now).nanoseconds / Double(reads)
                checksum &+= sum
                if path == firstPath { firstSamples.append(perRead) } else { lastSamples.append(perRead) }
            }
        }
        return ReadTiming(firstNanoseconds: median(firstSamples), lastNanoseconds: median(lastSamples),
                          readsPerRound: reads, rounds: rounds)
    }

    static func measure(rounds: Int = 5, recordReads: Int = 1_000_000, bsonReads: Int = 100_000) throws -> W1FieldReadFigures {
        let document = metricDocument()
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let recordBytes = try encoder.encode(document).bytes
        let record = try RecordDecoder(registry: registry).record(recordBytes)
        let bsonBytes = try document.bsonBytes()
        let view = try BSONDocumentView(validating: bsonBytes)

        // Both encodings must agree on the values read.
        let expectedFirst = intValue(view.element(atPath: firstPath))
        let expectedLast = intValue(view.element(atPath: lastPath))
        guard try intValue(record.field(atPath: firstPath)) == expectedFirst,
              try intValue(record.field(atPath: lastPath)) == expectedLast, expectedFirst >= 0, expectedLast >= 0 else {
            throw ReportFailure(description: "record and BSON disagree on minute.00.00 / minute.23.59")
        }

        var checksum: Int64 = 0
        let recordTiming = try time(rounds: rounds, reads: recordReads, checksum: &checksum) { path in
            intValue(try record.field(atPath: path))
        }
        let bsonTiming = time(rounds: rounds, reads: bsonReads, checksum: &checksum) { path in
            intValue(view.element(atPath: path))
        }
        return W1FieldReadFigures(recordBytes: recordBytes.count, bsonBytes: bsonBytes.count,
                                  record: recordTiming, bson: bsonTiming, checksum: checksum)
    }
}
