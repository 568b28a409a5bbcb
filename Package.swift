// swift-tools-version: 6.1
// Tessera: a document database that speaks MongoDB's wire protocol.
// Layers (docs/architecture.md, refining ../shared/design.md) are sibling targets; each imports
// only the arrows its table allows, which scripts/check-layers checks.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        // The CLI: `.build/<configuration>/tessera`, built from the TesseraCLI target.
        .executable(name: "tessera", targets: ["TesseraCLI"]),
        // The libraries the Benchmarks package (report programs, PostgresBench, BSONCodec) uses.
        .library(name: "BSON", targets: ["BSON"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "Documents", targets: ["Documents"]),
        .library(name: "Query", targets: ["Query"]),
        // The embedding API: `import Tessera` (issue 19).
        .library(name: "Tessera", targets: ["Tessera"]),
        .library(name: "BenchKit", targets: ["BenchKit"]),
        .library(name: "BenchSupport", targets: ["BenchSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Latency histograms for `tessera bench` (small; brings only swift-numerics).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // SCRAM-SHA-1/SHA-256 authentication: HMAC, SHA, MD5 (Crypto) and PBKDF2 (_CryptoExtras).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // TLS for `tessera serve` (--tls-mode) and the bench's client: NIO's own TLS handlers over
        // BoringSSL, so TLS is one more channel handler and needs no system OpenSSL.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // DER parsing of a client certificate's subject for MONGODB-X509 user names (RFC 2253);
        // NIOSSL exposes the certificate's bytes but not its subject's attribute types.
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // `tessera serve --metrics-port`: the Server records through swift-metrics' API and
        // swift-prometheus renders the registry in Prometheus' text format (issue 18).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The PostgreSQL-protocol storage engine (issue 21, StoragePostgres): PostgreSQL,
        // CockroachDB and YugabyteDB through one client.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // ---- Product targets, bottom layer first (docs/architecture.md) ----

        // BSON: value model, binary codec, lazy views, Extended JSON, comparison order, Codable.
        .target(name: "BSON", swiftSettings: strictSettings),
        // RocksDB's C API from the system package librocksdb-dev.
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
        // Storage: an ordered key-value interface and its RocksDB implementation.
        .target(name: "Storage", dependencies: ["CRocksDB", "CRocksDBExtras"], swiftSettings: strictSettings),
        // What RocksDB's C API lacks (BackupEngine::StopBackup, SstFileReader checksums), behind C functions (C++).
        .target(name: "CRocksDBExtras"),
        // ICU's collation C API from the system package libicu-dev (MongoDB's collations), behind a
        // small C file: Foundation's bundled ICU headers clash with the system's in one Swift module
        // graph, so no ICU header may be imported into Swift (see Sources/CICU/include/CICU.h).
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]
        ),
        // Collation: MongoDB's collation documents and ICU collators (compare, sort keys), below
        // Documents because index keys of an index with a collation are ICU sort keys.
        .target(name: "Collation", dependencies: ["BSON", "CICU"], swiftSettings: strictSettings),
        // StoragePostgres: the storage interface over PostgreSQL's protocol (issue 21): key spaces
        // as rows of one bytea-keyed table, cursors as keyset-paginated range queries, batches
        // and snapshots as SQL transactions. docs/scale-out.md has the schema and the SQL subset.
        .target(
            name: "StoragePostgres",
            dependencies: [
                "Storage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // TLS to the database (sslmode): postgres-nio takes a NIOSSLContext.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Snowball stemmers from the system package libstemmer-dev (text indexes stem as MongoDB).
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        // S2 geometry (Debian libs2-dev, C++) behind a C shim: cell ids, coverings and relations
        // of regions for 2dsphere indexes and geo operators (Sources/CS2/include/CS2.h).
        .target(
            name: "CS2",
            linkerSettings: [.linkedLibrary("s2"), .linkedLibrary("stdc++")]
        ),
        // Documents: catalog, shapes, shape-encoded records, collections, change log.
        // CICU and CStemmer: text index tokenization (delimiters, folding) and stemming.
        // Crypto: MD5 for hashed index keys (MongoDB's BSONElementHasher is MD5 over the value).
        // CS2: S2 cell ids of 2dsphere index keys.
        .target(
            name: "Documents",
            dependencies: [
                "BSON", "Storage", "StoragePostgres", "Collation", "CICU", "CStemmer", "CS2",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // PCRE2 (8-bit) from the system package libpcre2-dev: MongoDB's regex engine, with match limits.
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"]), .brew(["pcre2"])]),
        // Query (the engine): filters, projection, sort, updates, the planner and query execution.
        .target(name: "Query", dependencies: ["BSON", "Collation", "Documents", "CPCRE2"], swiftSettings: strictSettings),
        // Commands: one handler per command name, cursors, sessions and error replies, over Query.
        .target(
            name: "Commands",
            dependencies: [
                "BSON", "Query", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // System compression libraries for OP_COMPRESSED (zlib1g-dev, libsnappy-dev, libzstd-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Wire: MongoDB's wire protocol messages (OP_MSG, OP_QUERY/OP_REPLY, OP_COMPRESSED), their
        // encode/decode, message framing, CRC-32C and compression. No sockets; NIOCore for ByteBuffer.
        .target(
            name: "Wire",
            dependencies: ["BSON", "CZlib", "CSnappy", "CZstd", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Server: the NIO TCP server joining Wire's framing to Commands, plus its lifecycle.
        .target(
            name: "Server",
            dependencies: [
                "BSON", "Wire", "Commands",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The metrics endpoint: GET /metrics over NIO's HTTP/1 codec, Prometheus text.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // BenchSupport: the seeded generator `tessera bench`'s workloads (and the tests) draw from.
        .target(name: "BenchSupport", swiftSettings: strictSettings),
        // Tessera: the embedding API (MongoSwift-shaped, async, Codable) over the Query engine;
        // Server and Commands only for `TesseraClient.serve`, which hands the same engine to the
        // wire server as a CommandStore.
        .target(name: "Tessera", dependencies: ["BSON", "Query", "Commands", "Server"], swiftSettings: strictSettings),
        // BenchKit: `tessera bench`'s workloads, runner, wire client and embedded target. The
        // PostgreSQL target lives in the Benchmarks package so postgres-nio stays out of `make test`.
        .target(
            name: "BenchKit",
            dependencies: [
                "BSON", "Wire", "Commands", "BenchSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                // TLS for the wire client: NIOSSL's handler run in an EmbeddedChannel as a
                // filter between the blocking socket and the codec.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        // TesseraCLI: the `tessera` executable (`tessera serve`, `tessera bench`). Not named
        // `tessera` so it cannot collide with a `Tessera` library on a case-insensitive disk.
        .executableTarget(
            name: "TesseraCLI",
            dependencies: [
                "BSON", "Server", "Commands", "Query", "BenchKit", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // ---- Test fixtures and test targets (one per layer), in Tests/ ----

        // Fixtures shared by the test targets (temporary directories, seeded randomness).
        .target(name: "TestSupport", dependencies: ["BenchSupport", "Documents"], path: "Tests/Support", swiftSettings: strictSettings),
        // The child process of DocumentsTests' crash-safety test: journaled inserts until SIGKILLed.
        .executableTarget(
            name: "CrashWriter", dependencies: ["BSON", "Documents"], path: "Tests/Fixtures/CrashWriter",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "BSONTests", dependencies: ["BSON", "BenchSupport"], swiftSettings: strictSettings),
        // A real PostgreSQL 15 per test process, for the engine's and the API's tests on it.
        .target(name: "PostgresTestSupport", path: "Tests/Fixtures/PostgresServer", swiftSettings: strictSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "StoragePostgres", "PostgresTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "CollationTests", dependencies: ["Collation", "BSON"], swiftSettings: strictSettings),
        .testTarget(name: "DocumentsTests", dependencies: ["Documents", "BSON", "Storage", "BenchSupport", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "QueryTests", dependencies: ["Query", "Documents", "BSON", "TestSupport"],
            swiftSettings: strictSettings
        ),
        // The API's tests: through `import Tessera` only.
        .testTarget(name: "TesseraTests", dependencies: ["Tessera", "PostgresTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "CommandsTests",
            dependencies: ["Commands", "Query", "Documents", "BSON", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "WireTests", dependencies: ["Wire", "BSON", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strictSettings),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Wire", "Commands", "BSON", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    // CS2's C++ (libs2's headers need C++17).
    cxxLanguageStandard: .cxx17
)

// libFuzzer harnesses (Fuzz/<Harness>/), declared only when TESSERA_FUZZ=1 so the product build,
// `swift test` and CI never see them. scripts/fuzz builds them in .build-fuzz-spm with
// `-sanitize=fuzzer,address -parse-as-library`. Each harness supplies `LLVMFuzzerTestOneInput`
// and the `<Target>_main` that SwiftPM links as `main`, which starts libFuzzer's driver
// (Fuzz/FuzzSupport/FuzzerMain.swift). SwiftPM rather than hand-run swiftc (scripts/fuzz-bson)
// because Wire needs NIOCore and the compressor system libraries, which SwiftPM already builds.
if Context.environment["TESSERA_FUZZ"] == "1" {
    let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
        ("WireMessageFuzz", ["Wire", "BSON", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]),
        ("ExtendedJSONFuzz", ["BSON", "FuzzSupport"]),
        ("QueryParserFuzz", ["Query", "Documents", "BSON", "FuzzSupport"]),
        ("RecordFuzz", ["Documents", "BSON", "FuzzSupport"]),
    ]
    // The deterministic bytes-to-document generator the document-driven harnesses share.
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["BSON"], path: "Fuzz/FuzzSupport",
                                   swiftSettings: strictSettings))
    for harness in harnesses {
        package.products.append(.executable(name: harness.name, targets: [harness.name]))
        package.targets.append(.executableTarget(
            name: harness.name, dependencies: harness.dependencies, path: "Fuzz/\(harness.name)",
            swiftSettings: strictSettings
        ))
    }
}

// `make docs`: Tessera's DocC catalog (Sources/Tessera/Tessera.docc) built by swift-docc-plugin's
// `swift package generate-documentation`. Declared only when TESSERA_DOCS=1 (scripts/docs sets
// it, with its own scratch path), so `swift build`, `swift test` and CI never resolve it.
if Context.environment["TESSERA_DOCS"] == "1" {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"))
}
