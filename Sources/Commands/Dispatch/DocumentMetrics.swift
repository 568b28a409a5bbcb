// DocumentMetrics: serverStatus's `metrics.document` (documents returned, inserted, updated,
// deleted), `metrics.operation` (in-memory sorts: `scanAndOrder`; `writeConflicts`: commands
// and statements that failed with WriteConflict, in transactions or not) and
// `metrics.queryExecutor` (keys and documents scanned), read from each finished command's
// reply and tally. Atomics only.

import BSON
import Query
import Synchronization

/// Document and operation counters since start.
final class DocumentMetrics: Sendable {
    private let returned = Atomic<Int64>(0)
    private let inserted = Atomic<Int64>(0)
    private let updated = Atomic<Int64>(0)
    private let deleted = Atomic<Int64>(0)
    private let scanAndOrder = Atomic<Int64>(0)
    private let keysScanned = Atomic<Int64>(0)
    private let documentsScanned = Atomic<Int64>(0)
    private let conflicts = Atomic<Int64>(0)

    /// Adds what command `name` did, from its `reply` and its scans' `tally`.
    func record(_ name: String, reply: BSONDocument, tally: OperationTally) {
        switch name {
        case "insert": add(inserted, reply["n"])
        case "update": add(updated, reply["nModified"])
        case "delete": add(deleted, reply["n"])
        case "findAndModify", "findandmodify":
            if case let .document(last)? = reply["lastErrorObject"], reply["value"] != nil, reply["value"] != .null {
                if last["updatedExisting"] == .bool(true) { updated.add(1, ordering: .relaxed) }
                else if last["upserted"] != nil { inserted.add(1, ordering: .relaxed) }
                else { deleted.add(1, ordering: .relaxed) }
            }
        default:
            if case let .document(cursor)? = reply["cursor"],
               case let .array(batch)? = cursor["firstBatch"] ?? cursor["nextBatch"] {
                returned.add(Int64(batch.count), ordering: .relaxed)
            }
        }
        let keys = tally.keysExamined
        let documents = tally.docsExamined
        if keys > 0 { keysScanned.add(Int64(keys), ordering: .relaxed) }
        if documents > 0 { documentsScanned.add(Int64(documents), ordering: .relaxed) }
        if tally.sortedInMemory { scanAndOrder.add(1, ordering: .relaxed) }
        let writeConflicts = Self.writeConflicts(in: reply)
        if writeConflicts > 0 { conflicts.add(writeConflicts, ordering: .relaxed) }
    }

    /// The WriteConflicts (112) `reply` reports: the command's own error, or its statements'
    /// `writeErrors`.
    static func writeConflicts(in reply: BSONDocument) -> Int64 {
        let code = Int64(MongoError.Code.writeConflict.rawValue)
        if reply["code"]?.int64Value == code { return 1 }
        guard case let .array(errors)? = reply["writeErrors"] else { return 0 }
        return Int64(errors.count { $0.documentValue?["code"]?.int64Value == code })
    }

    /// Counts a read by key that returned `returned` documents (0 or 1), each one key and
    /// one document examined, as ``record(_:reply:tally:)`` counts a find's point read.
    func recordPointRead(returned count: Int) {
        guard count > 0 else { return }
        returned.add(Int64(count), ordering: .relaxed)
        keysScanned.add(Int64(count), ordering: .relaxed)
        documentsScanned.add(Int64(count), ordering: .relaxed)
    }

    /// Write conflicts counted since start (`metrics.operation.writeConflicts`).
    var writeConflicts: Int64 { conflicts.load(ordering: .relaxed) }

    private func add(_ counter: borrowing Atomic<Int64>, _ value: BSONValue?) {
        guard let value, let count = ClientNumber.saturatedInteger(value), count > 0 else { return }
        counter.add(count, ordering: .relaxed)
    }

    /// `metrics.document`.
    var document: BSONDocument {
        ["deleted": .int64(deleted.load(ordering: .relaxed)), "inserted": .int64(inserted.load(ordering: .relaxed)),
         "returned": .int64(returned.load(ordering: .relaxed)), "updated": .int64(updated.load(ordering: .relaxed))]
    }

    /// `metrics.operation`.
    var operation: BSONDocument {
        ["scanAndOrder": .int64(scanAndOrder.load(ordering: .relaxed)),
         "writeConflicts": .int64(conflicts.load(ordering: .relaxed))]
    }

    /// `metrics.queryExecutor`.
    var queryExecutor: BSONDocument {
        ["scanned": .int64(keysScanned.load(ordering: .relaxed)),
         "scannedObjects": .int64(documentsScanned.load(ordering: .relaxed))]
    }
}
