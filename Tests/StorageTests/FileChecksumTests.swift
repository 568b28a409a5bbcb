// File checksum verification (validate's `full: true` on RocksDB): every live SST file is read
// back and checked; a flipped byte in one is reported by name while the store stays open and
// usable; an interrupt stops the walk between files.
import Foundation
import Testing
@testable import Storage

@Suite("File checksums")
struct FileChecksumTests {
    /// A store with `files` flushed SST files of incompressible values in two key spaces.
    private func flushedStore(at path: String, files: Int) throws -> RocksDBStore {
        let store = try RocksDBStore(path: path)
        let other = try store.keySpace(named: "other")
        var noise = NoiseGenerator(seed: 7)
        for file in 0 ..< files {
            for index in 0 ..< 200 {
                try store.put(bytes("k\(file)-\(index)"), noise.bytes(count: 300), in: store.defaultKeySpace, durability: .buffered)
                try store.put(bytes("o\(file)-\(index)"), noise.bytes(count: 300), in: other, durability: .buffered)
            }
            try store.flush()
        }
        return store
    }

    private func sstFiles(in path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".sst") }.sorted()
    }

    @Test func everyLiveFileIsReadAndAHealthyStorePasses() throws {
        try withTemporaryDirectory { directory in
            let store = try flushedStore(at: directory, files: 3)
            let report = try store.verifyFileChecksums { false }
            #expect(report.failures.isEmpty)
            #expect(report.filesChecked == (try sstFiles(in: directory)).count)
            #expect(report.filesChecked >= 2)
            #expect(report.bytesChecked > 200 * 300)
        }
    }

    @Test func aFlippedByteInOneFileIsReportedByNameAndTheStoreStaysUsable() throws {
        try withTemporaryDirectory { directory in
            let store = try flushedStore(at: directory, files: 2)
            let victim = try #require(try sstFiles(in: directory).first)
            let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/" + victim))
            try handle.seek(toOffset: 1_000)
            let original = try #require(try handle.read(upToCount: 1)).first ?? 0
            try handle.seek(toOffset: 1_000)
            try handle.write(contentsOf: [original ^ 0xFF])
            try handle.close()

            let report = try store.verifyFileChecksums { false }
            #expect(report.failures.count == 1)
            #expect(report.failures.first?.file.hasSuffix(victim) == true)
            #expect(report.failures.first?.message.lowercased().contains("checksum") == true)
            #expect(report.filesChecked == (try sstFiles(in: directory)).count)
            // The store is still open and writes go on.
            try store.put(bytes("after"), bytes("check"), in: store.defaultKeySpace, durability: .buffered)
            #expect(try store.get(bytes("after"), in: store.defaultKeySpace) == bytes("check"))
        }
    }

    @Test func anInterruptStopsBetweenFilesAndFileDeletionsResume() throws {
        try withTemporaryDirectory { directory in
            let store = try flushedStore(at: directory, files: 3)
            var asked = 0
            let stopped = #expect(throws: StorageError.self) {
                _ = try store.verifyFileChecksums {
                    asked += 1
                    return asked > 1
                }
            }
            #expect(stopped?.code == .aborted)
            #expect(stopped?.operation == .verifyChecksums)
            // File deletions were enabled again: a full compaction removes the old files.
            let before = Set(try sstFiles(in: directory))
            try store.compactRange(in: store.defaultKeySpace)
            #expect(!before.isSubset(of: Set(try sstFiles(in: directory))))
        }
    }
}
