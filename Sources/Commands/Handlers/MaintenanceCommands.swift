// Maintenance commands: `compact` (RocksDB compaction of one collection, reporting the bytes
// freed, or with `dryRun` the bytes it would free), `fsync` (memtables to disk and the journal
// synced; with `lock: true` it also holds writes back) and `fsyncUnlock`.

import BSON
import Query

/// compact, fsync, fsyncUnlock.
enum MaintenanceCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["compact"], help: "compacts a collection's files and reports the bytes freed") {
            (context) throws(MongoError) -> BSONDocument in try compact(context)
        },
        CommandHandler(["fsync"], help: "flushes every write to disk; lock: true also holds writes until fsyncUnlock") {
            (context) throws(MongoError) -> BSONDocument in try fsync(context)
        },
        CommandHandler(["fsyncUnlock"], help: "releases one fsync lock") { (context) throws(MongoError) -> BSONDocument in
            try requireAdmin(context)
            let remaining = try context.server.fsyncLock.unlock()
            context.server.logger.notice("fsyncUnlock", metadata: ["lockCount": "\(remaining)"])
            return ["info": "fsyncUnlock completed", "lockCount": .int64(remaining)]
        },
    ]

    /// `{compact: "<collection>", dryRun?: bool}` → `{bytesFreed}`, or with `dryRun: true`
    /// (MongoDB 8.0) `{estimatedBytesFreed}` and nothing compacted.
    static func compact(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard case .string = context.firstValue else {
            throw MongoError(.typeMismatch, "collection name has invalid type \(context.firstValue.type.alias)")
        }
        let namespace = try context.collectionNamespace()
        if try context.bool("dryRun") ?? false {
            let estimate = try context.engine.estimateCompaction(namespace)
            return ["estimatedBytesFreed": .int64(Int64(clamping: estimate))]
        }
        let result = try context.engine.compact(namespace)
        context.server.logger.info("compact", metadata: [
            "ns": "\(namespace)", "bytesBefore": "\(result.bytesBefore)", "bytesAfter": "\(result.bytesAfter)",
        ])
        return ["bytesFreed": .int64(Int64(clamping: result.bytesFreed))]
    }

    /// `{fsync: 1, lock?: bool}`.
    static func fsync(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        try requireAdmin(context)
        let lock = try context.bool("lock") ?? false
        try context.engine.flushToDisk()
        guard lock else { return ["numFiles": .int32(1)] }
        let count = context.server.fsyncLock.lock()
        context.server.logger.notice("fsync lock taken: writes wait until fsyncUnlock", metadata: ["lockCount": "\(count)"])
        return ["info": "now locked against writes, use db.fsyncUnlock() to unlock", "lockCount": .int64(count),
                "seeAlso": "http://dochub.mongodb.org/core/fsynccommand"]
    }

    private static func requireAdmin(_ context: CommandContext) throws(MongoError) {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "\(context.name) may only be run against the admin database.")
        }
    }
}
