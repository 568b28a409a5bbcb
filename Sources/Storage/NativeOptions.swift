// NativeOptions: one owned `rocksdb_options_t`, built from `StorageOptions`.
// Owns the options object (destroyed once in deinit) and wires in the block-based table
// factory, bloom filter, block cache, compression levels and merge operators.
internal import CRocksDB

/// A uniquely owned `rocksdb_options_t`.
///
/// Not `Sendable`: RocksDB option objects are mutable and unsynchronised. The store keeps
/// its base options inside a `Mutex`.
final class NativeOptions {
    let pointer: OpaquePointer
    /// The configuration, for the merge settings to install when deriving key space options.
    private let configuration: StorageOptions

    private init(pointer: OpaquePointer, configuration: StorageOptions) {
        self.pointer = pointer
        self.configuration = configuration
    }

    deinit {
        rocksdb_options_destroy(pointer)
    }

    /// Database-wide options and the defaults every key space inherits.
    static func make(from configuration: StorageOptions, path: String) throws(StorageError) -> NativeOptions {
        guard let pointer = rocksdb_options_create() else {
            throw StorageError(.open, path: path, status: "rocksdb_options_create failed", code: .unknown)
        }
        let options = NativeOptions(pointer: pointer, configuration: configuration)
        rocksdb_options_set_create_if_missing(pointer, configuration.createIfMissing ? 1 : 0)
        rocksdb_options_set_error_if_exists(pointer, configuration.errorIfExists ? 1 : 0)
        rocksdb_options_set_create_missing_column_families(pointer, 0)
        rocksdb_options_set_max_open_files(pointer, Int32(clamping: configuration.maxOpenFiles))
        rocksdb_options_set_keep_log_file_num(pointer, max(configuration.keepLogFiles, 1))
        if configuration.disablesAutoCompactions { rocksdb_options_set_disable_auto_compactions(pointer, 1) }
        rocksdb_options_set_info_log_level(pointer, configuration.infoLogLevel.rawValue)
        if let bytes = configuration.writeBufferBytes, bytes > 0 {
            rocksdb_options_set_write_buffer_size(pointer, bytes)
        }
        if configuration.totalWriteBufferBytes > 0 {
            rocksdb_options_set_db_write_buffer_size(pointer, configuration.totalWriteBufferBytes)
        }
        if configuration.maximumWALBytes > 0 {
            rocksdb_options_set_max_total_wal_size(pointer, UInt64(configuration.maximumWALBytes))
        }
        if let jobs = configuration.backgroundJobs, jobs > 0 {
            rocksdb_options_set_max_background_jobs(pointer, Int32(clamping: jobs))
        }
        if configuration.collectsStatistics {
            // The statistics object is shared (a shared_ptr) by this options object and the
            // database, so `statisticsText()` on the base options reads the live counters.
            rocksdb_options_enable_statistics(pointer)
        }
        options.applyCompression(configuration.effectiveCompressionPerLevel)
        try options.applyTableOptions(configuration, path: path)
        return options
    }

    /// A copy for the key space `name`, with its merge operator installed and its memtable
    /// key filter set if either is configured.
    func forKeySpace(named name: String, path: String) throws(StorageError) -> NativeOptions {
        guard let copy = rocksdb_options_create_copy(pointer) else {
            throw StorageError(.open, path: path, status: "rocksdb_options_create_copy failed", code: .unknown)
        }
        let options = NativeOptions(pointer: copy, configuration: configuration)
        if let mergeOperator = configuration.mergeOperator(forKeySpace: name) {
            guard let native = MergeOperatorBridge.make(mergeOperator) else {
                throw StorageError(.open, path: path, status: "could not create merge operator \(mergeOperator.name)", code: .unknown)
            }
            // The options object takes ownership (a shared_ptr) of the merge operator.
            rocksdb_options_set_merge_operator(copy, native)
            if let limit = configuration.maxSuccessiveMerges ?? mergeOperator.successiveMergeLimit, limit > 0 {
                rocksdb_options_set_max_successive_merges(copy, limit)
            }
        }
        let filterRatio = configuration.memtableKeyFilterRatio(forKeySpace: name)
        if filterRatio > 0 {
            rocksdb_options_set_memtable_prefix_bloom_size_ratio(copy, filterRatio)
            rocksdb_options_set_memtable_whole_key_filtering(copy, 1)
        }
        return options
    }

    /// RocksDB's statistics dump (`nil` unless statistics are enabled).
    func statisticsText() -> String? {
        guard let text = rocksdb_options_statistics_get_string(pointer) else { return nil }
        defer { rocksdb_free(text) }
        return String(cString: text)
    }

    private func applyCompression(_ levels: [Compression]) {
        guard let bottom = levels.last else { return }
        let values = levels.map(\.rocksDBValue)
        values.withUnsafeBufferPointer { buffer in
            rocksdb_options_set_compression_per_level(pointer, buffer.baseAddress, buffer.count)
        }
        rocksdb_options_set_compression(pointer, levels[0].rocksDBValue)
        rocksdb_options_set_bottommost_compression(pointer, bottom.rocksDBValue)
    }

    private func applyTableOptions(_ configuration: StorageOptions, path: String) throws(StorageError) {
        guard let table = rocksdb_block_based_options_create() else {
            throw StorageError(.open, path: path, status: "rocksdb_block_based_options_create failed", code: .unknown)
        }
        defer { rocksdb_block_based_options_destroy(table) }
        if let bits = configuration.bloomFilterBitsPerKey, bits > 0 {
            if let policy = rocksdb_filterpolicy_create_bloom_full(bits) {
                // The table options take ownership of the filter policy.
                rocksdb_block_based_options_set_filter_policy(table, policy)
            }
        }
        if configuration.blockCacheBytes > 0 {
            guard let cache = rocksdb_cache_create_lru(configuration.blockCacheBytes) else {
                throw StorageError(.open, path: path, status: "rocksdb_cache_create_lru failed", code: .unknown)
            }
            // The table options copy the cache's shared_ptr; our wrapper can go at once.
            rocksdb_block_based_options_set_block_cache(table, cache)
            rocksdb_cache_destroy(cache)
        } else {
            rocksdb_block_based_options_set_no_block_cache(table, 1)
        }
        rocksdb_block_based_options_set_cache_index_and_filter_blocks(table, 1)
        rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(table, 1)
        // The options object builds its own table factory from a copy of `table`.
        rocksdb_options_set_block_based_table_factory(pointer, table)
    }
}
