// The layer above sees only OrderedKeyValueStore: code generic over the protocol can
// create key spaces, write batches, read snapshots and walk cursors on RocksDBStore.
import Testing
@testable import Storage

/// A tiny "index maintainer" written only against the protocol, as the Documents layer will be.
private func insertDocument<Store: OrderedKeyValueStore>(
    id: [UInt8], body: [UInt8], indexKey: [UInt8], into store: Store
) throws(StorageError) {
    let records = try store.keySpace(named: "records")
    let index = try store.keySpace(named: "index")
    var batch = try store.makeWriteBatch()
    batch.put(id, body, in: records)
    batch.put(indexKey + id, [], in: index)
    try store.write(batch, durability: .journaled)
}

private func documentIDs<Store: OrderedKeyValueStore>(withIndexPrefix prefix: [UInt8], in store: Store) throws(StorageError) -> [[UInt8]] {
    let index = try store.keySpace(named: "index")
    let snapshot = try store.makeSnapshot()
    var cursor = try snapshot.makeCursor(over: .prefix(prefix), in: index)
    var ids: [[UInt8]] = []
    cursor.seekToFirst()
    while let key = cursor.key {
        ids.append(Array(key.dropFirst(prefix.count)))
        cursor.next()
    }
    try cursor.checkStatus()
    return ids
}

@Suite("Protocol clients")
struct ProtocolClientTests {
    @Test func codeGenericOverTheProtocolDrivesRocksDBStore() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            try insertDocument(id: [2], body: bytes("bob"), indexKey: bytes("name:b"), into: store)
            try insertDocument(id: [1], body: bytes("ann"), indexKey: bytes("name:a"), into: store)
            try insertDocument(id: [3], body: bytes("amy"), indexKey: bytes("name:a"), into: store)
            #expect(try documentIDs(withIndexPrefix: bytes("name:a"), in: store) == [[1], [3]])
            #expect(try documentIDs(withIndexPrefix: bytes("name:b"), in: store) == [[2]])
        }
    }
}
