// W1 (per-minute metrics) through delta updates: upserts `$inc` daily, hourly.HH and
// minute.HH.MM over a simulated day with no preallocation. Checks that the bytes RocksDB
// receives per update do not grow through the day and that every counter adds up.

import BSON
import Foundation
import Testing
@testable import Documents
@testable import Storage

/// One simulated W1 day, measured per simulated hour.
struct W1Day {
    struct Hour {
        var updates = 0
        var inserts = 0
        var fallbacks = 0
        var seconds = 0.0
        var bytesWritten: UInt64 = 0
        var walBytes: UInt64 = 0
        var flushBytes: UInt64 = 0
        var compactionBytes: UInt64 = 0

        var bytesPerUpdate: Double { updates == 0 ? 0 : Double(bytesWritten) / Double(updates) }
        var updatesPerSecond: Double { seconds == 0 ? 0 : Double(updates) / seconds }
    }

    let metrics: Int
    let updates: Int
    var hours = [Hour](repeating: Hour(), count: 24)
    /// Expected counters per metric: daily, per hour, per minute.
    var daily: [Int]
    var hourly: [[Int: Int]]
    var minutes: [[Int: Int]]

    init(metrics: Int, updatesPerMetric: Int) {
        self.metrics = metrics
        updates = metrics * updatesPerMetric
        daily = Array(repeating: 0, count: metrics)
        hourly = Array(repeating: [:], count: metrics)
        minutes = Array(repeating: [:], count: metrics)
    }

    static func id(_ metric: Int) -> BSONValue { .string("20101010/metric-\(metric)") }
    static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Runs the day against `collection`: each hit is `applyDeltas`, an insert when the
    /// document does not exist yet, or a full replace when the delta is not applicable.
    mutating func run(_ collection: DocumentCollection, store: DocumentStore) throws {
        var random = KeyOrderRandom(seed: 1010)
        var hour = 0
        var clock = Date()
        let rocksDB = try store.rocksDB
        var statistics = rocksDB.statistics()
        func close(_ hour: Int) {
            let now = Date()
            hours[hour].seconds = now.timeIntervalSince(clock)
            clock = now
            let next = rocksDB.statistics()
            if let next, let previous = statistics {
                hours[hour].bytesWritten = next.bytesWritten - previous.bytesWritten
                hours[hour].walBytes = next.walBytes - previous.walBytes
                hours[hour].flushBytes = next.flushBytesWritten - previous.flushBytesWritten
                hours[hour].compactionBytes = next.compactionBytesWritten - previous.compactionBytesWritten
            }
            statistics = next
        }
        for index in 0..<updates {
            let minute = index * 1_440 / updates
            if minute / 60 != hour {
                close(hour)
                hour = minute / 60
            }
            let metric = Int.random(in: 0..<metrics, using: &random)
            let (hh, mm) = (Self.two(minute / 60), Self.two(minute % 60))
            let changes: [FieldDelta] = [
                .increment(path: ["daily"], by: 1),
                .increment(path: ["hourly", hh], by: 1),
                .increment(path: ["minute", hh, mm], by: 1),
            ]
            daily[metric] += 1
            hourly[metric][minute / 60, default: 0] += 1
            minutes[metric][minute, default: 0] += 1
            hours[hour].updates += 1
            let id = Self.id(metric)
            let outcome = try collection.applyDeltas(id: id, changes, writeConcern: .acknowledged)
            switch outcome {
            case .applied:
                break
            case .documentNotFound:
                hours[hour].inserts += 1
                try collection.insert([
                    "_id": id, "metadata": ["date": .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_668_800_000)),
                                            "metric": .string("metric-\(metric)")],
                    "daily": 1, "hourly": [hh: 1], "minute": [hh: [mm: 1]],
                ])
            case .rewritten, .upserted:
                Issue.record("no rewrite or insert was asked for, yet \(id) got \(outcome)")
            case .notApplicable:
                hours[hour].fallbacks += 1
                guard let current = try collection.document(withID: id),
                      case let .updated(next, _) = DeltaModel.apply(changes, to: current) else {
                    throw MongoError(.internalError, "W1 fallback failed for \(id)")
                }
                try collection.replace(id: id, with: next)
            }
        }
        close(hour)
    }

    /// The document metric `metric` should hold.
    func expectedCounters(_ metric: Int) -> (daily: Int, hourly: BSONDocument, minute: BSONDocument) {
        var hourlyDocument = BSONDocument()
        var minuteDocument = BSONDocument()
        for hour in hourly[metric].keys.sorted() {
            hourlyDocument.append(Self.two(hour), .int32(Int32(hourly[metric][hour] ?? 0)))
            var inHour = BSONDocument()
            for minute in minutes[metric].keys.sorted() where minute / 60 == hour {
                inHour.append(Self.two(minute % 60), .int32(Int32(minutes[metric][minute] ?? 0)))
            }
            minuteDocument.append(Self.two(hour), .document(inHour))
        }
        return (daily[metric], hourlyDocument, minuteDocument)
    }

    /// One line per hour, for the report.
    func report() -> String {
        var lines = ["hour updates/s bytes/update wal/update flush+compaction inserts fallbacks"]
        for (index, hour) in hours.enumerated() {
            let perUpdate = hour.updates == 0 ? 0 : Double(hour.walBytes) / Double(hour.updates)
            lines.append("\(W1Day.two(index)) \(Int(hour.updatesPerSecond)) \(String(format: "%.1f", hour.bytesPerUpdate)) "
                + "\(String(format: "%.1f", perUpdate)) \(hour.flushBytes + hour.compactionBytes) \(hour.inserts) \(hour.fallbacks)")
        }
        return lines.joined(separator: "\n")
    }
}

@Suite("Delta updates: W1")
struct DeltaW1Tests {
    @Test func bytesWrittenPerUpdateDoNotGrowThroughTheDayAndCountersAddUp() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.storage.collectsStatistics = true
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("hits", in: "w1")
            var day = W1Day(metrics: 10, updatesPerMetric: 1_440)
            try day.run(collection, store: store)
            let first = day.hours[0], last = day.hours[23]
            // Only the first touch of each metric inserts; the rest of the day are deltas.
            #expect(day.hours.reduce(0) { $0 + $1.inserts } == 10)
            #expect(last.fallbacks == 0 && last.inserts == 0)
            // Late in the day the documents hold ~1,440 counters, yet an update costs the same.
            #expect(last.bytesPerUpdate > 0 && last.bytesPerUpdate <= first.bytesPerUpdate * 1.1,
                    "first \(first.bytesPerUpdate), last \(last.bytesPerUpdate)\n\(day.report())")
            for metric in 0..<10 {
                let document = try #require(try collection.document(withID: W1Day.id(metric)))
                let expected = day.expectedCounters(metric)
                #expect(document["daily"] == .int32(Int32(expected.daily)))
                #expect(document["hourly"] == .document(expected.hourly))
                #expect(document["minute"] == .document(expected.minute))
            }
        }
    }

    /// The full W1 day (100 metrics, 1,000,000 updates). Slow: runs only with TESSERA_W1=1,
    /// best in a release build.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TESSERA_W1"] == "1"))
    func fullDay() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.storage.collectsStatistics = true
            let store = try DocumentStore(path: path, options: options)
            var day = W1Day(metrics: 100, updatesPerMetric: 10_000)
            try day.run(try store.collection("hits", in: "w1"), store: store)
            print(day.report())
            let ratio = day.hours[23].updatesPerSecond / day.hours[0].updatesPerSecond
            print("w1-last-first-hour-ratio: \(String(format: "%.3f", ratio))")
        }
    }
}
