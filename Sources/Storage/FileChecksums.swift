// FileChecksums: `validate`'s `full: true` for RocksDB — every live SST file read back from
// disk on its own (not through the block cache) and each block's checksum checked, through
// CRocksDBExtras' SstFileReader call. Owns the pinning of the file list: file deletions are
// disabled while the files are read, so compactions cannot delete a listed file mid-read.
internal import CRocksDB
internal import CRocksDBExtras

#if canImport(Glibc)
import Glibc
#endif

extension RocksDBStore: StorageFileVerification {
    public func verifyFileChecksums(isInterrupted: () -> Bool) throws(StorageError) -> FileChecksumReport {
        let files = try liveFiles()
        try StorageError.check(.verifyChecksums, path: path) { error in rocksdb_disable_file_deletions(database.pointer, error) }
        defer {
            // force = 0: undoes this call's disable only (a backup may hold its own).
            try? StorageError.check(.verifyChecksums, path: path) { error in rocksdb_enable_file_deletions(database.pointer, 0, error) }
        }
        var report = FileChecksumReport()
        for file in files {
            if isInterrupted() {
                throw StorageError(.verifyChecksums, path: path, status: "checksum verification interrupted after \(report.filesChecked) files",
                                   code: .aborted)
            }
            let fullPath = path + (file.name.hasPrefix("/") ? "" : "/") + file.name
            var missing: Int32 = 0
            if let message = tessera_sst_file_verify_checksum(fullPath, &missing) {
                let text = String(cString: message)
                free(message)
                if missing != 0 { continue }
                report.failures.append(FileChecksumReport.Failure(file: file.name, message: text))
            }
            report.filesChecked += 1
            report.bytesChecked &+= file.size
        }
        return report
    }

    /// The names (relative to the database directory) and sizes of the live SST files.
    private func liveFiles() throws(StorageError) -> [(name: String, size: UInt64)] {
        guard let list = rocksdb_livefiles(database.pointer) else {
            throw StorageError(.verifyChecksums, path: path, status: "rocksdb_livefiles returned NULL", code: .unknown)
        }
        defer { rocksdb_livefiles_destroy(list) }
        let count = rocksdb_livefiles_count(list)
        var files: [(name: String, size: UInt64)] = []
        files.reserveCapacity(Int(max(count, 0)))
        for index in 0 ..< max(count, 0) {
            guard let name = rocksdb_livefiles_name(list, index) else { continue }
            files.append((name: String(cString: name), size: UInt64(rocksdb_livefiles_size(list, index))))
        }
        return files
    }
}
