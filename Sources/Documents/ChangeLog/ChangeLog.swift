// ChangeLog: the ordered history of committed writes in its own key space, keyed by
// big-endian sequence number. Owns reading entries in order, the latest sequence number and
// retention trimming (one range delete). Entries are appended by DocumentStore's commits.

internal import Synchronization
public import BSON
internal import Storage

/// Every committed write, in commit order, for change streams, TTL, backups and replication.
///
/// Entries are written in the same atomic batch as the data they describe, so a reader
/// never sees a change without its data or data without its change. Sequence numbers start
/// at 1 and increase by one per entry.
public final class ChangeLog: Sendable {
    /// The key space's name.
    static let keySpaceName = "tessera.changelog"

    let storage: any StorageEngine
    let keySpace: any KeySpace
    let shapes: ShapeRegistry
    /// The retention limits in force.
    public let retention: ChangeLogRetention
    /// The newest committed sequence number (0 before the first write).
    private let latest: Atomic<UInt64>
    /// Entries committed since the last automatic trim.
    private let sinceTrim = Atomic<Int>(0)
    /// Serialises trims with each other.
    private let trimming = Mutex<Void>(())
    /// How many bytes the log keeps, by chunk, for byte-limited trims.
    private let retained: Mutex<RetainedBytes>
    /// Wakes readers waiting for new entries (change streams, tailable cursors).
    private let commits = ConditionLock()
    /// Callbacks waiting for the next commit (waits parked on an event loop, not a thread).
    private let watchers = Mutex(CommitWatchers())
    /// The poller that brings in other servers' entries, on a shared engine only.
    private let follower = Mutex<ChangeLogFollower?>(nil)

    init(storage: any StorageEngine, keySpace: any KeySpace, shapes: ShapeRegistry, retention: ChangeLogRetention) throws(StorageError) {
        self.storage = storage
        self.keySpace = keySpace
        self.shapes = shapes
        self.retention = retention
        let last = try storage.entries(.all, in: keySpace, direction: .reverse, limit: 1).first
        latest = Atomic(last.flatMap { CatalogKey.uint64($0.key) } ?? 0)
        var account = RetainedBytes(maximumBytes: retention.maximumBytes ?? 0)
        if retention.maximumBytes != nil {
            do {
                try storage.scan(.all, in: keySpace) { key, value in
                    if let sequence = CatalogKey.uint64(key) {
                        account.append(first: sequence, count: 1, bytes: key.count + value.count)
                    }
                    return .continue
                }
            } catch let error as StorageError {
                throw error
            } catch {
                throw StorageError(.iterate, path: nil, status: "\(error)", code: .unknown)
            }
        }
        retained = Mutex(account)
    }

    /// The sequence number of the newest committed entry, 0 if there has been none.
    public var latestSequence: UInt64 {
        latest.load(ordering: .acquiring)
    }

    /// The sequence number of the oldest entry still kept, or `nil` when the log is empty.
    /// A reader resuming after a sequence number below `oldestSequence - 1` has lost history.
    public func oldestSequence() throws(MongoError) -> UInt64? {
        do {
            return try storage.entries(.all, in: keySpace, limit: 1).first.flatMap { CatalogKey.uint64($0.key) }
        } catch {
            throw .storage(error)
        }
    }

    /// Up to `limit` entries with sequence numbers greater than `sequence`, oldest first;
    /// with `postImages`, updates carry their new version (what a restore's replay needs).
    public func entries(after sequence: UInt64, limit: Int = 1000, postImages: Bool = false) throws(MongoError) -> [ChangeLogEntry] {
        guard sequence < UInt64.max, limit > 0 else { return [] }
        let pairs: [KeyValuePair]
        do {
            pairs = try storage.entries(KeyRange(lowerBound: ChangeLogEntry.key(sequence + 1)), in: keySpace, limit: limit)
        } catch {
            throw .storage(error)
        }
        let decoder = RecordDecoder(registry: shapes)
        var result: [ChangeLogEntry] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let entry = ChangeLogEntry(key: pair.key, value: pair.value, decoder: decoder, postImages: postImages) else {
                throw MongoError(.internalError, "unreadable change log entry \(CatalogKey.uint64(pair.key) ?? 0)")
            }
            result.append(entry)
        }
        return result
    }

    /// Records that `count` entries ending at `sequence`, `bytes` in all, committed; called
    /// inside the commit section so the byte account follows commit order.
    func publish(through sequence: UInt64, count: Int, bytes: Int) {
        if count > 0, retention.maximumBytes != nil {
            retained.withLock { $0.append(first: sequence + 1 - UInt64(count), count: count, bytes: bytes) }
        }
        latest.store(sequence, ordering: .releasing)
        wakeReaders()
    }

    /// Moves the newest sequence number forward to `sequence` (never back) and wakes the
    /// readers: entries another server committed to a shared log. Safe from any thread,
    /// concurrently with ``publish(through:count:bytes:)``.
    func advance(to sequence: UInt64) {
        var current = latest.load(ordering: .acquiring)
        while current < sequence {
            let (exchanged, original) = latest.compareExchange(expected: current, desired: sequence,
                                                               ordering: .acquiringAndReleasing)
            if exchanged {
                wakeReaders()
                return
            }
            current = original
        }
    }

    /// Reads the log's newest key from the engine (one reverse seek) and advances to it:
    /// what other servers sharing the engine committed since this server last looked.
    /// Every entry at or below that key is committed too (commits are serialised by the
    /// database commit lock and each writes its entries before releasing it), so readers
    /// never meet a gap below the new position.
    func catchUp() throws(StorageError) {
        let tail = try storage.entries(.all, in: keySpace, direction: .reverse, limit: 1).first
        if let newest = tail.flatMap({ CatalogKey.uint64($0.key) }) {
            advance(to: newest)
        }
    }

    /// The newest committed sequence number as of now: on a shared log (one another server
    /// also appends to) read from the engine, so a stream opened "now" starts after every
    /// entry committed before it was opened, not after what the last poll saw.
    public func currentSequence() throws(MongoError) -> UInt64 {
        if follower.withLock({ $0 != nil }) {
            do {
                try catchUp()
            } catch {
                throw .storage(error)
            }
        }
        return latestSequence
    }

    /// Starts polling the engine for other servers' entries every `interval` (a shared
    /// engine). Idempotent; the poller ends when the log is released.
    func startFollowing(every interval: Duration) {
        follower.withLock { follower in
            guard follower == nil else { return }
            follower = ChangeLogFollower(log: self, interval: interval)
        }
    }

    /// How many polls of the engine the follower has run (0 when not following).
    public var followerPollCount: Int {
        follower.withLock { $0?.pollCount.load(ordering: .relaxed) ?? 0 }
    }

    deinit {
        follower.withLock { $0?.stop() }
    }

    /// Wakes blocked readers and calls the parked callbacks.
    private func wakeReaders() {
        commits.withLock { commits.broadcast() }
        let woken = watchers.withLock { $0.takeAll() }
        for callback in woken { callback() }
    }

    /// A callback registered with ``notifyAfter(_:_:)``, for ``cancel(_:)``.
    public struct CommitWatch: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    /// Calls `onCommit` once, on the committing thread, when an entry newer than `sequence`
    /// commits. Returns nil without registering when one already has: the caller goes on at
    /// once. Never blocks; the callback must be cheap (hand the work to an event loop).
    public func notifyAfter(_ sequence: UInt64, _ onCommit: @escaping @Sendable () -> Void) -> CommitWatch? {
        watchers.withLock { watchers -> CommitWatch? in
            // Checked under the lock publish takes after storing `latest`: no commit is missed.
            guard latestSequence <= sequence else { return nil }
            return CommitWatch(id: watchers.add(onCommit))
        }
    }

    /// Forgets a callback that no longer waits (its deadline passed, its connection closed).
    public func cancel(_ watch: CommitWatch) {
        watchers.withLock { $0.remove(watch.id) }
    }

    /// How many callbacks wait for a commit (for tests and diagnostics).
    public var commitWatcherCount: Int {
        watchers.withLock { $0.count }
    }

    /// Blocks until an entry newer than `sequence` has committed or `deadline` passes;
    /// returns whether one has. Sleeps on a condition the commit path signals (no polling).
    public func waitForEntries(after sequence: UInt64, until deadline: ContinuousClock.Instant) -> Bool {
        commits.withLock {
            while latestSequence <= sequence {
                let now = ContinuousClock.now
                guard now < deadline else { return false }
                commits.wait(for: deadline - now)
            }
            return true
        }
    }

    /// About how many bytes of keys and values the log keeps (tracked only when retention
    /// has a byte limit; 0 otherwise).
    public var retainedBytes: Int {
        retained.withLock { $0.totalBytes }
    }

    /// Counts `count` new entries and trims when the retention's interval has passed.
    func noteCommitted(_ count: Int) {
        guard let interval = retention.trimInterval, count > 0 else { return }
        let total = sinceTrim.add(count, ordering: .relaxed).newValue
        guard total >= interval else { return }
        sinceTrim.store(0, ordering: .relaxed)
        // A failed trim only keeps history longer; the next interval retries.
        _ = try? trim()
    }

    /// Deletes, with one range tombstone, every entry that breaks a retention limit, always
    /// keeping the newest. Returns the oldest sequence number kept (`nil` if the log is empty).
    @discardableResult
    public func trim(now: BSONDateTime = WallClock.now()) throws(MongoError) -> UInt64? {
        try trimming.withLock { _ throws(MongoError) -> UInt64? in
            do {
                return try trimLocked(now: now)
            } catch {
                throw .from(error)
            }
        }
    }

    private func trimLocked(now: BSONDateTime) throws -> UInt64? {
        guard let oldest = try oldestSequence() else { return nil }
        let newest = latestSequence
        guard newest > oldest else { return oldest }
        // Keep entries with sequence >= cutoff.
        var cutoff = oldest
        if let maximum = retention.maximumEntries {
            let keep = UInt64(max(maximum, 1))
            if newest >= keep { cutoff = max(cutoff, newest - keep + 1) }
        }
        if let maximumBytes = retention.maximumBytes,
           let firstKept = retained.withLock({ $0.cutoff(forMaximumBytes: maximumBytes) }) {
            cutoff = max(cutoff, firstKept)
        }
        if let maximumAge = retention.maximumAge {
            let ageMilliseconds = maximumAge.components.seconds * 1000 + maximumAge.components.attoseconds / 1_000_000_000_000_000
            let threshold = now.millisecondsSinceEpoch - ageMilliseconds
            var firstYoung = newest
            try storage.scan(KeyRange(lowerBound: ChangeLogEntry.key(cutoff)), in: keySpace) { key, value in
                guard let stored = try? BSONDocumentView(validating: Array(value)),
                      let wall = stored["wall"]?.datetime else { return .continue }
                guard wall.millisecondsSinceEpoch < threshold else {
                    firstYoung = CatalogKey.uint64(key) ?? firstYoung
                    return .stop
                }
                return .continue
            }
            cutoff = max(cutoff, firstYoung)
        }
        cutoff = min(cutoff, newest)
        guard cutoff > oldest else { return oldest }
        let batch = try storage.makeWriteBatch()
        batch.deleteRange(from: ChangeLogEntry.key(0), to: ChangeLogEntry.key(cutoff), in: keySpace)
        try storage.write(batch, durability: .buffered)
        retained.withLock { $0.removeEntries(below: cutoff) }
        return cutoff
    }
}

/// The callbacks waiting for the next commit, by registration id.
private struct CommitWatchers {
    private var nextID: UInt64 = 0
    private var callbacks: [UInt64: @Sendable () -> Void] = [:]

    var count: Int { callbacks.count }

    mutating func add(_ callback: @escaping @Sendable () -> Void) -> UInt64 {
        nextID &+= 1
        callbacks[nextID] = callback
        return nextID
    }

    mutating func remove(_ id: UInt64) {
        callbacks[id] = nil
    }

    /// Every callback, forgetting them: each is called once.
    mutating func takeAll() -> [@Sendable () -> Void] {
        guard !callbacks.isEmpty else { return [] }
        defer { callbacks.removeAll() }
        return Array(callbacks.values)
    }
}
