// Options: per-level compression (LZ4 up top, ZSTD at the bottom) reaches RocksDB and
// survives a compaction, unsupported codecs fall back, and the block cache is sized from
// configuration with a bloom filter installed.
import Foundation
import Testing
@testable import Storage

@Suite("Options")
struct OptionsTests {
    /// The text of the newest OPTIONS file RocksDB wrote into `path`.
    private func optionsFile(in path: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("OPTIONS-") }
        let newest = try #require(names.max { $0.count == $1.count ? $0 < $1 : $0.count < $1.count })
        return try String(contentsOfFile: path + "/" + newest, encoding: .utf8)
    }

    @Test func thisBuildSupportsLZ4AndZSTDAndEveryCodecResolvesToASupportedOne() {
        print("supported compressions: \(Compression.supportedCodecs.map(\.rawValue).sorted())")
        #expect(Compression.none.isSupported)
        #expect(Compression.lz4.isSupported)
        #expect(Compression.zstd.isSupported)
        for codec in Compression.allCases {
            #expect(codec.resolved.isSupported)
            if codec.isSupported { #expect(codec.resolved == codec) }
        }
    }

    @Test func compressionPerLevelIsAcceptedAndRecordedByRocksDB() throws {
        try withTemporaryDirectory { directory in
            var options = StorageOptions()
            options.compressionPerLevel = [.none, .lz4, .lz4, .zstd]
            let store = try RocksDBStore(path: directory + "/db", options: options)
            for index in 0 ..< 2_000 {
                try store.put(bytes("key-\(index)"), bytes(String(repeating: "value \(index) ", count: 20)),
                              in: store.defaultKeySpace, durability: .buffered)
            }
            try store.flush()
            try store.compactRange(in: store.defaultKeySpace)
            #expect(try store.entries(.all, in: store.defaultKeySpace).count == 2_000)
            // Repetitive values: compressed SSTs are far smaller than the raw ~400 KB.
            #expect(store.sstFilesSize(live: true) < 200_000)
            let text = try optionsFile(in: directory + "/db")
            #expect(text.contains("compression_per_level=kNoCompression:kLZ4Compression:kLZ4Compression:kZSTD"))
            #expect(text.contains("bottommost_compression=kZSTD"))
        }
    }

    @Test func defaultOptionsUseLZ4AboveAndZSTDAtTheBottom() throws {
        #expect(StorageOptions().effectiveCompressionPerLevel == [.lz4, .lz4, .lz4, .lz4, .lz4, .lz4, .zstd])
        try withTemporaryDirectory { directory in
            _ = try RocksDBStore(path: directory + "/db")
            let text = try optionsFile(in: directory + "/db")
            #expect(text.contains("compression_per_level=kLZ4Compression:kLZ4Compression:kLZ4Compression:kLZ4Compression:kLZ4Compression:kLZ4Compression:kZSTD"))
        }
    }

    @Test func blockCacheIsSizedFromConfigurationWithBloomFilter() throws {
        try withTemporaryDirectory { directory in
            var options = StorageOptions()
            options.blockCacheBytes = 8 << 20
            options.bloomFilterBitsPerKey = 12
            let store = try RocksDBStore(path: directory + "/db", options: options)
            #expect(store.integerProperty("rocksdb.block-cache-capacity") == 8 << 20)
            let text = try optionsFile(in: directory + "/db")
            #expect(text.contains("bloomfilter"))
            #expect(store.property("rocksdb.no-such-property") == nil)
        }
    }
}
