// BackupRecord: what Tessera keeps about one backup beside RocksDB's own files — its point in
// the change log, the bytes it copied, the store format — as `tessera/backup-<id>.json` in the
// backup directory (canonical Extended JSON, written atomically). Owns that file's format.

internal import Foundation
internal import BSON

/// Tessera's record of one backup in a backup directory.
public struct BackupRecord: Sendable, Equatable {
    /// The backup engine's id for the backup.
    public let id: UInt32
    /// The newest write the backup holds.
    public let point: BackupPoint
    /// Bytes this backup added to the directory (files no earlier backup shared).
    public let bytesCopied: UInt64
    /// Whether earlier backups were in the directory (their unchanged files were shared).
    public let incremental: Bool
    /// The store format (`DocumentStore.formatVersion`) of the backed-up store.
    public let formatVersion: Int

    /// A record from its parts.
    public init(id: UInt32, point: BackupPoint, bytesCopied: UInt64, incremental: Bool, formatVersion: Int) {
        self.id = id
        self.point = point
        self.bytesCopied = bytesCopied
        self.incremental = incremental
        self.formatVersion = formatVersion
    }

    /// The folder of records inside a backup directory.
    static let folderName = "tessera"

    /// The record file of backup `id` in `directory`.
    static func path(in directory: String, id: UInt32) -> String {
        "\(directory)/\(folderName)/backup-\(id).json"
    }

    /// The record as stored.
    var document: BSONDocument {
        var document: BSONDocument = [
            "backupId": .int64(Int64(id)),
            "sequence": .int64(Int64(bitPattern: point.sequence)),
        ]
        if let wallTime = point.wallTime { document.append("wallTime", .datetime(wallTime)) }
        document.append("bytesCopied", .int64(Int64(clamping: bytesCopied)))
        document.append("incremental", .bool(incremental))
        document.append("formatVersion", .int64(Int64(formatVersion)))
        return document
    }

    /// Reads a stored record; `nil` when a field is missing or of the wrong type.
    init?(document: BSONDocument) {
        guard let id = document["backupId"]?.int64Value, let id = UInt32(exactly: id),
              let sequence = document["sequence"]?.int64Value,
              let bytesCopied = document["bytesCopied"]?.int64Value, bytesCopied >= 0,
              let incremental = document["incremental"]?.boolValue,
              let formatVersion = document["formatVersion"]?.int64Value, let format = Int(exactly: formatVersion)
        else { return nil }
        var wallTime: BSONDateTime?
        if case let .datetime(time)? = document["wallTime"] { wallTime = time }
        self.init(id: id, point: BackupPoint(sequence: UInt64(bitPattern: sequence), wallTime: wallTime),
                  bytesCopied: UInt64(bytesCopied), incremental: incremental, formatVersion: format)
    }

    /// Writes the record into `directory` (replacing an older file for the same id).
    func write(into directory: String) throws(MongoError) {
        let path = Self.path(in: directory, id: id)
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(Self.folderName)", withIntermediateDirectories: true)
            try Data(document.extendedJSON(.canonical).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MongoError(.internalError, "could not write the backup record \(path): \(error)")
        }
    }

    /// The record of backup `id` in `directory`; `nil` when there is none (a backup made
    /// outside Tessera).
    ///
    /// - Throws: `InternalError` when the file exists but cannot be read.
    static func read(in directory: String, id: UInt32) throws(MongoError) -> BackupRecord? {
        let path = path(in: directory, id: id)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path),
              let document = try? BSONDocument(extendedJSON: String(decoding: data, as: UTF8.self)),
              let record = BackupRecord(document: document), record.id == id
        else {
            throw MongoError(.internalError, "the backup record \(path) is unreadable")
        }
        return record
    }
}
