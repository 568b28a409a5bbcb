// W1: 1,000,000 upserts `$inc {daily, hourly.HH, minute.HH.MM}` over 100 metric documents
// through a simulated 24-hour day, with no preallocation: each document is created by its
// first upsert and grows a field per new minute. Reports each simulated hour's throughput
// and RocksDB's bytes written per update.

import BenchSupport
import ReportSupport
import BSON
import Documents
import Query
import Storage

struct W1Figures {
    struct Hour {
        let hour: Int
        let updates: Int
        let seconds: Double
        let cpuSeconds: Double
        let bytesWritten: UInt64
        var perSecond: Double { Double(updates) / seconds }
        var perCPUSecond: Double { Double(updates) / cpuSeconds }
        var bytesPerUpdate: Double { Double(bytesWritten) / Double(updates) }
    }

    let hours: [Hour]
    var lastFirstRatio: Double { hours[hours.count - 1].perSecond / hours[0].perSecond }
    var lastFirstCPURatio: Double { hours[hours.count - 1].perCPUSecond / hours[0].perCPUSecond }
    var bytesPerUpdateRatio: Double { hours[hours.count - 1].bytesPerUpdate / hours[0].bytesPerUpdate }
    let finalDocumentCheck: String

    static func measure(in directory: String, updates: Int = 1_000_000, metrics: Int = 100) throws -> W1Figures {
        let clock = ContinuousClock()
        var options = DocumentStoreOptions()
        options.storage.collectsStatistics = true
        let store = try DocumentStore(path: directory, options: QueryEngine.storeOptions(options))
        let engine = QueryEngine(store: store)
        func bytesWritten() -> UInt64 { (store.storage as? any StorageFigures)?.statistics()?.bytesWritten ?? 0 }
        let collection = try engine.collection("metrics", in: "w1")
        var random = SeededGenerator(seed: 0x57_31)
        var hours: [Hour] = []
        var hourStart = clock.now
        var hourCPU = Machine.processCPUSeconds
        var hourBytes = bytesWritten()
        var hourUpdates = 0
        var currentHour = 0
        var expectedDaily = [Int](repeating: 0, count: metrics)
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        for index in 0..<updates {
            let minuteOfDay = index * 1440 / updates
            let hour = minuteOfDay / 60
            if hour != currentHour {
                let now = clock.now
                let cpu = Machine.processCPUSeconds
                let bytes = bytesWritten()
                hours.append(Hour(hour: currentHour, updates: hourUpdates, seconds: (now - hourStart).seconds,
                                  cpuSeconds: cpu - hourCPU, bytesWritten: bytes - hourBytes))
                (hourStart, hourCPU, hourBytes, hourUpdates, currentHour) = (now, cpu, bytes, 0, hour)
            }
            let metric = Int.random(in: 0..<metrics, using: &random)
            expectedDaily[metric] += 1
            let hh = pad(hour)
            let mm = pad(minuteOfDay % 60)
            var increments = BSONDocument()
            increments.append("daily", .int32(1))
            increments.append("hourly.\(hh)", .int32(1))
            increments.append("minute.\(hh).\(mm)", .int32(1))
            try collection.update(["_id": .string("20101010/metric-\(metric)")], ["$inc": .document(increments)],
                                  options: UpdateOptions(upsert: true))
            hourUpdates += 1
        }
        let bytes = bytesWritten()
        hours.append(Hour(hour: currentHour, updates: hourUpdates, seconds: (clock.now - hourStart).seconds,
                          cpuSeconds: Machine.processCPUSeconds - hourCPU, bytesWritten: bytes - hourBytes))
        // Every counter adds up: daily totals equal the updates sent to each metric.
        var mismatches = 0
        for metric in 0..<metrics {
            let found = try collection.find(FindQuery(filter: ["_id": .string("20101010/metric-\(metric)")]))
            if found.first?["daily"]?.int64Value != Int64(expectedDaily[metric]) { mismatches += 1 }
        }
        let check = mismatches == 0 ? "all \(metrics) daily counters equal the updates sent"
            : "\(mismatches) daily counters differ from the updates sent"
        return W1Figures(hours: hours, finalDocumentCheck: check)
    }
}
