// MetricsRegistry: Tessera's figures in Prometheus form. Commands are counted (by name and
// outcome) and timed (a latency histogram per name) as they finish, through swift-metrics'
// MetricsFactory backed by swift-prometheus; the point-in-time figures (connections, bytes,
// cursors, transactions, TTL deletes, journal syncs, write conflicts, RocksDB's) are read at
// each scrape; group commit's batch sizes and the commit section's wait times are rendered as
// histograms from their bucket counts.

public import Commands
import CoreMetrics
import Prometheus
import Synchronization

/// The metrics endpoint's registry; also the dispatcher's ``CommandObserver``.
public final class MetricsRegistry: CommandObserver {
    /// The upper bounds of the command latency histogram's buckets: 50 µs to 10 s, about
    /// ×2.5 apart, so both point reads (tens of µs) and scans (seconds) land in a finite one.
    public static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let commands = Mutex<[String: CommandSeries]>([:])
    private let scraped: ScrapedSeries
    /// The last value of each monotonic figure read at scrape time, so its counter grows by the difference.
    private let lastTotals = Mutex<[String: Int64]>([:])

    /// The series one command name records into.
    private struct CommandSeries: Sendable {
        let succeeded: any CounterHandler
        let failed: any CounterHandler
        let latency: any TimerHandler
    }

    /// The series filled at scrape time.
    private struct ScrapedSeries: Sendable {
        let connections: any MeterHandler
        let cursors: any MeterHandler
        let transactions: any MeterHandler
        let memtable: any MeterHandler
        let pendingCompaction: any MeterHandler
        let writeStopped: any MeterHandler
        let delayedWriteRate: any MeterHandler
        let blockCacheUsage: any MeterHandler
        let blockCacheCapacity: any MeterHandler
    }

    /// An empty registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        let made = factory
        func gauge(_ name: String) -> any MeterHandler { made.makeMeter(label: name, dimensions: []) }
        scraped = ScrapedSeries(
            connections: gauge("tessera_connections_open"),
            cursors: gauge("tessera_cursors_open"),
            transactions: gauge("tessera_transactions_open"),
            memtable: gauge("tessera_rocksdb_memtable_bytes"),
            pendingCompaction: gauge("tessera_rocksdb_pending_compaction_bytes"),
            writeStopped: gauge("tessera_rocksdb_write_stopped_key_spaces"),
            delayedWriteRate: gauge("tessera_rocksdb_delayed_write_rate_bytes_per_second"),
            blockCacheUsage: gauge("tessera_rocksdb_block_cache_usage_bytes"),
            blockCacheCapacity: gauge("tessera_rocksdb_block_cache_capacity_bytes"))
    }

    /// Counts and times one finished command.
    public func commandFinished(_ name: String, succeeded: Bool, duration: Duration) {
        let series = commands.withLock { table in
            if let series = table[name] { return series }
            let series = makeSeries(name)
            table[name] = series
            return series
        }
        (succeeded ? series.succeeded : series.failed).increment(by: 1)
        series.latency.recordNanoseconds(Self.nanoseconds(duration))
    }

    private func makeSeries(_ name: String) -> CommandSeries {
        CommandSeries(
            succeeded: factory.makeCounter(label: "tessera_commands_total", dimensions: [("command", name), ("outcome", "ok")]),
            failed: factory.makeCounter(label: "tessera_commands_total", dimensions: [("command", name), ("outcome", "error")]),
            latency: factory.makeTimer(label: "tessera_command_duration_seconds", dimensions: [("command", name)]))
    }

    /// Every series in Prometheus' text format, after reading the point-in-time figures.
    public func render(server: ServerMetrics.Counters, dispatcher: DispatcherFigures) -> [UInt8] {
        scraped.connections.set(Int64(server.currentConnections))
        scraped.cursors.set(Int64(dispatcher.openCursors))
        scraped.transactions.set(Int64(dispatcher.openTransactions))
        let storage = dispatcher.storage
        scraped.memtable.set(Self.clamped(storage.memtableBytes))
        scraped.pendingCompaction.set(Self.clamped(storage.pendingCompactionBytes))
        scraped.writeStopped.set(Self.clamped(storage.writeStoppedKeySpaces))
        scraped.delayedWriteRate.set(Self.clamped(storage.delayedWriteRate))
        scraped.blockCacheUsage.set(Self.clamped(storage.blockCacheUsage))
        scraped.blockCacheCapacity.set(Self.clamped(storage.blockCacheCapacity))
        for (level, bytes) in storage.sstBytesByLevel.enumerated() {
            factory.makeMeter(label: "tessera_rocksdb_sst_bytes", dimensions: [("level", String(level))])
                .set(Self.clamped(bytes))
        }
        advance("tessera_connections_accepted_total", to: Int64(server.totalConnections))
        advance("tessera_network_bytes_in_total", to: Int64(server.bytesIn))
        advance("tessera_network_bytes_out_total", to: Int64(server.bytesOut))
        advance("tessera_network_requests_total", to: Int64(server.requests))
        advance("tessera_ttl_deleted_documents_total", to: dispatcher.ttlDeletedDocuments)
        advance("tessera_journal_syncs_total", to: Int64(dispatcher.journalSyncs))
        advance("tessera_write_conflicts_total", to: dispatcher.writeConflicts)
        if let hits = storage.blockCacheHits, let misses = storage.blockCacheMisses {
            advance("tessera_rocksdb_block_cache_hits_total", to: Self.clamped(hits))
            advance("tessera_rocksdb_block_cache_misses_total", to: Self.clamped(misses))
        }
        return registry.emitToBuffer() + Self.groupCommitHistogram(dispatcher) + Self.commitSectionSeries(dispatcher)
    }

    /// The commit section's series: `tessera_commit_section_wait_seconds`, a histogram of the
    /// time each commit waited to enter (from the store's own bucket counts), and
    /// `tessera_commit_section_hold_seconds_total`, the time commits spent inside. Written
    /// directly, like the group-commit histogram, because the figures are counted below.
    static func commitSectionSeries(_ dispatcher: DispatcherFigures) -> [UInt8] {
        let figures = dispatcher.commitSection
        let wait = "tessera_commit_section_wait_seconds"
        var text = "# HELP \(wait) Time each commit waited to enter the store's commit section.\n# TYPE \(wait) histogram\n"
        var cumulative: Int64 = 0
        let bounds = dispatcher.commitSectionWaitBoundsMicros
        for (index, count) in figures.waitBucketCounts.enumerated() {
            cumulative &+= count
            let bound = index < bounds.count ? Self.seconds(micros: bounds[index]) : "+Inf"
            text += "\(wait)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(wait)_sum \(Self.seconds(nanos: figures.waitNanos))\n\(wait)_count \(cumulative)\n"
        let hold = "tessera_commit_section_hold_seconds_total"
        text += "# HELP \(hold) Time commits spent inside the store's commit section.\n# TYPE \(hold) counter\n"
        text += "\(hold) \(Self.seconds(nanos: figures.holdNanos))\n"
        return Array(text.utf8)
    }

    /// `micros` microseconds as a decimal number of seconds (exact: six fraction digits).
    private static func seconds(micros: Int64) -> String {
        let whole = micros / 1_000_000
        let fraction = String(micros % 1_000_000)
        return "\(whole).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    /// `nanos` nanoseconds (never negative here) as a decimal number of seconds.
    private static func seconds(nanos: Int64) -> String {
        let whole = nanos / 1_000_000_000
        let fraction = String(nanos % 1_000_000_000)
        return "\(whole).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }

    /// `tessera_group_commit_batch_size`: a Prometheus histogram of the writes each WAL
    /// fsync made durable, from group commit's own bucket counts (they are counted in the
    /// storage layer, not observed here, so the text is written directly).
    static func groupCommitHistogram(_ dispatcher: DispatcherFigures) -> [UInt8] {
        let figures = dispatcher.groupCommit
        let name = "tessera_group_commit_batch_size"
        var text = "# HELP \(name) Journaled writes made durable by one WAL fsync.\n# TYPE \(name) histogram\n"
        var cumulative: Int64 = 0
        for (index, count) in figures.bucketCounts.enumerated() {
            cumulative &+= count
            let bound = index < dispatcher.groupCommitBucketBounds.count ? "\(dispatcher.groupCommitBucketBounds[index])" : "+Inf"
            text += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(name)_sum \(figures.writes)\n\(name)_count \(cumulative)\n"
        return Array(text.utf8)
    }

    /// Grows counter `name` to `total` (a figure that only grows, read at scrape time).
    private func advance(_ name: String, to total: Int64) {
        let step = lastTotals.withLock { last -> Int64 in
            let step = total - (last[name] ?? 0)
            if step > 0 { last[name] = total }
            return max(step, 0)
        }
        // The registry returns the same counter for the same name, so this adds to one series.
        let counter = factory.makeCounter(label: name, dimensions: [])
        if step > 0 { counter.increment(by: step) }
    }

    private static func clamped(_ value: UInt64) -> Int64 { Int64(clamping: value) }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
