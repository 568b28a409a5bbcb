// CRC-32C against the RFC 3720 (iSCSI) test vectors, and each compressor's round trip and
// failure modes over the system libraries.

import Testing
@testable import Wire

@Suite struct CRC32CTests {
    @Test func rfc3720Vectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let state = bytes.withUnsafeBytes { raw in
                CRC32C.update(CRC32C.update(CRC32C.start, with: UnsafeRawBufferPointer(rebasing: raw[..<split])),
                              with: UnsafeRawBufferPointer(rebasing: raw[split...]))
            }
            #expect(CRC32C.finish(state) == CRC32C.checksum(bytes))
        }
    }

    @Test func emptyInputChecksumIsZero() {
        #expect(CRC32C.checksum([]) == 0)
    }
}

@Suite struct CompressorTests {
    static let samples: [[UInt8]] = [
        [],
        Array("hello".utf8),
        Array(String(repeating: "{\"a\": 1, \"b\": \"tessera\"} ", count: 5000).utf8),
        (0..<70_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) },
    ]

    @Test(arguments: Compressor.allCases)
    func roundTrips(_ compressor: Compressor) throws {
        for sample in Self.samples {
            let packed = try compressor.compress(sample)
            let unpacked = try packed.withUnsafeBytes { raw in
                try compressor.decompress(raw, uncompressedSize: sample.count)
            }
            #expect(unpacked == sample)
        }
    }

    @Test(arguments: Compressor.allCases)
    func wrongStatedSizeFails(_ compressor: Compressor) throws {
        let sample = Array(String(repeating: "abc", count: 1000).utf8)
        let packed = try compressor.compress(sample)
        for size in [sample.count - 1, sample.count + 1] {
            #expect(throws: WireError.self) {
                try packed.withUnsafeBytes { raw in try compressor.decompress(raw, uncompressedSize: size) }
            }
        }
    }

    @Test(arguments: [Compressor.snappy, .zlib, .zstd])
    func garbageInputFails(_ compressor: Compressor) {
        let garbage: [UInt8] = [0xFF, 0xFE, 0x01, 0x99, 0x42, 0x00, 0x13, 0x37, 0xAB, 0xCD]
        #expect(throws: WireError.self) {
            try garbage.withUnsafeBytes { raw in try compressor.decompress(raw, uncompressedSize: 100) }
        }
    }

    @Test func namesAreMongoDBs() {
        #expect(Compressor.allCases.map(\.name) == ["noop", "snappy", "zlib", "zstd"])
        #expect(Compressor.allCases.map(\.rawValue) == [0, 1, 2, 3])
        #expect(Compressor(name: "zstd") == .zstd)
        #expect(Compressor(name: "lz4") == nil)
    }
}
