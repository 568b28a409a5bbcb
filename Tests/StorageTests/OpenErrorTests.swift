// Opening with bad inputs: every case gives a typed StorageError that names the path and
// keeps RocksDB's status text, never a crash.
import Foundation
import Testing
@testable import Storage

@Suite("Open errors")
struct OpenErrorTests {
    @Test func openingARegularFileAsADatabaseFailsNamingThePath() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/not-a-database"
            #expect(FileManager.default.createFile(atPath: file, contents: Array("hello".utf8).withUnsafeBytes { Data($0) }))
            let error = #expect(throws: StorageError.self) { try RocksDBStore(path: file) }
            #expect(error?.operation == .open)
            #expect(error?.path == file)
            #expect(error?.code == .ioError)
            #expect(error?.description.contains(file) == true)
            #expect(error?.status.isEmpty == false)
        }
    }

    @Test func openingAMissingDirectoryWithoutCreateFails() throws {
        try withTemporaryDirectory { directory in
            var options = StorageOptions()
            options.createIfMissing = false
            let missing = directory + "/missing"
            let error = #expect(throws: StorageError.self) { try RocksDBStore(path: missing, options: options) }
            #expect(error?.path == missing)
            #expect(error?.code == .ioError || error?.code == .invalidArgument)
            #expect(error?.description.contains(missing) == true)
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
    }

    @Test func errorIfExistsRejectsAnExistingDatabase() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do { _ = try RocksDBStore(path: path) }
            var options = StorageOptions()
            options.errorIfExists = true
            let error = #expect(throws: StorageError.self) { try RocksDBStore(path: path, options: options) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.path == path)
        }
    }

    @Test func openingBeneathARegularFileFails() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/file"
            #expect(FileManager.default.createFile(atPath: file, contents: Data()))
            let error = #expect(throws: StorageError.self) { try RocksDBStore(path: file + "/db") }
            #expect(error?.code == .ioError)
        }
    }

    @Test(.enabled(if: getuid() != 0, "root ignores directory permissions"))
    func openingAnUnwritableDirectoryFails() throws {
        try withTemporaryDirectory { directory in
            let locked = directory + "/locked"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o500])
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked) }
            let error = #expect(throws: StorageError.self) { try RocksDBStore(path: locked + "/db") }
            #expect(error?.code == .ioError)
        }
    }

    @Test func openingAnOpenDatabaseAgainFailsOnItsLock() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let first = try RocksDBStore(path: path)
            let error = #expect(throws: StorageError.self) { try RocksDBStore(path: path) }
            #expect(error?.code == .ioError || error?.code == .busy)
            try first.put(bytes("still"), bytes("works"), in: first.defaultKeySpace, durability: .buffered)
        }
    }

    @Test func emptyOrNULContainingPathsAreInvalidArguments() {
        let empty = #expect(throws: StorageError.self) { try RocksDBStore(path: "") }
        #expect(empty?.code == .invalidArgument)
        let nul = #expect(throws: StorageError.self) { try RocksDBStore(path: "/tmp/a\u{0}b") }
        #expect(nul?.code == .invalidArgument)
        #expect(throws: StorageError.self) { try BackupEngine(directory: "") }
    }

    @Test func statusStringsAreClassifiedByRocksDBsPrefixes() {
        #expect(StorageError.classify("IO error: No such file or directory") == .ioError)
        #expect(StorageError.classify("Invalid argument: x: exists (error_if_exists is true)") == .invalidArgument)
        #expect(StorageError.classify("Corruption: Error: Could not perform merge.") == .corruption)
        #expect(StorageError.classify("NotFound: ") == .notFound)
        #expect(StorageError.classify("something else") == .unknown)
    }
}
