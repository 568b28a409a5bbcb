// Compression: the block compressions RocksDB can use, and which ones this build links.
// Owns the one-time probe (an in-memory RocksDB per codec) and the fallback order used
// when a requested codec is missing; knows nothing about a store's other options.
internal import CRocksDB

/// A block compression codec for SST files.
public enum Compression: String, Sendable, Hashable, CaseIterable {
    /// No compression.
    case none
    /// Snappy.
    case snappy
    /// zlib.
    case zlib
    /// bzip2.
    case bzip2
    /// LZ4 (fast; the default for upper levels).
    case lz4
    /// LZ4HC (slower to write, same read speed as LZ4).
    case lz4hc
    /// Zstandard (best ratio; the default for the bottom level).
    case zstd

    /// RocksDB's `rocksdb_*_compression` constant.
    var rocksDBValue: Int32 {
        switch self {
        case .none: Int32(rocksdb_no_compression)
        case .snappy: Int32(rocksdb_snappy_compression)
        case .zlib: Int32(rocksdb_zlib_compression)
        case .bzip2: Int32(rocksdb_bz2_compression)
        case .lz4: Int32(rocksdb_lz4_compression)
        case .lz4hc: Int32(rocksdb_lz4hc_compression)
        case .zstd: Int32(rocksdb_zstd_compression)
        }
    }

    /// Whether the linked RocksDB library supports this codec. Probed once per process.
    public var isSupported: Bool {
        Compression.supported.contains(self)
    }

    /// The codecs the linked RocksDB library supports.
    public static var supportedCodecs: Set<Compression> {
        supported
    }

    /// This codec if supported, otherwise the first supported codec in its fallback chain
    /// (zstd → lz4 → snappy → none; lz4hc → lz4 → snappy → none; zlib, bzip2 → snappy → none).
    public var resolved: Compression {
        for candidate in fallbackChain where candidate.isSupported {
            return candidate
        }
        return .none
    }

    private var fallbackChain: [Compression] {
        switch self {
        case .none: [.none]
        case .snappy: [.snappy]
        case .zlib: [.zlib, .snappy]
        case .bzip2: [.bzip2, .snappy]
        case .lz4: [.lz4, .snappy]
        case .lz4hc: [.lz4hc, .lz4, .snappy]
        case .zstd: [.zstd, .lz4, .snappy]
        }
    }

    /// Computed once, on first use; global `let`s are initialised thread-safely.
    private static let supported: Set<Compression> = Set(allCases.filter(probe))

    /// Opens a throwaway database in RocksDB's in-memory Env with `codec` on every level.
    /// RocksDB validates codecs at open and answers "not linked with the binary" when one
    /// is missing, so a successful open means the codec is usable.
    private static func probe(_ codec: Compression) -> Bool {
        if codec == .none { return true }
        guard let env = rocksdb_create_mem_env() else { return false }
        defer { rocksdb_env_destroy(env) }
        guard let options = rocksdb_options_create() else { return false }
        defer { rocksdb_options_destroy(options) }
        rocksdb_options_set_env(options, env)
        rocksdb_options_set_create_if_missing(options, 1)
        rocksdb_options_set_compression(options, codec.rocksDBValue)
        rocksdb_options_set_bottommost_compression(options, codec.rocksDBValue)
        let database = try? StorageError.check(.open, path: nil) { error in
            rocksdb_open(options, "/compression-probe-\(codec.rawValue)", error)
        }
        guard let db = database else { return false }
        rocksdb_close(db)
        return true
    }
}
