// `tessera stat`: mongostat's live view of a running server — one line per interval with the
// operations per second since the previous line (from serverStatus's opcounters), the
// storage engine's dirty and used memory, the process's virtual and resident size, the open
// connections and the time. `--json` prints each line as a JSON document instead.

import ArgumentParser
import BSON
import BenchKit
import Foundation

/// `tessera stat`.
struct Stat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the server's operation rates, memory and connections once per interval (like mongostat).",
        discussion: """
        Columns: insert query update delete getmore command (per second since the previous line), \
        dirty (memtable bytes not yet flushed, as a share of the block cache's capacity), used (block \
        cache usage, as a share of its capacity), vsize and res (the server process's virtual and \
        resident memory), conn (open connections) and time.
        """)

    @OptionGroup var options: LiveViewOptions

    func run() throws {
        if !options.json { print(StatSample.header) }
        try options.sample(["serverStatus": .int32(1)]) { previous, current in
            let row = try StatSample(current).row(since: StatSample(previous))
            print(options.json ? row.json : row.line)
        }
    }
}

/// The serverStatus figures one line is computed from.
struct StatSample {
    static let operations = ["insert", "query", "update", "delete", "getmore", "command"]
    static let header = (operations + ["dirty", "used", "vsize", "res", "conn", "time"])
        .map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined(separator: " ")

    let counters: [String: Int64]
    let uptimeMillis: Int64
    let memtableBytes: Int64
    let cacheUsage: Int64
    let cacheCapacity: Int64
    let virtualMiB: Int64
    let residentMiB: Int64
    let connections: Int64

    init(_ status: BSONDocument) throws {
        guard case .document(let opcounters)? = status["opcounters"] else {
            throw ToolFailure("serverStatus without opcounters: \(status.extendedJSON())")
        }
        var counters: [String: Int64] = [:]
        for name in Self.operations { counters[name] = opcounters[name].flatMap(ClientNumber.saturatedInteger) ?? 0 }
        self.counters = counters
        uptimeMillis = status["uptimeMillis"].flatMap(ClientNumber.saturatedInteger) ?? 0
        let rocksdb = status["rocksdb"]?.documentValue ?? BSONDocument()
        memtableBytes = rocksdb["memtableBytes"].flatMap(ClientNumber.saturatedInteger) ?? 0
        cacheUsage = rocksdb["blockCacheUsage"].flatMap(ClientNumber.saturatedInteger) ?? 0
        cacheCapacity = rocksdb["blockCacheCapacity"].flatMap(ClientNumber.saturatedInteger) ?? 0
        let memory = status["mem"]?.documentValue ?? BSONDocument()
        virtualMiB = memory["virtual"].flatMap(ClientNumber.saturatedInteger) ?? 0
        residentMiB = memory["resident"].flatMap(ClientNumber.saturatedInteger) ?? 0
        connections = status["connections"]?.documentValue?["current"].flatMap(ClientNumber.saturatedInteger) ?? 0
    }

    /// The line for the interval from `previous` to this sample.
    func row(since previous: StatSample) -> StatRow {
        let seconds = max(Double(uptimeMillis &- previous.uptimeMillis) / 1000, 0.001)
        let rates = Self.operations.map { name in
            (name, ClientNumber.int64(rounding: Double((counters[name] ?? 0) &- (previous.counters[name] ?? 0)) / seconds,
                                      .toNearestOrAwayFromZero) ?? 0)
        }
        let capacity = Double(max(cacheCapacity, 1))
        return StatRow(rates: rates, dirty: Double(memtableBytes) / capacity * 100, used: Double(cacheUsage) / capacity * 100,
                       virtualMiB: virtualMiB, residentMiB: residentMiB, connections: connections, time: Date())
    }
}

/// One printed line.
struct StatRow {
    let rates: [(String, Int64)]
    let dirty: Double
    let used: Double
    let virtualMiB: Int64
    let residentMiB: Int64
    let connections: Int64
    let time: Date

    private static func percent(_ value: Double) -> String { String(format: "%.1f%%", value) }

    private static func size(_ mebibytes: Int64) -> String {
        mebibytes >= 1024 ? String(format: "%.1fG", Double(mebibytes) / 1024) : "\(mebibytes)M"
    }

    private var clock: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: time)
    }

    /// The columns under `StatSample.header`.
    var line: String {
        let cells = rates.map { "\($0.1)" }
            + [Self.percent(dirty), Self.percent(used), Self.size(virtualMiB), Self.size(residentMiB), "\(connections)", clock]
        return cells.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    /// The same figures as one JSON document.
    var json: String {
        var document = BSONDocument()
        for (name, rate) in rates { document.append(name, .int64(rate)) }
        document.append("dirty", .double(dirty))
        document.append("used", .double(used))
        document.append("vsize", .int64(virtualMiB))
        document.append("res", .int64(residentMiB))
        document.append("conn", .int64(connections))
        document.append("time", .string(clock))
        return BSONValue.document(document).extendedJSON()
    }
}
