// RocksDBStore: the RocksDB implementation of StorageEngine, the Storage layer's default
// engine. Owns opening (column family discovery, per-key-space options), the key space
// table, writes with durability, flush/compaction and size reporting.
internal import CRocksDB
internal import Synchronization

/// An embedded RocksDB database exposed as a `StorageEngine`.
///
/// Safe to share across threads. The database closes when the store and everything made
/// from it (key spaces, snapshots, cursors, pinned values, batches) have been released.
public final class RocksDBStore: StorageEngine, StorageMaintenance, StorageFigures, StorageCheckpoints {
    /// The database directory.
    public let path: String
    /// The options the store was opened with.
    public let options: StorageOptions
    /// The database directory (`StorageEngine`'s name for `path`).
    public var location: String { path }
    let database: NativeDatabase
    private let keySpaceTable: Mutex<KeySpaceTable>
    /// The key space named `"default"`, which always exists.
    public let defaultKeySpace: ColumnFamily

    /// Open key spaces by name, plus the options new key spaces are derived from.
    private struct KeySpaceTable {
        var byName: [String: ColumnFamily]
        let baseOptions: NativeOptions
    }

    /// Opens (or, with `createIfMissing`, creates) the database at `path`, opening every
    /// column family it already has.
    public init(path: String, options: StorageOptions = StorageOptions()) throws(StorageError) {
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw StorageError(.open, path: path, status: "database path must be non-empty and contain no NUL bytes",
                               code: .invalidArgument)
        }
        let baseOptions = try NativeOptions.make(from: options, path: path)
        let callOptions = try DatabaseOptions(path: path)
        let names = try RocksDBStore.existingColumnFamilies(at: path, options: baseOptions,
                                                            createIfMissing: options.createIfMissing)
        var perFamily: [NativeOptions] = []
        // RocksDB's full-disk reserve is the largest memtable size the store opens with
        // (StorageOptions.diskReserveBytes): open with memtables of the reserve's size, then
        // give them their real size below.
        let memtableBytes = options.writeBufferBytes.flatMap { $0 > 0 ? $0 : nil } ?? StorageOptions.defaultWriteBufferBytes
        let reserveBytes = max(options.diskReserveBytes, 1)
        for name in names {
            let familyOptions = try baseOptions.forKeySpace(named: name, path: path)
            if reserveBytes != memtableBytes { rocksdb_options_set_write_buffer_size(familyOptions.pointer, reserveBytes) }
            perFamily.append(familyOptions)
        }
        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        // All names NUL-terminated in one buffer, so one closure can hand RocksDB a pointer
        // array however many column families there are.
        var nameBytes: [CChar] = []
        var nameOffsets: [Int] = []
        for name in names {
            nameOffsets.append(nameBytes.count)
            nameBytes.append(contentsOf: name.utf8CString)
        }
        let optionPointers: [OpaquePointer?] = perFamily.map(\.pointer)
        // `perFamily` owns the option objects behind `optionPointers`: keep it alive
        // until RocksDB has copied them.
        let pointer: OpaquePointer? = try withExtendedLifetime(perFamily) { () throws(StorageError) -> OpaquePointer? in
            try StorageError.check(.open, path: path) { error in
                nameBytes.withUnsafeBufferPointer { nameBuffer in
                    let namePointers: [UnsafePointer<CChar>?] = nameOffsets.map { offset in
                        nameBuffer.baseAddress.map { $0 + offset }
                    }
                    return namePointers.withUnsafeBufferPointer { namePointerBuffer in
                        optionPointers.withUnsafeBufferPointer { optionBuffer in
                            handles.withUnsafeMutableBufferPointer { handleBuffer in
                                rocksdb_open_column_families(baseOptions.pointer, path, Int32(names.count),
                                                             namePointerBuffer.baseAddress, optionBuffer.baseAddress,
                                                             handleBuffer.baseAddress, error)
                            }
                        }
                    }
                }
            }
        }
        guard let pointer else {
            throw StorageError(.open, path: path, status: "rocksdb_open_column_families returned no database", code: .unknown)
        }
        let database = NativeDatabase(taking: pointer, path: path, options: callOptions)
        var byName: [String: ColumnFamily] = [:]
        for (name, handle) in zip(names, handles) {
            if let handle {
                byName[name] = ColumnFamily(name: name, handle: handle, database: database)
            }
        }
        guard byName.count == names.count, let defaultKeySpace = byName["default"] else {
            throw StorageError(.open, path: path, status: "RocksDB did not return a handle for every column family",
                               code: .unknown)
        }
        if reserveBytes != memtableBytes {
            for family in byName.values {
                try Self.setWriteBufferSize(memtableBytes, of: family, in: database, path: path)
            }
        }
        self.path = path
        self.options = options
        self.database = database
        self.defaultKeySpace = defaultKeySpace
        self.keySpaceTable = Mutex(KeySpaceTable(byName: byName, baseOptions: baseOptions))
    }

    /// Sets the memtable size of one open key space (RocksDB's `SetOptions`).
    private static func setWriteBufferSize(_ bytes: Int, of family: ColumnFamily, in database: NativeDatabase,
                                           path: String) throws(StorageError) {
        let key = "write_buffer_size", value = String(bytes)
        try StorageError.check(.open, path: path) { error in
            key.withCString { keyPointer in
                value.withCString { valuePointer in
                    let keys: [UnsafePointer<CChar>?] = [keyPointer]
                    let values: [UnsafePointer<CChar>?] = [valuePointer]
                    rocksdb_set_options_cf(database.pointer, family.handle, 1, keys, values, error)
                }
            }
        }
    }

    /// The column families recorded in the database at `path`; just `default` for a
    /// database that does not exist yet and may be created.
    private static func existingColumnFamilies(
        at path: String, options: NativeOptions, createIfMissing: Bool
    ) throws(StorageError) -> [String] {
        do throws(StorageError) {
            var count = 0
            let list = try StorageError.check(.open, path: path, { error in
                rocksdb_list_column_families(options.pointer, path, &count, error)
            }, releasingOnError: { list in
                // Allocated (empty) even on failure.
                if let list { rocksdb_list_column_families_destroy(list, count) }
            })
            guard let list else { return ["default"] }
            defer { rocksdb_list_column_families_destroy(list, count) }
            var names: [String] = []
            for index in 0 ..< count {
                if let name = list[index] { names.append(String(cString: name)) }
            }
            if !names.contains("default") { names.insert("default", at: 0) }
            return names
        } catch {
            // No CURRENT file: either a new database (let open create it) or a bad path
            // (let open report it, with RocksDB's own message).
            if createIfMissing, error.code == .ioError || error.code == .notFound { return ["default"] }
            throw error
        }
    }

    /// Deletes the database at `path` and all its files. The database must not be open.
    public static func destroy(at path: String) throws(StorageError) {
        guard let options = rocksdb_options_create() else {
            throw StorageError(.destroy, path: path, status: "rocksdb_options_create failed", code: .unknown)
        }
        defer { rocksdb_options_destroy(options) }
        try StorageError.check(.destroy, path: path) { error in
            rocksdb_destroy_db(options, path, error)
        }
    }

    // MARK: Key spaces

    /// The names of all open key spaces, sorted.
    public var keySpaceNames: [String] {
        keySpaceTable.withLock { $0.byName.keys.sorted() }
    }

    /// The key space called `name`, or `nil` if it does not exist.
    public func existingKeySpace(named name: String) -> ColumnFamily? {
        keySpaceTable.withLock { $0.byName[name] }
    }

    /// The key space called `name`, creating the column family (with its configured merge
    /// operator, if any) if it does not exist.
    public func keySpace(named name: String) throws(StorageError) -> ColumnFamily {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw StorageError(.createKeySpace, path: path, status: "key space names must be non-empty and contain no NUL bytes",
                               code: .invalidArgument)
        }
        let path = self.path
        let database = self.database
        return try keySpaceTable.withLock { table throws(StorageError) -> ColumnFamily in
            if let existing = table.byName[name] { return existing }
            let familyOptions = try table.baseOptions.forKeySpace(named: name, path: path)
            let handle = try StorageError.check(.createKeySpace, path: path, { error in
                rocksdb_create_column_family(database.pointer, familyOptions.pointer, name, error)
            }, releasingOnError: { handle in
                // RocksDB allocates the handle wrapper even when creation fails.
                if let handle { rocksdb_column_family_handle_destroy(handle) }
            })
            guard let handle else {
                throw StorageError(.createKeySpace, path: path, status: "rocksdb_create_column_family returned no handle",
                                   code: .unknown)
            }
            let keySpace = ColumnFamily(name: name, handle: handle, database: database)
            table.byName[name] = keySpace
            return keySpace
        }
    }

    /// Drops `keySpace` and all its data. Its SST files are deleted once every reference to
    /// the `ColumnFamily` object is released (RocksDB deletes a dropped column family's files
    /// when its last handle is destroyed). The default key space cannot be dropped.
    public func dropKeySpace(_ keySpace: any KeySpace) throws(StorageError) {
        let keySpace = try database.columnFamily(keySpace, for: .dropKeySpace)
        guard keySpace !== defaultKeySpace else {
            throw StorageError(.dropKeySpace, path: path, status: "the default key space cannot be dropped",
                               code: .invalidArgument)
        }
        let path = self.path
        let database = self.database
        try keySpaceTable.withLock { table throws(StorageError) in
            try StorageError.check(.dropKeySpace, path: path) { error in
                rocksdb_drop_column_family(database.pointer, keySpace.handle, error)
            }
            keySpace.markDropped()
            table.byName[keySpace.name] = nil
        }
    }

    // MARK: Reads

    /// The value of `key` in `keySpace`, copied once out of RocksDB; `nil` if absent.
    public func get(_ key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> [UInt8]? {
        try database.get(key, in: keySpace, readOptions: database.readOptions)
    }

    /// Calls `body` with the value of `key` in `keySpace` pinned in RocksDB's memory (not
    /// copied), or with `nil` if absent.
    public func withValue<Result>(
        forKey key: [UInt8], in keySpace: any KeySpace, _ body: (UnsafeRawBufferPointer?) -> Result
    ) throws(StorageError) -> Result {
        try database.withValue(forKey: key, in: keySpace, readOptions: database.readOptions, body)
    }

    /// The value of `key` in `keySpace` without copying it, or `nil` if absent.
    public func pinnedValue(forKey key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> PinnedValue? {
        guard let slice = try database.pinnedSlice(key, in: keySpace, readOptions: database.readOptions) else {
            return nil
        }
        return PinnedValue(slice: slice, keySpace: keySpace)
    }

    /// An unpositioned cursor over `range` in `keySpace`, reading the latest state.
    public func makeCursor(over range: KeyRange, in keySpace: any KeySpace) throws(StorageError) -> StoreIterator {
        try StoreIterator(keySpace: database.columnFamily(keySpace, for: .iterate), range: range, snapshot: nil)
    }

    /// A consistent view of every key space as of now.
    public func makeSnapshot() throws(StorageError) -> Snapshot {
        try Snapshot(database: database)
    }

    // MARK: Writes

    /// Sets `key` to `value` in `keySpace`.
    public func put(_ key: [UInt8], _ value: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError) {
        let keySpace = try database.columnFamily(keySpace, for: .put)
        try StorageError.check(.put, path: path) { error in
            CBytes.with(key) { keyBytes, keyCount in
                CBytes.with(value) { valueBytes, valueCount in
                    rocksdb_put_cf(database.pointer, database.writeOptions(durability), keySpace.handle,
                                   keyBytes, keyCount, valueBytes, valueCount, error)
                }
            }
        }
    }

    /// Removes `key` from `keySpace`.
    public func delete(_ key: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError) {
        let keySpace = try database.columnFamily(keySpace, for: .delete)
        try StorageError.check(.delete, path: path) { error in
            CBytes.with(key) { bytes, count in
                rocksdb_delete_cf(database.pointer, database.writeOptions(durability), keySpace.handle, bytes, count, error)
            }
        }
    }

    /// Adds a merge operand for `key` in `keySpace`, which needs a configured `MergeOperator`.
    public func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError) {
        let keySpace = try database.columnFamily(keySpace, for: .merge)
        try StorageError.check(.merge, path: path) { error in
            CBytes.with(key) { keyBytes, keyCount in
                CBytes.with(operand) { operandBytes, operandCount in
                    rocksdb_merge_cf(database.pointer, database.writeOptions(durability), keySpace.handle,
                                     keyBytes, keyCount, operandBytes, operandCount, error)
                }
            }
        }
    }

    /// A new, empty write batch for this store.
    public func makeWriteBatch() throws(StorageError) -> WriteBatch {
        try WriteBatch(database: database)
    }

    /// Applies every write in `batch` atomically: all of them become visible together, or
    /// none do. The batch is left unchanged (call `clear()` to reuse it).
    public func write(_ batch: any KeyValueWriteBatch, durability: Durability) throws(StorageError) {
        guard let batch = batch as? WriteBatch else {
            throw StorageError(.write, path: path, status: "write batch was not made by a RocksDB store", code: .invalidArgument)
        }
        try batch.validate(for: database)
        try StorageError.check(.write, path: path) { error in
            rocksdb_write(database.pointer, database.writeOptions(durability), batch.batch, error)
        }
    }

    // MARK: Durability and maintenance

    /// Writes buffered WAL data to the OS and, with `sync`, fsyncs it. Lets group commit
    /// make many `.buffered` writes durable with one fsync.
    public func flushWAL(sync: Bool) throws(StorageError) {
        try StorageError.check(.flushWAL, path: path) { error in
            rocksdb_flush_wal(database.pointer, sync ? 1 : 0, error)
        }
    }

    /// Fsyncs the WAL: every `.buffered` write so far becomes durable.
    ///
    /// Done as a synced write of an empty batch (RocksDB appends a 19-byte record and
    /// fdatasyncs every live WAL file), not `rocksdb_flush_wal`: a write goes through RocksDB's
    /// write thread, which refuses it while a background error is set (after a failed WAL
    /// append, until RocksDB has recovered onto a new WAL), whereas `FlushWAL(sync)` would sync
    /// the WAL writer that failed — an assertion failure (abort) in Debian's RocksDB 7.8 build.
    public func syncJournal() throws(StorageError) {
        try write(try makeWriteBatch(), durability: .journaled)
    }

    /// Flushes the memtable of `keySpace` (every key space when `nil`) to SST files and waits.
    public func flush(_ keySpace: (any KeySpace)?) throws(StorageError) {
        let families: [ColumnFamily]
        if let keySpace {
            families = [try database.columnFamily(keySpace, for: .flush)]
        } else {
            families = keySpaceTable.withLock { Array($0.byName.values) }
        }
        guard let flushOptions = rocksdb_flushoptions_create() else {
            throw StorageError(.flush, path: path, status: "rocksdb_flushoptions_create failed", code: .unknown)
        }
        defer { rocksdb_flushoptions_destroy(flushOptions) }
        rocksdb_flushoptions_set_wait(flushOptions, 1)
        for family in families {
            try StorageError.check(.flush, path: path) { error in
                rocksdb_flush_cf(database.pointer, flushOptions, family.handle, error)
            }
        }
    }

    /// Compacts `range` of `keySpace` down to the bottom level and waits: folds merge
    /// operands, drops deleted data, and lets RocksDB delete obsolete files.
    public func compactRange(_ range: KeyRange, in keySpace: any KeySpace) throws(StorageError) {
        let keySpace = try database.columnFamily(keySpace, for: .compact)
        guard let compactOptions = rocksdb_compactoptions_create() else {
            throw StorageError(.compact, path: path, status: "rocksdb_compactoptions_create failed", code: .unknown)
        }
        defer { rocksdb_compactoptions_destroy(compactOptions) }
        // BottommostLevelCompaction::kForceOptimized: rewrite the bottom level too, so
        // operands and tombstones there are folded, without recompacting fresh output.
        rocksdb_compactoptions_set_bottommost_level_compaction(compactOptions, 3)
        let lower = OwnedBytes(copying: range.lowerBound)
        let upper = OwnedBytes(copying: range.upperBound)
        lower.withCPointer { lowerPointer, lowerCount in
            upper.withCPointer { upperPointer, upperCount in
                rocksdb_compact_range_cf_opt(database.pointer, keySpace.handle, compactOptions,
                                             lowerPointer, lowerCount, upperPointer, upperCount)
            }
        }
    }

    /// A RocksDB property (for example `"rocksdb.stats"`) of `keySpace`, or of the
    /// default key space when `nil`; `nil` if RocksDB does not know it.
    public func property(_ name: String, of keySpace: (any KeySpace)? = nil) -> String? {
        guard let family = try? database.columnFamily(keySpace ?? defaultKeySpace, for: .get),
              let value = rocksdb_property_value_cf(database.pointer, family.handle, name) else { return nil }
        defer { rocksdb_free(value) }
        return String(cString: value)
    }

    /// An integer RocksDB property (for example `"rocksdb.estimate-num-keys"`), or `nil`.
    public func integerProperty(_ name: String, of keySpace: (any KeySpace)? = nil) -> UInt64? {
        guard let family = try? database.columnFamily(keySpace ?? defaultKeySpace, for: .get) else { return nil }
        var value: UInt64 = 0
        return rocksdb_property_int_cf(database.pointer, family.handle, name, &value) == 0 ? value : nil
    }

    /// Bytes of SST files of `keySpace`: `live` counts only files of the current version
    /// (`rocksdb.live-sst-files-size`), otherwise every file not yet deleted, including
    /// ones kept by snapshots or iterators (`rocksdb.total-sst-files-size`).
    public func sstFilesSize(of keySpace: (any KeySpace)? = nil, live: Bool = false) -> UInt64 {
        integerProperty(live ? "rocksdb.live-sst-files-size" : "rocksdb.total-sst-files-size", of: keySpace) ?? 0
    }

    /// Bytes of the SST files of `keySpace` (`sstFilesSize(of:live:)`).
    public func sizeOnDisk(of keySpace: any KeySpace, live: Bool) -> UInt64 {
        sstFilesSize(of: keySpace, live: live)
    }

    /// Bytes of every regular file under the database directory (SSTs, WAL, MANIFEST, logs).
    public func diskUsage() throws(StorageError) -> UInt64 {
        try DirectorySize.bytes(under: path)
    }

    /// RocksDB's statistics, or `nil` unless the store was opened with
    /// `StorageOptions.collectsStatistics`.
    public func statistics() -> StorageStatistics? {
        keySpaceTable.withLock { $0.baseOptions.statisticsText() }.map(StorageStatistics.init(parsing:))
    }

    /// The sequence number of the most recent write.
    public var latestSequenceNumber: UInt64 {
        rocksdb_get_latest_sequence_number(database.pointer)
    }
}
