// Cursors and scans: forward and reverse order within bounds, seeks, prefix ranges,
// unsigned byte order, early stop, limits, and harmless misuse of an invalid cursor.
import Testing
@testable import Storage

@Suite("Cursors and scans")
struct CursorTests {
    /// A store whose default key space holds "a" ... "j", each mapped to its uppercase.
    private func withLetters(_ body: (RocksDBStore) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            for letter in "abcdefghij" {
                try store.put(bytes(String(letter)), bytes(letter.uppercased()), in: store.defaultKeySpace, durability: .buffered)
            }
            try body(store)
        }
    }

    @Test func forwardScanVisitsKeysInsideBoundsInOrder() throws {
        try withLetters { store in
            let range = KeyRange(lowerBound: bytes("c"), upperBound: bytes("g"))
            #expect(keyStrings(try store.entries(range, in: store.defaultKeySpace)) == ["c", "d", "e", "f"])
            var seen: [String] = []
            try store.scan(range, in: store.defaultKeySpace) { key, value in
                seen.append(String(decoding: key, as: UTF8.self) + String(decoding: value, as: UTF8.self))
                return .continue
            }
            #expect(seen == ["cC", "dD", "eE", "fF"])
        }
    }

    @Test func reverseScanVisitsKeysInsideBoundsBackwards() throws {
        try withLetters { store in
            let range = KeyRange(lowerBound: bytes("c"), upperBound: bytes("g"))
            let entries = try store.entries(range, in: store.defaultKeySpace, direction: .reverse)
            #expect(keyStrings(entries) == ["f", "e", "d", "c"])
            let openBelow = try store.entries(KeyRange(upperBound: bytes("c")), in: store.defaultKeySpace, direction: .reverse)
            #expect(keyStrings(openBelow) == ["b", "a"])
        }
    }

    @Test func seekFindsFirstKeyAtOrAfterAndSeekAtOrBeforeFindsLastKeyAtOrBefore() throws {
        try withLetters { store in
            let cursor = try store.makeCursor(over: KeyRange(lowerBound: bytes("b"), upperBound: bytes("h")),
                                              in: store.defaultKeySpace)
            #expect(!cursor.isValid)
            cursor.seek(to: bytes("d5"))
            #expect(cursor.key == bytes("e"))
            cursor.seek(atOrBefore: bytes("d5"))
            #expect(cursor.key == bytes("d"))
            cursor.seek(to: bytes("a"))  // below the lower bound: clamps to it
            #expect(cursor.key == bytes("b"))
            cursor.seek(to: bytes("z"))  // past the upper bound: nothing
            #expect(!cursor.isValid)
            cursor.seekToLast()
            #expect(cursor.key == bytes("g"))
            cursor.previous()
            #expect(cursor.key == bytes("f"))
            let pair = cursor.withCurrent { key, value in (Array(key), Array(value)) }
            #expect(pair?.0 == bytes("f"))
            #expect(pair?.1 == bytes("F"))
            try cursor.checkStatus()
        }
    }

    @Test func movingAnInvalidCursorDoesNothing() throws {
        try withLetters { store in
            let cursor = try store.makeCursor(over: KeyRange(lowerBound: bytes("x")), in: store.defaultKeySpace)
            cursor.seekToFirst()
            #expect(!cursor.isValid)
            cursor.next()
            cursor.previous()
            #expect(cursor.key == nil)
            #expect(cursor.value == nil)
            #expect(cursor.withCurrent { _, _ in 1 } == nil)
            try cursor.checkStatus()
        }
    }

    @Test func scanStopsWhenTheCallbackSaysStopAndLimitCapsEntries() throws {
        try withLetters { store in
            var visited = 0
            try store.scan(.all, in: store.defaultKeySpace, direction: .reverse) { _, _ in
                visited += 1
                return visited == 3 ? .stop : .continue
            }
            #expect(visited == 3)
            #expect(keyStrings(try store.entries(.all, in: store.defaultKeySpace, limit: 2)) == ["a", "b"])
            #expect(try store.entries(.all, in: store.defaultKeySpace, limit: 0).isEmpty)
        }
    }

    @Test func scanPropagatesTheCallbacksOwnError() throws {
        struct Abort: Error {}
        try withLetters { store in
            #expect(throws: Abort.self) {
                try store.scan(.all, in: store.defaultKeySpace) { _, _ in throw Abort() }
            }
        }
    }

    @Test func prefixRangesAndByteOrderAreUnsigned() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let keys: [[UInt8]] = [[0x01], [0x01, 0x00], [0x01, 0x7F], [0x01, 0x80], [0x01, 0xFF], [0x01, 0xFF, 0xFF], [0x02], [0x7F], [0x80], [0xFF]]
            for key in keys.reversed() {
                try store.put(key, [], in: store.defaultKeySpace, durability: .buffered)
            }
            #expect(try store.entries(.all, in: store.defaultKeySpace).map(\.key) == keys)
            let prefixed = try store.entries(.prefix([0x01]), in: store.defaultKeySpace).map(\.key)
            #expect(prefixed == Array(keys[0 ..< 6]))
            #expect(KeyRange.prefix([0x01, 0xFF]).upperBound == [0x02])
            #expect(KeyRange.prefix([0xFF, 0xFF]).upperBound == nil)
            let top = try store.entries(.prefix([0xFF]), in: store.defaultKeySpace).map(\.key)
            #expect(top == [[0xFF]])
            #expect(KeyRange(lowerBound: [0x01], upperBound: [0x02]).contains([0x01, 0xFF]))
            #expect(!KeyRange(lowerBound: [0x01], upperBound: [0x02]).contains([0x02]))
        }
    }

    @Test func cursorOutlivesTheStoreReferenceThatMadeIt() throws {
        try withTemporaryDirectory { directory in
            var store: RocksDBStore? = try RocksDBStore(path: directory + "/db")
            try store?.put(bytes("k"), bytes("v"), in: try #require(store).defaultKeySpace, durability: .buffered)
            let cursor = try #require(store).makeCursor(over: .all, in: try #require(store).defaultKeySpace)
            store = nil  // the cursor keeps the database open
            cursor.seekToFirst()
            #expect(cursor.value == bytes("v"))
        }
    }
}
