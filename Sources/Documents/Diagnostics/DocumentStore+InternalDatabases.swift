// DocumentStore+InternalDatabases: the sizes of what Tessera keeps where mongod keeps it in its
// own databases — retryable-write records (mongod's `config.transactions`, beside its sessions)
// and the change log (mongod's `local.oplog.rs`) — so listDatabases can list `config` and
// `local` when they hold data, as mongod does. Users already live in `admin.system.users`.

public import BSON
internal import Storage

/// How much one of the store's internal record sets holds.
public struct InternalRecordSize: Sendable, Equatable {
    /// Records kept.
    public let records: Int
    /// Bytes of their keys and values (estimated from a sample for a long change log).
    public let bytes: Int
}

extension DocumentStore {
    /// The change log entries sampled to estimate its size when retention keeps no byte count.
    static let changeLogSizeSample = 256

    /// The retryable-write records kept (one per session that wrote retryably): read whole,
    /// there is one record per live session.
    ///
    /// - Throws: storage failures as MongoDB errors.
    public func retryableWriteRecordSize() throws(MongoError) -> InternalRecordSize {
        var records = 0
        var bytes = 0
        try scanEntries(of: storage, in: sessionsKeySpace, range: .all) { key, value in
            records += 1
            bytes += key.count + value.count
            return true
        }
        return InternalRecordSize(records: records, bytes: bytes)
    }

    /// The change log's entries and bytes: the byte count retention keeps when it has a byte
    /// limit, else the average of the oldest entries times their number.
    ///
    /// - Throws: storage failures as MongoDB errors.
    public func changeLogSize() throws(MongoError) -> InternalRecordSize {
        guard let oldest = try changeLog.oldestSequence() else { return InternalRecordSize(records: 0, bytes: 0) }
        let latest = changeLog.latestSequence
        let records = latest >= oldest ? Int(clamping: latest - oldest + 1) : 0
        let tracked = changeLog.retainedBytes
        if tracked > 0 { return InternalRecordSize(records: records, bytes: tracked) }
        var sampled = 0
        var sampledBytes = 0
        try scanEntries(of: storage, in: changeLog.keySpace, range: .all) { key, value in
            sampled += 1
            sampledBytes += key.count + value.count
            return sampled < Self.changeLogSizeSample
        }
        guard sampled > 0 else { return InternalRecordSize(records: records, bytes: 0) }
        let (estimate, overflow) = (sampledBytes / sampled).multipliedReportingOverflow(by: records)
        return InternalRecordSize(records: records, bytes: overflow ? Int.max : estimate)
    }
}
