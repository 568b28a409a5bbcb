// Key spaces (column families): creation, reopening by name, dropping, refusal to use a
// dropped handle, and disk space released by a drop (bytes before and after).
import Testing
@testable import Storage

@Suite("Key spaces")
struct KeySpaceTests {
    @Test func keySpacesAreIsolatedAndReopenByName() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let store = try RocksDBStore(path: path)
                let users = try store.keySpace(named: "users")
                let orders = try store.keySpace(named: "orders")
                #expect(try store.keySpace(named: "users") === users)
                try store.put(bytes("k"), bytes("user"), in: users, durability: .buffered)
                try store.put(bytes("k"), bytes("order"), in: orders, durability: .buffered)
                #expect(try store.get(bytes("k"), in: store.defaultKeySpace) == nil)
                #expect(store.keySpaceNames == ["default", "orders", "users"])
            }
            let reopened = try RocksDBStore(path: path)
            #expect(reopened.keySpaceNames == ["default", "orders", "users"])
            let users = try #require(reopened.existingKeySpace(named: "users"))
            #expect(try reopened.get(bytes("k"), in: users) == bytes("user"))
            #expect(reopened.existingKeySpace(named: "missing") == nil)
        }
    }

    @Test func droppedKeySpaceRefusesUseAndIsGoneAfterReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let store = try RocksDBStore(path: path)
                let temporary = try store.keySpace(named: "temporary")
                try store.put(bytes("k"), bytes("v"), in: temporary, durability: .buffered)
                try store.dropKeySpace(temporary)
                #expect(temporary.isDropped)
                #expect(store.existingKeySpace(named: "temporary") == nil)
                let readError = #expect(throws: StorageError.self) { try store.get(bytes("k"), in: temporary) }
                #expect(readError?.code == .keySpaceDropped)
                let writeError = #expect(throws: StorageError.self) {
                    try store.put(bytes("k"), bytes("v"), in: temporary, durability: .buffered)
                }
                #expect(writeError?.code == .keySpaceDropped)
                #expect(throws: StorageError.self) { try store.makeCursor(over: .all, in: temporary) }
                #expect(throws: StorageError.self) { try store.dropKeySpace(temporary) }
                let defaultError = #expect(throws: StorageError.self) { try store.dropKeySpace(store.defaultKeySpace) }
                #expect(defaultError?.code == .invalidArgument)
                // The name can be used again for a new, empty key space.
                let recreated = try store.keySpace(named: "temporary")
                #expect(try store.get(bytes("k"), in: recreated) == nil)
                try store.dropKeySpace(recreated)
            }
            let reopened = try RocksDBStore(path: path)
            #expect(reopened.keySpaceNames == ["default"])
        }
    }

    @Test func droppingAKeySpaceReleasesItsDiskSpace() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            // The key space handle lives only inside this closure: releasing the last
            // handle of a dropped family is what lets RocksDB delete its files.
            let (sstBytes, before) = try { () throws -> (UInt64, UInt64) in
                let bulk = try store.keySpace(named: "bulk")
                var noise = NoiseGenerator(seed: 42)
                for index in 0 ..< 2_000 {
                    // 4 KiB of incompressible data per key: about 8 MiB in all.
                    try store.put(bytes("key-\(index)"), noise.bytes(count: 4096), in: bulk, durability: .buffered)
                }
                try store.flush(bulk)
                try store.compactRange(in: bulk)
                let sstBytes = store.sstFilesSize(of: bulk, live: true)
                let before = try store.diskUsage()
                try store.dropKeySpace(bulk)
                return (sstBytes, before)
            }()
            try store.compactRange(in: store.defaultKeySpace)
            let after = try store.diskUsage()

            print("drop key space: SST bytes \(sstBytes); directory bytes before \(before), after \(after)")
            #expect(sstBytes > 7_000_000)
            #expect(before > after + 7_000_000, "directory: \(before) bytes before drop, \(after) after")
        }
    }

    @Test func invalidKeySpaceNamesAreRejected() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let empty = #expect(throws: StorageError.self) { try store.keySpace(named: "") }
            #expect(empty?.code == .invalidArgument)
            #expect(throws: StorageError.self) { try store.keySpace(named: "a\u{0}b") }
        }
    }
}
