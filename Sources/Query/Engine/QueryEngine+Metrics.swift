// QueryEngine+Metrics: the engine's door to the storage engine's figures for the metrics
// endpoint and serverStatus (Commands and Server never reach the store directly).

public import Documents

/// The storage engine's figures at one moment (see ``Documents/EngineFigures``).
public typealias EngineFigures = Documents.EngineFigures

/// Group commit's batch sizes at one moment (see ``Documents/GroupCommitFigures``).
public typealias GroupCommitFigures = Documents.GroupCommitFigures

/// The commit section's wait and hold times at one moment (see ``Documents/CommitSectionFigures``).
public typealias CommitSectionFigures = Documents.CommitSectionFigures

extension QueryEngine {
    /// How long writes have waited for and held the store's commit section since open.
    public var commitSectionFigures: CommitSectionFigures {
        store.commitSectionFigures
    }

    /// Group commit's batch sizes (writes made durable per WAL fsync) since open.
    public var groupCommitFigures: GroupCommitFigures {
        store.groupCommitFigures
    }

    /// The storage engine's figures (memtables, compaction, stalls, block cache, SSTs per level).
    public var storageFigures: EngineFigures {
        store.storageFigures
    }
}
