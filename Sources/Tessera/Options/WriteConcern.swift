// WriteConcern: how durable a write is when it returns — MongoSwift's `WriteConcern` reduced to
// what one process has: acknowledged (in the write-ahead log, survives a process crash) or
// journaled (the log fsynced, survives power loss).

import Query

/// How durable a write must be before it returns.
public struct WriteConcern: Sendable, Hashable {
    /// Whether the write waits for the journal (the write-ahead log) to be synced to disk.
    /// `nil` or `false`: acknowledged once in the log, which the background journal commit
    /// syncs within ``TesseraClientOptions/journalCommitInterval``.
    public var journal: Bool?

    /// A write concern; `journal: true` waits for the fsync.
    public init(journal: Bool? = nil) {
        self.journal = journal
    }

    /// Returned once written to the log (the default).
    public static let acknowledged = WriteConcern(journal: false)
    /// Returned once the log is synced to disk.
    public static let journaled = WriteConcern(journal: true)

    /// The engine's write concern.
    var engineConcern: Query.WriteConcern {
        journal == true ? .journaled : .acknowledged
    }
}

extension Optional where Wrapped == WriteConcern {
    /// The engine's write concern for an optional option (acknowledged when nil).
    var engineConcern: Query.WriteConcern {
        self?.engineConcern ?? .acknowledged
    }
}
