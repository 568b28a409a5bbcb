// EngineContract: what every storage engine must do, written only against the storage
// interface (`any StorageEngineConfiguration`, `any StorageEngine`). Each engine's test suite
// runs every clause on its own configuration (RocksDBEngineContractTests for RocksDB).
import Testing
@testable import Storage

/// The clauses of the storage interface's contract, each a check an engine must pass.
enum EngineContract: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case keySpacesAreCreatedIsolatedAndDropped
    case cursorsWalkUnsignedByteOrderInBothDirectionsWithinBounds
    case scansAndEntriesStopEarlyAndRespectLimits
    case batchesApplyAllOrNothing
    case snapshotsSeeOnlyEarlierCommits
    case mergesFoldOperandsWithTheConfiguredOperator
    case committedWritesSurviveReopening

    var testDescription: String { rawValue }

    /// The merge operators every clause opens its engine with: counters in `counter.*`.
    static func mergeOperators(_ calls: MergeCallCounter = MergeCallCounter()) -> [String: any MergeOperator] {
        ["counter.": Int64AddOperator(calls: calls)]
    }

    /// Runs this clause on a new, empty store described by `configuration`.
    func check(on configuration: any StorageEngineConfiguration) throws {
        switch self {
        case .keySpacesAreCreatedIsolatedAndDropped: try Self.keySpaces(configuration)
        case .cursorsWalkUnsignedByteOrderInBothDirectionsWithinBounds: try Self.cursors(configuration)
        case .scansAndEntriesStopEarlyAndRespectLimits: try Self.scans(configuration)
        case .batchesApplyAllOrNothing: try Self.batches(configuration)
        case .snapshotsSeeOnlyEarlierCommits: try Self.snapshots(configuration)
        case .mergesFoldOperandsWithTheConfiguredOperator: try Self.merges(configuration)
        case .committedWritesSurviveReopening: try Self.durability(configuration)
        }
    }

    private static func open(_ configuration: any StorageEngineConfiguration) throws -> any StorageEngine {
        try configuration.open(mergeOperators: mergeOperators())
    }

    // MARK: Clauses

    private static func keySpaces(_ configuration: any StorageEngineConfiguration) throws {
        let engine = try open(configuration)
        #expect(try engine.existingKeySpace(named: "users") == nil)
        let users = try engine.keySpace(named: "users")
        let orders = try engine.keySpace(named: "orders")
        #expect(users.name == "users")
        #expect(try engine.keySpace(named: "users") === users)
        #expect(try engine.existingKeySpace(named: "orders") === orders)
        let names = try engine.keySpaceNames
        #expect(names == names.sorted())
        #expect(names.contains("users") && names.contains("orders"))

        try engine.put(bytes("k"), bytes("user"), in: users, durability: .buffered)
        try engine.put(bytes("k"), bytes("order"), in: orders, durability: .buffered)
        #expect(try engine.get(bytes("k"), in: users) == bytes("user"))
        #expect(try engine.get(bytes("k"), in: orders) == bytes("order"))
        try engine.delete(bytes("k"), in: orders, durability: .buffered)
        #expect(try engine.get(bytes("k"), in: orders) == nil)
        #expect(try engine.get(bytes("k"), in: users) == bytes("user"))

        try engine.dropKeySpace(users)
        #expect(users.isDropped)
        #expect(!(try engine.keySpaceNames.contains("users")))
        #expect(try engine.existingKeySpace(named: "users") == nil)
        for failure in [
            #expect(throws: StorageError.self) { try engine.get(bytes("k"), in: users) },
            #expect(throws: StorageError.self) { try engine.put(bytes("k"), bytes("v"), in: users, durability: .buffered) },
            #expect(throws: StorageError.self) { try engine.makeCursor(over: .all, in: users) },
            #expect(throws: StorageError.self) { try engine.dropKeySpace(users) },
        ] {
            #expect(failure?.code == .keySpaceDropped)
        }
        // The name can be used again, for a new and empty key space.
        let recreated = try engine.keySpace(named: "users")
        #expect(recreated !== users)
        #expect(try engine.get(bytes("k"), in: recreated) == nil)
        #expect(try engine.entries(.all, in: recreated).isEmpty)
    }

    /// Keys that sort differently as signed bytes, as strings and by length.
    private static let orderedKeys: [[UInt8]] = [[0x00], [0x00, 0x00], [0x01], [0x7F], [0x7F, 0xFF], [0x80], [0xFE], [0xFF], [0xFF, 0x00]]

    private static func cursors(_ configuration: any StorageEngineConfiguration) throws {
        let engine = try open(configuration)
        let keySpace = try engine.keySpace(named: "ordered")
        for key in orderedKeys.shuffled() {
            try engine.put(key, key + [0xAA], in: keySpace, durability: .buffered)
        }
        #expect(try engine.entries(.all, in: keySpace).map(\.key) == orderedKeys)
        #expect(try engine.entries(.all, in: keySpace).map(\.value) == orderedKeys.map { $0 + [0xAA] })
        #expect(try engine.entries(.all, in: keySpace, direction: .reverse).map(\.key) == orderedKeys.reversed())

        let bounded = KeyRange(lowerBound: [0x01], upperBound: [0xFE])
        let inside = orderedKeys.filter { bounded.contains($0) }
        #expect(inside == [[0x01], [0x7F], [0x7F, 0xFF], [0x80]])
        #expect(try engine.entries(bounded, in: keySpace).map(\.key) == inside)
        #expect(try engine.entries(bounded, in: keySpace, direction: .reverse).map(\.key) == inside.reversed())
        #expect(try engine.entries(.prefix([0x7F]), in: keySpace).map(\.key) == [[0x7F], [0x7F, 0xFF]])
        #expect(try engine.entries(.prefix([0xFF]), in: keySpace).map(\.key) == [[0xFF], [0xFF, 0x00]])
        #expect(try engine.entries(KeyRange(upperBound: [0x00, 0x00]), in: keySpace).map(\.key) == [[0x00]])

        let cursor = try engine.makeCursor(over: bounded, in: keySpace)
        #expect(!cursor.isValid)
        cursor.seekToFirst()
        #expect(cursor.key == [0x01])
        cursor.previous()
        #expect(!cursor.isValid)  // the lower bound holds going backwards
        cursor.seekToLast()
        #expect(cursor.key == [0x80])
        #expect(cursor.value == [0x80, 0xAA])
        cursor.next()
        #expect(!cursor.isValid)  // the upper bound holds going forwards
        try cursor.checkStatus()
        cursor.seek(to: [0x7F, 0x00])
        #expect(cursor.key == [0x7F, 0xFF])
        cursor.seek(atOrBefore: [0x7F, 0x00])
        #expect(cursor.key == [0x7F])
        cursor.seek(to: [0x00])  // below the range: clamped to its first entry
        #expect(cursor.key == [0x01])
        cursor.seek(atOrBefore: [0xFF])  // above the range: clamped to its last entry
        #expect(cursor.key == [0x80])
        cursor.previous()
        #expect(cursor.withCurrent { key, value in [UInt8](key) + [UInt8](value) } == [0x7F, 0xFF, 0x7F, 0xFF, 0xAA])
        cursor.seek(to: [0xF0])
        #expect(!cursor.isValid)
        #expect(cursor.withCurrent { _, _ in true } == nil)
        cursor.next()  // harmless on an invalid cursor
        #expect(!cursor.isValid)
        try cursor.checkStatus()
    }

    private static func scans(_ configuration: any StorageEngineConfiguration) throws {
        let engine = try open(configuration)
        let keySpace = try engine.keySpace(named: "letters")
        for letter in "abcdefgh" {
            try engine.put(bytes(String(letter)), bytes(letter.uppercased()), in: keySpace, durability: .buffered)
        }
        let range = KeyRange(lowerBound: bytes("b"), upperBound: bytes("g"))
        var seen: [String] = []
        try engine.scan(range, in: keySpace, direction: .reverse) { key, value in
            seen.append(String(decoding: key, as: UTF8.self) + String(decoding: value, as: UTF8.self))
            return seen.count == 3 ? .stop : .continue
        }
        #expect(seen == ["fF", "eE", "dD"])
        #expect(keyStrings(try engine.entries(range, in: keySpace, limit: 2)) == ["b", "c"])
        #expect(keyStrings(try engine.entries(range, in: keySpace, direction: .reverse, limit: 1)) == ["f"])
        #expect(try engine.entries(range, in: keySpace, limit: 0).isEmpty)

        struct Stop: Error {}
        var visited = 0
        #expect(throws: Stop.self) {
            try engine.scan(.all, in: keySpace) { _, _ in
                visited += 1
                throw Stop()
            }
        }
        #expect(visited == 1)
    }

    private static func batches(_ configuration: any StorageEngineConfiguration) throws {
        let engine = try open(configuration)
        let records = try engine.keySpace(named: "records")
        let index = try engine.keySpace(named: "index")
        for key in ["a", "b", "c", "d"] {
            try engine.put(bytes(key), bytes("old"), in: records, durability: .buffered)
        }
        let batch = try engine.makeWriteBatch()
        #expect(batch.isEmpty)
        batch.put(bytes("e"), bytes("new"), in: records)
        batch.put(bytes("name:e"), [], in: index)
        batch.delete(bytes("a"), in: records)
        batch.deleteRange(from: bytes("b"), to: bytes("d"), in: records)
        #expect(batch.count == 4)
        // Nothing is visible before the write.
        #expect(keyStrings(try engine.entries(.all, in: records)) == ["a", "b", "c", "d"])
        #expect(try engine.entries(.all, in: index).isEmpty)
        try engine.write(batch, durability: .buffered)
        #expect(keyStrings(try engine.entries(.all, in: records)) == ["d", "e"])
        #expect(keyStrings(try engine.entries(.all, in: index)) == ["name:e"])

        // A batch touching a dropped key space is refused whole.
        let doomed = try engine.keySpace(named: "doomed")
        let refused = try engine.makeWriteBatch()
        refused.put(bytes("f"), bytes("new"), in: records)
        refused.put(bytes("f"), bytes("new"), in: doomed)
        try engine.dropKeySpace(doomed)
        let error = #expect(throws: StorageError.self) { try engine.write(refused, durability: .buffered) }
        #expect(error?.code == .keySpaceDropped)
        #expect(try engine.get(bytes("f"), in: records) == nil)

        refused.clear()
        #expect(refused.isEmpty)
        refused.put(bytes("f"), bytes("again"), in: records)
        try engine.write(refused, durability: .journaled)
        #expect(try engine.get(bytes("f"), in: records) == bytes("again"))
    }

    private static func snapshots(_ configuration: any StorageEngineConfiguration) throws {
        let engine = try open(configuration)
        let left = try engine.keySpace(named: "left")
        let right = try engine.keySpace(named: "right")
        let first = try engine.makeWriteBatch()
        first.put(bytes("k"), bytes("1"), in: left)
        first.put(bytes("k"), bytes("1"), in: right)
        first.put(bytes("gone"), bytes("1"), in: left)
        try engine.write(first, durability: .buffered)
        let snapshot = try engine.makeSnapshot()

        let second = try engine.makeWriteBatch()
        second.put(bytes("k"), bytes("2"), in: left)
        second.put(bytes("k"), bytes("2"), in: right)
        second.delete(bytes("gone"), in: left)
        second.put(bytes("new"), bytes("2"), in: left)
        try engine.write(second, durability: .buffered)
        let later = try engine.makeSnapshot()

        #expect(try snapshot.get(bytes("k"), in: left) == bytes("1"))
        #expect(try snapshot.get(bytes("k"), in: right) == bytes("1"))
        #expect(try snapshot.get(bytes("gone"), in: left) == bytes("1"))
        #expect(try snapshot.get(bytes("new"), in: left) == nil)
        #expect(keyStrings(try snapshot.entries(.all, in: left)) == ["gone", "k"])
        let cursor = try snapshot.makeCursor(over: .all, in: left)
        cursor.seekToLast()
        #expect(cursor.key == bytes("k"))
        #expect(cursor.value == bytes("1"))

        #expect(keyStrings(try later.entries(.all, in: left)) == ["k", "new"])
        #expect(try later.get(bytes("k"), in: right) == bytes("2"))
        #expect(try engine.get(bytes("k"), in: left) == bytes("2"))
        var scanned: [String] = []
        try later.scan(.all, in: left, direction: .reverse) { key, _ in
            scanned.append(String(decoding: key, as: UTF8.self))
            return .continue
        }
        #expect(scanned == ["new", "k"])
    }

    private static func merges(_ configuration: any StorageEngineConfiguration) throws {
        let engine = try open(configuration)
        let counters = try engine.keySpace(named: "counter.daily")
        try engine.put(bytes("hits"), Int64AddOperator.encode(10), in: counters, durability: .buffered)
        try engine.merge(bytes("hits"), Int64AddOperator.encode(5), in: counters, durability: .buffered)
        let before = try engine.makeSnapshot()
        let batch = try engine.makeWriteBatch()
        batch.merge(bytes("hits"), Int64AddOperator.encode(3), in: counters)
        batch.merge(bytes("hits"), Int64AddOperator.encode(-1), in: counters)
        batch.merge(bytes("fresh"), Int64AddOperator.encode(7), in: counters)
        try engine.write(batch, durability: .buffered)
        #expect(Int64AddOperator.decode(try engine.get(bytes("hits"), in: counters)) == 17)
        #expect(Int64AddOperator.decode(try engine.get(bytes("fresh"), in: counters)) == 7)
        #expect(Int64AddOperator.decode(try before.get(bytes("hits"), in: counters)) == 15)
        #expect(try before.get(bytes("fresh"), in: counters) == nil)
        let entries = try engine.entries(.all, in: counters)
        #expect(keyStrings(entries) == ["fresh", "hits"])
        #expect(entries.map { Int64AddOperator.decode($0.value) } == [7, 17])
        // A put replaces the folded value; a delete removes it; later merges start afresh.
        try engine.put(bytes("hits"), Int64AddOperator.encode(100), in: counters, durability: .buffered)
        try engine.merge(bytes("hits"), Int64AddOperator.encode(1), in: counters, durability: .buffered)
        #expect(Int64AddOperator.decode(try engine.get(bytes("hits"), in: counters)) == 101)
        try engine.delete(bytes("hits"), in: counters, durability: .buffered)
        try engine.merge(bytes("hits"), Int64AddOperator.encode(2), in: counters, durability: .buffered)
        #expect(Int64AddOperator.decode(try engine.get(bytes("hits"), in: counters)) == 2)
    }

    private static func durability(_ configuration: any StorageEngineConfiguration) throws {
        do {
            let engine = try open(configuration)
            let journaled = try engine.keySpace(named: "journaled")
            let synced = try engine.keySpace(named: "synced")
            let counters = try engine.keySpace(named: "counter.total")
            let dropped = try engine.keySpace(named: "dropped")
            try engine.put(bytes("a"), bytes("1"), in: journaled, durability: .journaled)
            let batch = try engine.makeWriteBatch()
            batch.put(bytes("b"), bytes("2"), in: journaled)
            batch.merge(bytes("n"), Int64AddOperator.encode(4), in: counters)
            try engine.write(batch, durability: .journaled)
            try engine.put(bytes("c"), bytes("3"), in: synced, durability: .buffered)
            try engine.merge(bytes("n"), Int64AddOperator.encode(5), in: counters, durability: .buffered)
            try engine.delete(bytes("a"), in: journaled, durability: .buffered)
            try engine.dropKeySpace(dropped)
            try engine.syncJournal()
        }
        let reopened = try open(configuration)
        let names = try reopened.keySpaceNames
        #expect(names.contains("journaled") && names.contains("synced") && names.contains("counter.total"))
        #expect(!names.contains("dropped"))
        let journaled = try #require(try reopened.existingKeySpace(named: "journaled"))
        let synced = try #require(try reopened.existingKeySpace(named: "synced"))
        let counters = try #require(try reopened.existingKeySpace(named: "counter.total"))
        #expect(keyStrings(try reopened.entries(.all, in: journaled)) == ["b"])
        #expect(try reopened.get(bytes("c"), in: synced) == bytes("3"))
        #expect(Int64AddOperator.decode(try reopened.get(bytes("n"), in: counters)) == 9)
    }
}
