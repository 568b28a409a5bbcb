// Backup commands: `createBackup` (an online physical backup into a directory on the server's
// machine, through the engine's backup; killOp and shutdown stop it, copy included),
// `purgeBackups` (all but the newest N deleted) and `dbHash` (MongoDB's per-collection MD5 of documents
// in `_id` order), which verifies a restore logically.

import BSON
import Crypto
import Query

/// createBackup and dbHash.
enum BackupCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["createBackup"], help: "backs the store up into a directory on the server (admin database)") {
            (context) throws(MongoError) -> BSONDocument in try createBackup(context)
        },
        CommandHandler(["purgeBackups"], help: "deletes all but the newest backups of a directory on the server (admin database)") {
            (context) throws(MongoError) -> BSONDocument in try purgeBackups(context)
        },
        CommandHandler(["dbHash", "dbhash"], help: "MD5 of each collection's documents in _id order") {
            (context) throws(MongoError) -> BSONDocument in try dbHash(context)
        },
    ]

    /// `{createBackup: 1, to: "/absolute/dir", incremental: <bool>}` on `admin`: a consistent
    /// backup of the whole store, taken while writes go on, into `to` on the server's file
    /// system (RocksDB's backup engine; an incremental backup shares the SST files earlier
    /// backups in `to` hold). Without `incremental: true`, `to` must hold no backup yet.
    ///
    /// Replies `{backupId, incremental, bytesCopied, size, fileCount, point: {operationTime,
    /// sequence, wallTime}}`: `point` is the newest write the backup holds, as replies'
    /// `operationTime` numbered it.
    ///
    /// - Throws: `Unauthorized` (13) outside `admin`; `Location40414` without `to`;
    ///   `BadValue` (2) for a relative path; `InvalidOptions` (72) when `to` already holds
    ///   backups and `incremental` is not true.
    static func createBackup(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let directory = try serverDirectory(context, field: "to")
        let incremental = try context.bool("incremental") ?? false
        let rateLimit = try context.integer("maxBytesPerSecond") ?? 0
        guard rateLimit >= 0 else { throw MongoError(.badValue, "createBackup 'maxBytesPerSecond' must not be negative") }
        let summary = try context.engine.backup(to: directory, incremental: incremental, rateLimit: UInt64(rateLimit),  // checked: >= 0
                                                interrupt: context.interrupt)
        var point: BSONDocument = [:]
        if let record = summary.record {
            point = ["operationTime": .timestamp(ClusterTime.timestamp(ofSequence: record.point.sequence)),
                     "sequence": .int64(Int64(bitPattern: record.point.sequence))]
            if let wallTime = record.point.wallTime { point.append("wallTime", .datetime(wallTime)) }
        }
        return [
            "backupId": .int64(Int64(summary.id)),
            "directory": .string(directory),
            "incremental": .bool(summary.record?.incremental ?? incremental),
            "bytesCopied": .int64(Int64(clamping: summary.record?.bytesCopied ?? 0)),
            "size": .int64(Int64(clamping: summary.size)),
            "fileCount": .int64(Int64(summary.fileCount)),
            "point": .document(point),
        ]
    }

    /// `{purgeBackups: 1, from: "/absolute/dir", keep: N}` on `admin`: deletes every backup
    /// in `from` but the newest `keep`, with the files only they used (never while this server
    /// takes a backup). Replies `{purged: [ids], remaining: [ids]}`.
    ///
    /// - Throws: `Unauthorized` (13) outside `admin`; `Location40414` without `from` or
    ///   `keep`; `BadValue` (2) for a relative path, a `keep` below 1 or a missing directory.
    static func purgeBackups(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let directory = try serverDirectory(context, field: "from")
        guard let keep = try context.integer("keep") else {
            throw MongoError(.location(40414), "BSON field 'purgeBackups.keep' is missing but a required field")
        }
        let purged = try QueryEngine.purgeBackups(in: directory, keep: ClientNumber.int(clamping: keep))
        let remaining = try QueryEngine.backups(in: directory).map(\.id)
        context.server.logger.notice("purged backups", metadata: ["directory": "\(directory)", "purged": "\(purged)"])
        return ["purged": .array(purged.map { .int64(Int64($0)) }), "remaining": .array(remaining.map { .int64(Int64($0)) })]
    }

    /// The backup directory a backup command names in `field`, run on `admin`.
    ///
    /// - Throws: `Unauthorized` (13) outside `admin`; `Location40414` without `field`;
    ///   `BadValue` (2) for a path that is not absolute.
    private static func serverDirectory(_ context: CommandContext, field: String) throws(MongoError) -> String {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "\(context.name) may only be run against the admin database.")
        }
        guard let directory = try context.string(field) else {
            throw MongoError(.location(40414), "BSON field '\(context.name).\(field)' is missing but a required field")
        }
        guard directory.hasPrefix("/"), !directory.utf8.contains(0) else {
            throw MongoError(.badValue, "\(context.name) '\(field)' must be an absolute path on the server, not '\(directory)'")
        }
        return directory
    }

    /// `{dbHash: 1, collections: [names]}`: as MongoDB's, the MD5 (hex) of each collection's
    /// documents' BSON bytes in `_id` order (natural order for a capped collection),
    /// `collections` by name, `md5` over those hex strings in name order, `capped`, `uuids`,
    /// `host` and `timeMillis`. `system.profile` is left out, as mongod leaves out
    /// collections it does not replicate.
    ///
    /// Collections are read one after another while writes may go on (mongod locks the
    /// database instead): hash a quiet store, or a restored copy, for a stable result.
    ///
    /// - Throws: `BadValue` (2) when an entry of `collections` is not a string.
    static func dbHash(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let started = ContinuousClock.now
        var wanted: Set<String>?
        if let names = try context.array("collections") {
            var set: Set<String> = []
            for name in names {
                guard case let .string(text) = name else { throw MongoError(.badValue, "collections entries have to be strings") }
                set.insert(text)
            }
            wanted = set.isEmpty ? nil : set
        }
        try Namespace.validate(database: context.database)
        var hashes = BSONDocument()
        var capped: [BSONValue] = []
        var uuids = BSONDocument()
        var overall = Insecure.MD5()
        // Sorted by name (byte order), as mongod's std::map.
        let collections = context.engine.collectionDescriptions(in: context.database)
            .sorted { $0.namespace.collection.utf8.lexicographicallyPrecedes($1.namespace.collection.utf8) }
        for description in collections {
            let name = description.namespace.collection
            if name == "system.profile" || wanted.map({ !$0.contains(name) }) == true { continue }
            var digest = Insecure.MD5()
            try context.engine.forEachDocumentBSON(in: description.namespace, interrupt: context.interrupt) { bytes in
                digest.update(data: bytes)
                return true
            }
            let hex = HexText.lowercase(digest.finalize())
            hashes.append(name, .string(hex))
            overall.update(data: Array(hex.utf8))
            if description.options["capped"]?.boolValue == true { capped.append(.string(name)) }
            uuids.append(name, CollectionCommands.uuid(for: description))
        }
        let elapsed = ContinuousClock.now - started
        let millis = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return [
            "host": .string(SystemInfo.hostName),
            "collections": .document(hashes),
            "capped": .array(capped),
            "uuids": .document(uuids),
            "md5": .string(HexText.lowercase(overall.finalize())),
            "timeMillis": .int64(millis),
        ]
    }
}
