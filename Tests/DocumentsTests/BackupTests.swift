// Backups against real RocksDB stores: a backup taken while writers run restores exactly the
// commits up to its recorded point; incremental backups copy less; a point-in-time restore
// redoes every kind of logged change (delta, diffed and transactional updates, replaces,
// deletes, DDL) to the state the source had at that moment; verification catches a damaged
// file and a missing index entry; refusals (non-empty targets, moments past the newest backup).

import BSON
import Foundation
import Synchronization
import TestSupport
import Testing
@testable import Documents
@testable import Storage

/// Every document of every collection, by namespace, in `_id` order.
private func snapshot(_ store: DocumentStore) throws -> [String: [BSONDocument]] {
    var result: [String: [BSONDocument]] = [:]
    for database in store.catalog.databaseNames {
        for description in store.catalog.collections(in: database) {
            result[description.namespace.description] = try store.collection(description.namespace).documents()
        }
    }
    return result
}

/// Every index of every collection, by namespace: names and keys.
private func indexes(_ store: DocumentStore) -> [String: [String]] {
    var result: [String: [String]] = [:]
    for database in store.catalog.databaseNames {
        for description in store.catalog.collections(in: database) {
            result[description.namespace.description] = description.indexes.map { "\($0.name) \($0.key)" }.sorted()
        }
    }
    return result
}

@Suite("Backups")
struct BackupTests {
    @Test func backupTakenWhileWritersRunRestoresExactlyTheCommitsUpToItsPoint() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": "seed"])
            let stop = Atomic(false)
            let writers = (0..<4).map { writer in
                Thread {
                    var next = 0
                    while !stop.load(ordering: .relaxed) {
                        _ = try? collection.insert(["_id": .string("\(writer)-\(next)"), "n": .int64(Int64(next))])
                        next += 1
                    }
                }
            }
            writers.forEach { $0.start() }
            Thread.sleep(forTimeInterval: 0.2)
            let backups = path + "-backups"
            let summary = try store.backup(to: backups, incremental: false)
            Thread.sleep(forTimeInterval: 0.1)
            stop.store(true, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.1)
            let point = try #require(summary.record?.point)
            #expect(point.sequence > 2)
            #expect(store.changeLog.latestSequence > point.sequence, "writes went on after the backup's point")

            // What the source committed up to the point, from its own change log.
            var expected: Set<String> = []
            var after: UInt64 = 0
            while after < point.sequence {
                let entries = try store.changeLog.entries(after: after, limit: 1000)
                guard let last = entries.last else { break }
                for entry in entries where entry.sequence <= point.sequence && entry.operation == .insert {
                    if case let .string(id)? = entry.documentKey { expected.insert(id) }
                }
                after = last.sequence
            }
            let target = path + "-restored"
            try BackupSet(directory: backups).restore(to: target)
            let restored = try DocumentStore(path: target)
            #expect(restored.changeLog.latestSequence == point.sequence)
            let ids = Set(try restored.collection("c", in: "db").documents().compactMap { $0["_id"]?.stringValue })
            #expect(ids == expected)
            #expect(try restored.checkConsistency().isConsistent)
        }
    }

    @Test func incrementalBackupCopiesOnlyNewFiles() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            let filler = String(repeating: "x", count: 400)
            for batch in 0..<20 {
                try collection.insert(contentsOf: (0..<500).map { ["_id": .int64(Int64(batch * 500 + $0)), "s": .string(filler)] })
            }
            let backups = path + "-backups"
            let full = try store.backup(to: backups, incremental: false)
            try collection.insert(["_id": "one more"])
            let incremental = try store.backup(to: backups, incremental: true)
            let fullBytes = try #require(full.record?.bytesCopied)
            let addedBytes = try #require(incremental.record?.bytesCopied)
            #expect(incremental.record?.incremental == true)
            #expect(addedBytes * 10 < fullBytes, "incremental copied \(addedBytes) bytes, the full backup \(fullBytes)")
            // Without `incremental`, a directory that holds backups is refused.
            #expect(mongoErrorCode { _ = try store.backup(to: backups, incremental: false) } == 72)
        }
    }

    @Test func pointInTimeRestoreRedoesEveryKindOfChange() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path, options: optionsWithCompiler)
            let namespace = try Namespace(database: "db", collection: "c")
            let collection = store.collection(namespace)
            try collection.insert(contentsOf: (0..<20).map { ["_id": .int32(Int32($0)), "x": .int32(Int32($0)), "n": 0, "sub": ["a": 1], "tags": ["a"]] })
            try store.createIndex(on: namespace, key: ["x": 1])
            let backups = path + "-backups"
            _ = try store.backup(to: backups, incremental: false)

            // After the first backup: every kind of logged change.
            #expect(try collection.applyDeltas(id: 1, [.increment(path: ["n"], by: 100)], writeConcern: .acknowledged)
                    == .applied(modified: true))
            // A delta that adds fields: new names are appended where the planner put them.
            #expect(try collection.applyDeltas(id: 6, [.set(path: ["sub", "b"], value: 2), .increment(path: ["m"], by: 5),
                                                       .set(path: ["new", "deep"], value: "x")], writeConcern: .acknowledged)
                    == .applied(modified: true))
            _ = try collection.modify(id: 2, loggedAs: .update) { old in
                var new = old
                new["added"] = "field"
                new["tags"] = ["a", "b"]
                return new
            }
            try collection.replace(id: 3, with: ["x": 33, "replaced": true])
            try collection.delete(id: 4)
            try collection.insert(["_id": 100, "x": -1])
            let transaction = try Transaction(store: store)
            _ = try transaction.collection(namespace).modify(id: 5, loggedAs: .update) { old in
                var new = old
                new["inTransaction"] = true
                return new
            }
            try transaction.collection(namespace).insert(["_id": 101, "x": 101])
            try transaction.commit()
            let other = try Namespace(database: "db", collection: "d")
            try store.createCollection(other, options: ["capped": true, "size": 4096])
            try store.collection(other).insert(["_id": 1, "capped": true])
            let renamed = try Namespace(database: "db2", collection: "e")
            try store.renameCollection(other, to: renamed, dropTarget: false)
            try store.createIndex(on: renamed, key: ["capped": 1], name: "capped_1")
            try store.createIndex(on: namespace, key: ["added": 1], options: ["partialFilterExpression": ["x": ["$gt": 0]]])
            let middle = store.changeLog.latestSequence
            let expected = try snapshot(store)
            let expectedIndexes = indexes(store)

            // Later changes the restore must not show.
            try collection.delete(id: 0)
            try store.dropIndex("x_1", on: namespace)
            try store.dropCollection(renamed)
            try collection.insert(["_id": 200])
            _ = try store.backup(to: backups, incremental: true)

            let target = path + "-restored"
            let result = try BackupSet(directory: backups)
                .restore(until: .sequence(middle), to: target, options: optionsWithCompiler)
            #expect(result.base.id == 1)
            #expect(result.logSource?.id == 2)
            #expect(result.point.sequence == middle)
            let restored = try DocumentStore(path: target, options: optionsWithCompiler)
            #expect(try snapshot(restored) == expected)
            #expect(indexes(restored) == expectedIndexes)
            #expect(try restored.checkConsistency().isConsistent)
        }
    }

    @Test func pointInTimeRestoreRefusesMomentsNoBackupCovers() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 1])
            let backups = path + "-backups"
            let first = try store.backup(to: backups, incremental: false)
            try collection.insert(["_id": 2])
            let set = BackupSet(directory: backups)
            let past = try #require(first.record?.point.sequence) + 1
            // After the newest backup: the writes past it are in no backup.
            #expect(mongoErrorCode {
                _ = try set.restore(until: .sequence(past), to: path + "-a", options: DocumentStoreOptions())
            } == 2)
            // Before the oldest backup.
            #expect(mongoErrorCode {
                _ = try set.restore(until: .wallTime(BSONDateTime(millisecondsSinceEpoch: 0)), to: path + "-b", options: DocumentStoreOptions())
            } == 2)
            // Exactly at a backup's point: that backup, nothing redone.
            let exact = try set.restore(until: .sequence(past - 1), to: path + "-c",
                                        options: DocumentStoreOptions())
            #expect(exact.replayed == 0 && exact.logSource == nil)
            // A target that is not empty is refused and left alone.
            #expect(mongoErrorCode { try set.restore(to: path) } == 2)
            #expect(try collection.count() == 2)
        }
    }

    @Test func verifyFindsADamagedFileAndAMissingIndexEntry() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "c")
            try store.collection(namespace).insert(contentsOf: (0..<200).map { ["_id": .int32(Int32($0)), "x": .int32(Int32($0))] })
            try store.createIndex(on: namespace, key: ["x": 1])
            let backups = path + "-backups"
            let backup = try store.backup(to: backups, incremental: false)
            let set = BackupSet(directory: backups)
            let scratch = path + "-scratch"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let sound = try set.verify(backup.id, scratchParent: scratch, options: DocumentStoreOptions())
            #expect(sound.isSound)
            #expect(sound.consistency?.documents == 200 && sound.consistency?.indexEntries == 200)

            // A missing index entry: the logical check sees what checksums cannot.
            let open = try #require(store.catalog.openCollection(namespace)?.indexes.first)
            let entry = try #require(try store.storage.entries(.all, in: open.keySpace, limit: 1).first)
            try store.storage.delete(entry.key, in: open.keySpace, durability: .buffered)
            let damaged = try store.checkConsistency()
            #expect(!damaged.isConsistent)
            #expect(damaged.problems.contains { $0.contains("lacks the entry") })

            // One flipped byte in a backed-up SST file: same size, wrong checksum.
            let shared = backups + "/shared_checksum"
            let sst = try #require(try FileManager.default.contentsOfDirectory(atPath: shared).filter { $0.hasSuffix(".sst") }
                .max { (try? FileManager.default.attributesOfItem(atPath: "\(shared)/\($0)")[.size] as? Int ?? 0) ?? 0
                    < (try? FileManager.default.attributesOfItem(atPath: "\(shared)/\($1)")[.size] as? Int ?? 0) ?? 0 })
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: "\(shared)/\(sst)"))
            try file.seek(toOffset: 100)
            let original = try #require(try file.read(upToCount: 1)?.first)
            try file.seek(toOffset: 100)
            try file.write(contentsOf: Data([original ^ 0xff]))
            try file.close()
            let corrupted = try set.verify(backup.id, scratchParent: scratch, options: DocumentStoreOptions())
            #expect(!corrupted.isSound)
            #expect(corrupted.problems.contains { $0.contains("checksum") || $0.contains("Checksum") || $0.contains("orrupt") })
        }
    }
}

@Suite("Backup purge and interruption")
struct BackupPurgeAndInterruptTests {
    @Test func purgeKeepsTheNewestBackupsAndTheirRecords() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            let backups = path + "-backups"
            var ids: [UInt32] = []
            for round in 0..<4 {
                try collection.insert(contentsOf: (0..<100).map { ["_id": .int64(Int64(round * 100 + $0))] })
                ids.append(try store.backup(to: backups, incremental: round > 0).id)
            }
            let set = BackupSet(directory: backups)
            #expect(try set.purge(keep: 2) == Array(ids.prefix(2)))
            #expect(try set.backups().map(\.id) == Array(ids.suffix(2)))
            for id in ids {
                #expect(FileManager.default.fileExists(atPath: BackupRecord.path(in: backups, id: id)) == ids.suffix(2).contains(id))
            }
            #expect(try set.purge(keep: 2).isEmpty)
            #expect(mongoErrorCode { _ = try set.purge(keep: 0) } == 2)
            #expect(mongoErrorCode { _ = try BackupSet(directory: path + "-none").purge(keep: 1) } == 2)
            // What is kept restores whole.
            let target = path + "-restored"
            try set.restore(ids[2], to: target)
            #expect(try DocumentStore(path: target).collection("c", in: "db").documents().count == 300)
        }
    }

    @Test func killingABackupStopsItsCopyAndListsNothing() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            var generator = SystemRandomNumberGenerator()
            for start in stride(from: 0, to: 4000, by: 500) {
                try collection.insert(contentsOf: (start..<start + 500).map { id -> BSONDocument in
                    let pad = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    return ["_id": .int64(Int64(id)), "pad": .binary(BSONBinary(bytes: pad))]
                })
            }
            let backups = path + "-backups"
            let killSwitch = KillSwitch()
            let killer = Thread {
                Thread.sleep(forTimeInterval: 0.5)
                killSwitch.kill()
            }
            killer.start()
            // 4 MB at 500 kB/s: still copying when the switch is thrown.
            let code = mongoErrorCode {
                _ = try store.backup(to: backups, incremental: false, rateLimit: 500_000,
                                     interrupt: OperationInterrupt(killSwitch: killSwitch))
            }
            #expect(code == 11601)
            #expect(try BackupSet(directory: backups).backups().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + BackupStorage.checkpointName))
            // The directory takes a full backup afterwards.
            let summary = try store.backup(to: backups, incremental: false)
            #expect(try BackupSet(directory: backups).backups().map(\.id) == [summary.id])
        }
    }
}
