// `tessera backup`: create and purge (ask a running server, over the wire with BenchKit's
// client, for an online backup or to delete all but the newest backups), list, verify and
// restore (offline, on directories, through the Query engine's backup operations).
// `restore --until` restores to a point in time.

import ArgumentParser
import BSON
import BenchKit
import Foundation
import Query

/// `tessera backup`.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Online physical backups: create, list, purge, verify, restore (to a point in time with --until).",
        subcommands: [Create.self, List.self, Purge.self, Verify.self, Restore.self])

    /// `tessera backup create`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a running server for a consistent backup into a directory on its machine (writes go on).")

        @OptionGroup var connection: ToolConnectionOptions

        @Option(name: .long, help: "The backup directory, on the server's machine (a relative path is taken from here).")
        var to: String

        @Flag(name: .long, help: "Add to the backups already in the directory, copying only files they lack.")
        var incremental = false

        @Option(name: .long, help: "Copy at most this many bytes per second (default: no limit).")
        var maxBytesPerSecond: Int64?

        @Flag(name: .long, help: "Print the server's reply as Extended JSON instead of a summary.")
        var json = false

        func run() throws {
            let directory = BackupPaths.absolute(to)
            var command: BSONDocument = ["createBackup": .int32(1), "to": .string(directory), "incremental": .bool(incremental)]
            if let maxBytesPerSecond { command.append("maxBytesPerSecond", .int64(maxBytesPerSecond)) }
            let reply = try BackupPaths.adminCommand(command, connection: connection)
            if json {
                print(reply.extendedJSON(.canonical))
                return
            }
            let point = reply["point"]?.documentValue
            let time = point?["operationTime"].flatMap { value -> BSONTimestamp? in
                if case let .timestamp(time) = value { return time }
                return nil
            }
            print("backup \(reply["backupId"]?.int64Value ?? 0) in \(directory): "
                  + "\(reply["bytesCopied"]?.int64Value ?? 0) bytes copied, \(reply["size"]?.int64Value ?? 0) bytes in all"
                  + (reply["incremental"]?.boolValue == true ? " (incremental)" : "")
                  + (time.map { ", operation time \($0.timestamp):\($0.increment)" } ?? ""))
        }
    }

    /// `tessera backup list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the backups in a directory.")

        @Option(name: .long, help: "The backup directory.")
        var from: String

        @Flag(name: .long, help: "One Extended JSON document per backup.")
        var json = false

        func run() throws {
            let backups = try BackupPaths.run { () throws(MongoError) in try QueryEngine.backups(in: from) }
            for backup in backups {
                print(json ? BackupPaths.document(backup).extendedJSON(.canonical) : BackupPaths.line(backup))
            }
        }
    }

    /// `tessera backup purge`.
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a running server to delete all but the newest backups of a directory on its machine.")

        @Option(name: .long, help: "How many of the newest backups to keep (at least 1).")
        var keep: Int

        func validate() throws {
            guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
        }

        @Option(name: .long, help: "The backup directory, on the server's machine (a relative path is taken from here).")
        var from: String

        @OptionGroup var connection: ToolConnectionOptions

        func run() throws {
            let directory = BackupPaths.absolute(from)
            let reply = try BackupPaths.adminCommand(
                ["purgeBackups": .int32(1), "from": .string(directory), "keep": .int64(Int64(keep))], connection: connection)
            func ids(_ field: String) -> String {
                guard case let .array(values)? = reply[field] else { return "" }
                return values.compactMap { $0.int64Value.map(String.init) }.joined(separator: " ")
            }
            print("purged backups [\(ids("purged"))] from \(directory); kept [\(ids("remaining"))]")
        }
    }

    /// `tessera backup verify`.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check backups: file sizes, checksums (restoring a scratch copy), then catalog and index consistency.")

        @OptionGroup var source: BackupSource

        @Option(name: .long, help: "Where to restore scratch copies (default: the system's temporary directory).")
        var scratch: String?

        func run() throws {
            let scratchParent = scratch ?? NSTemporaryDirectory()
            let from = source.from
            let ids = try BackupPaths.run { () throws(MongoError) -> [UInt32] in
                if let backupId = source.backupId { return [backupId] }
                return try QueryEngine.backups(in: from).map(\.id)
            }
            var failed = 0
            for id in ids {
                let result = try BackupPaths.run { () throws(MongoError) in
                    try QueryEngine.verifyBackup(id, in: from, scratchParent: scratchParent)
                }
                if result.isSound {
                    let report = result.consistency
                    print("backup \(id): ok (\(report?.collections ?? 0) collections, \(report?.documents ?? 0) documents, "
                          + "\(report?.indexEntries ?? 0) index entries)")
                } else {
                    failed += 1
                    print("backup \(id): FAILED")
                    for problem in result.problems { print("  \(problem)") }
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }

    /// `tessera backup restore`.
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup into a new data directory, or the store as it was at --until.")

        @OptionGroup var source: BackupSource

        @Option(name: .long, help: "The new data directory (missing or empty).")
        var dbpath: String

        @Option(name: .long, help: "Restore to this moment: an operation time T:I or an ISO 8601 date.")
        var until: String?

        func validate() throws {
            if until != nil, source.backupId != nil {
                throw ValidationError("--until picks its backups itself: give --backup-id or --until, not both")
            }
        }

        func run() throws {
            let from = source.from
            if let until {
                let result = try BackupPaths.run { () throws(MongoError) in
                    try QueryEngine.restoreBackup(from: from, until: try QueryEngine.restorePoint(parsing: until), to: dbpath)
                }
                let time = ClusterTime.timestamp(ofSequence: result.point.sequence)
                print("restored backup \(result.base.id) into \(dbpath) and redid \(result.replayed) changes"
                      + (result.logSource.map { " from backup \($0.id)'s change log" } ?? "")
                      + "; the store stands at operation time \(time.timestamp):\(time.increment)")
            } else {
                let backup = try BackupPaths.run { () throws(MongoError) in
                    try QueryEngine.restoreBackup(source.backupId, from: from, to: dbpath)
                }
                print("restored backup \(backup.id) into \(dbpath)")
            }
        }
    }
}

/// `--from DIR [--backup-id N]`: the backup directory and, optionally, one backup in it.
struct BackupSource: ParsableArguments {
    @Option(name: .long, help: "The backup directory.")
    var from: String

    @Option(name: .long, help: "One backup by id (verify: default all; restore: default the newest).")
    var backupId: UInt32?
}

/// A failure to report on one line and exit non-zero.
struct BackupFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Shared formatting and error mapping of the backup subcommands.
enum BackupPaths {
    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Sends `command` to the `admin` database of the server `connection` names (logged in,
    /// over TLS when asked); a failure to connect or an `{ok: 0}` reply is a one-line failure.
    static func adminCommand(_ command: BSONDocument, connection options: ToolConnectionOptions) throws -> BSONDocument {
        let connection: WireConnection
        do {
            connection = try options.connect()
        } catch {
            throw BackupFailure("\(error)")
        }
        defer { connection.close() }
        do {
            return try connection.command(command, database: "admin", documents: nil)
        } catch {
            throw BackupFailure(error.description)
        }
    }

    /// Runs `body`, turning a MongoError into a one-line failure.
    static func run<Result>(_ body: () throws(MongoError) -> Result) throws -> Result {
        do {
            return try body()
        } catch {
            throw BackupFailure("\(error.code.name): \(error.message)")
        }
    }

    /// A backup as a document (for `list --json`).
    static func document(_ backup: BackupSummary) -> BSONDocument {
        var document: BSONDocument = [
            "backupId": .int64(Int64(backup.id)), "createdAt": .datetime(backup.createdAt),
            "size": .int64(Int64(clamping: backup.size)), "fileCount": .int64(Int64(backup.fileCount)),
        ]
        if let record = backup.record {
            document.append("operationTime", .timestamp(ClusterTime.timestamp(ofSequence: record.point.sequence)))
            if let wallTime = record.point.wallTime { document.append("wallTime", .datetime(wallTime)) }
            document.append("bytesCopied", .int64(Int64(clamping: record.bytesCopied)))
            document.append("incremental", .bool(record.incremental))
        }
        return document
    }

    /// A backup as one line of `list`.
    static func line(_ backup: BackupSummary) -> String {
        let created = Date(timeIntervalSince1970: Double(backup.createdAt.millisecondsSinceEpoch) / 1000)
        var text = "\(backup.id)\t\(ISO8601DateFormatter().string(from: created))\t\(backup.size) bytes\t\(backup.fileCount) files"
        if let record = backup.record {
            let time = ClusterTime.timestamp(ofSequence: record.point.sequence)
            text += "\toperation time \(time.timestamp):\(time.increment)\t\(record.bytesCopied) bytes copied"
            if record.incremental { text += "\tincremental" }
        } else {
            text += "\t(no Tessera record: not usable with --until)"
        }
        return text
    }
}
