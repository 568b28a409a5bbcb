// Checkpoints and backups: a checkpoint opens as a separate database with the data as of
// its creation; backups restore into new directories with identical data, verify, purge.
import Testing
@testable import Storage

@Suite("Checkpoints and backups")
struct CheckpointAndBackupTests {
    private func everything(_ store: RocksDBStore) throws -> [String: [KeyValuePair]] {
        var result: [String: [KeyValuePair]] = [:]
        for name in store.keySpaceNames {
            result[name] = try store.entries(.all, in: try #require(store.existingKeySpace(named: name)))
        }
        return result
    }

    @Test func checkpointOpensAsSeparateDatabaseWithTheSameData() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let extra = try store.keySpace(named: "extra")
            for index in 0 ..< 50 {
                try store.put(bytes("k\(index)"), bytes("v\(index)"), in: store.defaultKeySpace, durability: .buffered)
                try store.put(bytes("x\(index)"), bytes("y\(index)"), in: extra, durability: .buffered)
            }
            let expected = try everything(store)
            try store.createCheckpoint(at: directory + "/checkpoint")
            try store.put(bytes("after"), bytes("checkpoint"), in: store.defaultKeySpace, durability: .buffered)

            let copy = try RocksDBStore(path: directory + "/checkpoint")
            #expect(copy.keySpaceNames == ["default", "extra"])
            #expect(try everything(copy) == expected)
            #expect(try copy.get(bytes("after"), in: copy.defaultKeySpace) == nil)
            try copy.put(bytes("only-in-copy"), bytes("1"), in: copy.defaultKeySpace, durability: .buffered)
            #expect(try store.get(bytes("only-in-copy"), in: store.defaultKeySpace) == nil)

            let exists = #expect(throws: StorageError.self) { try store.createCheckpoint(at: directory + "/checkpoint") }
            #expect(exists?.operation == .checkpoint)
            #expect(exists?.path == directory + "/checkpoint")
        }
    }

    @Test func backupRestoresIdenticalDataVerifiesAndPurges() throws {
        try withTemporaryDirectory { directory in
            var options = StorageOptions()
            options.mergeOperators["counters"] = Int64AddOperator(calls: MergeCallCounter())
            let store = try RocksDBStore(path: directory + "/db", options: options)
            let counters = try store.keySpace(named: "counters")
            let engine = try BackupEngine(directory: directory + "/backups")
            #expect(engine.backups().isEmpty)

            for index in 0 ..< 100 {
                try store.put(bytes("doc\(index)"), bytes("version1-\(index)"), in: store.defaultKeySpace, durability: .buffered)
            }
            try store.merge(bytes("count"), Int64AddOperator.encode(100), in: counters, durability: .buffered)
            let firstState = try everything(store)
            let first = try engine.createBackup(of: store)

            for index in 0 ..< 50 {
                try store.put(bytes("doc\(index)"), bytes("version2-\(index)"), in: store.defaultKeySpace, durability: .buffered)
            }
            try store.merge(bytes("count"), Int64AddOperator.encode(50), in: counters, durability: .buffered)
            let secondState = try everything(store)
            let second = try engine.createBackup(of: store, flushBeforeBackup: false)

            #expect(engine.backups().map(\.id) == [first.id, second.id])
            #expect(second.id > first.id)
            #expect(first.size > 0 && first.fileCount > 0)
            try engine.verify(backupID: first.id)
            try engine.verify(backupID: second.id)

            try engine.restore(backupID: first.id, to: directory + "/restored-first")
            try engine.restore(to: directory + "/restored-latest")
            do {
                let restored = try RocksDBStore(path: directory + "/restored-first", options: options)
                #expect(try everything(restored) == firstState)
                let restoredCounters = try #require(restored.existingKeySpace(named: "counters"))
                #expect(Int64AddOperator.decode(try restored.get(bytes("count"), in: restoredCounters)) == 100)
            }
            do {
                let restored = try RocksDBStore(path: directory + "/restored-latest", options: options)
                #expect(try everything(restored) == secondState)
            }

            try engine.purge(keepingLatest: 1)
            #expect(engine.backups().map(\.id) == [second.id])
            let purged = #expect(throws: StorageError.self) { try engine.verify(backupID: first.id) }
            #expect(purged?.operation == .verifyBackup)
        }
    }
}
