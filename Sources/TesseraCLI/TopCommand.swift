// `tessera top`: mongotop's live view — every interval, the collections that were busy since
// the previous report with the milliseconds spent in them (total, read, write), from the
// `top` admin command's microsecond totals. On a terminal the table redraws in place;
// otherwise reports follow one another. `--json` prints each report as one JSON document.

import ArgumentParser
import BSON
import BenchKit
import Foundation

/// `tessera top`.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the time spent in each collection per interval (like mongotop).")

    @OptionGroup var options: LiveViewOptions

    @Option(name: .long, help: "Show at most this many collections per report, busiest first (default 20).")
    var limit: Int = 20

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let redraw = !options.json && isatty(STDOUT_FILENO) == 1
        try options.sample(["top": .int32(1)]) { previous, current in
            let busy = Array(try TopSample(current).changes(since: TopSample(previous)).prefix(limit))
            if options.json {
                print(TopSample.json(busy, time: Date()))
            } else {
                if redraw { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(TopSample.table(busy, time: Date()))
            }
        }
    }
}

/// One collection's activity in an interval.
struct TopActivity {
    let namespace: String
    /// Microseconds and operation counts: total, read locks, write locks.
    let totalMicros: Int64, readMicros: Int64, writeMicros: Int64
    let totalCount: Int64, readCount: Int64, writeCount: Int64
}

/// The `top` totals at one moment.
struct TopSample {
    /// namespace → field (total, readLock, writeLock) → (time, count).
    let rows: [String: [String: (time: Int64, count: Int64)]]

    init(_ reply: BSONDocument) throws {
        guard case .document(let totals)? = reply["totals"] else {
            throw ToolFailure("top replied without totals: \(reply.extendedJSON())")
        }
        var rows: [String: [String: (time: Int64, count: Int64)]] = [:]
        for element in totals {
            guard case .document(let usage) = element.value else { continue }
            var fields: [String: (time: Int64, count: Int64)] = [:]
            for field in ["total", "readLock", "writeLock"] {
                let figures = usage[field]?.documentValue ?? BSONDocument()
                fields[field] = (figures["time"].flatMap(ClientNumber.saturatedInteger) ?? 0,
                                 figures["count"].flatMap(ClientNumber.saturatedInteger) ?? 0)
            }
            rows[element.key] = fields
        }
        self.rows = rows
    }

    /// The collections with operations since `previous`, most time first.
    func changes(since previous: TopSample) -> [TopActivity] {
        var activity: [TopActivity] = []
        for (namespace, fields) in rows {
            let before = previous.rows[namespace] ?? [:]
            func delta(_ field: String) -> (Int64, Int64) {
                let now = fields[field] ?? (0, 0)
                let then = before[field] ?? (0, 0)
                // A collection dropped and recreated between samples starts again from zero.
                return now.count >= then.count ? (now.time &- then.time, now.count &- then.count) : now
            }
            let total = delta("total"), read = delta("readLock"), write = delta("writeLock")
            guard total.1 > 0 else { continue }
            activity.append(TopActivity(namespace: namespace, totalMicros: total.0, readMicros: read.0, writeMicros: write.0,
                                        totalCount: total.1, readCount: read.1, writeCount: write.1))
        }
        return activity.sorted { ($0.totalMicros, $1.namespace) > ($1.totalMicros, $0.namespace) }
    }

    private static func millis(_ micros: Int64) -> String { "\((micros + 500) / 1000)ms" }

    private static func timestamp(_ time: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: time)
    }

    /// mongotop's table: ns, total, read, write, with the time in the header.
    static func table(_ activity: [TopActivity], time: Date) -> String {
        let width = max(30, (activity.map(\.namespace.count).max() ?? 0) + 2)
        func cell(_ text: String, _ size: Int) -> String { String(repeating: " ", count: max(0, size - text.count)) + text }
        var lines = [cell("ns", width) + cell("total", 10) + cell("read", 10) + cell("write", 10) + "    " + timestamp(time)]
        for row in activity {
            lines.append(cell(row.namespace, width) + cell(millis(row.totalMicros), 10) + cell(millis(row.readMicros), 10)
                         + cell(millis(row.writeMicros), 10))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as `{time, totals: {ns: {total: {time, count}, read: {...}, write: {...}}}}`, times in ms.
    static func json(_ activity: [TopActivity], time: Date) -> String {
        var totals = BSONDocument()
        for row in activity {
            func figure(_ micros: Int64, _ count: Int64) -> BSONValue {
                .document(["time": .double(Double(micros) / 1000), "count": .int64(count)])
            }
            totals.append(row.namespace, .document([
                "total": figure(row.totalMicros, row.totalCount), "read": figure(row.readMicros, row.readCount),
                "write": figure(row.writeMicros, row.writeCount),
            ]))
        }
        return BSONValue.document(["time": .string(timestamp(time)), "totals": .document(totals)]).extendedJSON()
    }
}
