// The Documents layer's value types that are part of the engine's API. Callers above the
// engine (Commands, Server, the embedding API) name them through Query and never import
// Documents: each alias here is a deliberate part of QueryEngine's surface, and nothing else
// of the layer below shows through.

public import Documents

/// How durable a write must be before it returns (w/j write concerns): acknowledged, or
/// journaled (the WAL synced).
public typealias WriteConcern = Documents.WriteConcern

/// When an operation must stop (maxTimeMS deadline, killOp switch); scans, sorts and
/// blocking stages poll it.
public typealias OperationInterrupt = Documents.OperationInterrupt

/// The switch killOp (or shutdown) flips to stop one operation's ``OperationInterrupt``.
public typealias KillSwitch = Documents.KillSwitch

/// The wall clock the change log stamps its entries with (`wallTime`, `localTime`).
public typealias WallClock = Documents.WallClock

/// A collection as the catalog knows it: namespace, internal id, creation options, indexes.
public typealias CollectionDescription = Documents.CollectionDescription

/// An index as the catalog knows it: name, key pattern, options, multikey fields.
public typealias IndexDescription = Documents.IndexDescription

/// A capped collection's bounds: bytes and, optionally, documents.
public typealias CappedLimits = Documents.CappedLimits

/// When the TTL monitor runs: enabled or not, and the pause between passes.
public typealias TTLSchedule = Documents.TTLSchedule

/// What TTL passes have done since the store opened.
public typealias TTLStatistics = Documents.TTLStatistics

/// Runs one TTL pass where the caller wants it (a thread pool, never an event loop).
public typealias TTLPassRunner = Documents.TTLPassRunner

/// Options a store is opened with: storage tuning, change log retention, limits.
public typealias DocumentStoreOptions = Documents.DocumentStoreOptions

/// Why a store could not be opened (a missing or newer format, a storage failure).
public typealias StoreOpenError = Documents.StoreOpenError

/// A one-shot commit notification registered with ``QueryEngine/notifyOnCommit(after:_:)``.
public typealias CommitWatch = Documents.ChangeLog.CommitWatch

/// One backup in a backup directory: its id, point (operation time) and size.
public typealias BackupSummary = Documents.BackupSummary

/// What `validate` found in one collection: documents, and per secondary index the entries
/// expected, missing and held.
public typealias CollectionConsistency = Documents.CollectionConsistency

/// One secondary index's side of a ``CollectionConsistency``.
public typealias IndexConsistency = Documents.IndexConsistency

/// A deliberate index inconsistency, for the test-only `_tesseraCorruptIndex` command.
public typealias IndexCorruption = Documents.IndexCorruption

/// What one operation's scans examined (keys, documents, plan summary, in-memory sort), fed
/// to the profiler, `top` and `serverStatus().metrics`.
public typealias OperationTally = Documents.OperationTally
