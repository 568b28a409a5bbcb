// swift-tools-version: 6.1
// Tessera: a document database that speaks MongoDB's wire protocol.
// Layers (see ../shared/design.md) are sibling targets; each imports only the layers below it.
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
        .library(name: "BSON", targets: ["BSON"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "Documents", targets: ["Documents"]),
        .library(name: "Query", targets: ["Query"]),
        .executable(name: "tessera", targets: ["tessera"]),
    ],
    targets: [
        // BSON: value model, binary codec, lazy views, Extended JSON, comparison order, Codable.
        .target(name: "BSON", swiftSettings: strictSettings),
        // RocksDB's C API from the system package librocksdb-dev.
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
        // Storage: an ordered key-value interface and its RocksDB implementation.
        .target(name: "Storage", dependencies: ["CRocksDB"], swiftSettings: strictSettings),
        // Documents: catalog, shapes, shape-encoded records, collections, change log.
        .target(name: "Documents", dependencies: ["BSON", "Storage"], swiftSettings: strictSettings),
        // Query: filters, projection, sort, updates, the planner and query execution.
        .target(name: "Query", dependencies: ["BSON", "Documents"], swiftSettings: strictSettings),
        // The command-line entry point; grows subcommands (serve, bench) as layers land.
        .executableTarget(name: "tessera", dependencies: ["BSON"], swiftSettings: strictSettings),
        // Helpers shared by the report programs: seeded generator, formatting, scratch directories.
        .target(name: "BenchSupport", swiftSettings: strictSettings),
        // `make bench-storage`: record sizes, on-disk ratio, field-read cost (issue 3's figures).
        .executableTarget(
            name: "StorageReport", dependencies: ["BSON", "Storage", "Documents", "BenchSupport"],
            swiftSettings: strictSettings
        ),
        // `make bench-query`: issue 4's W1, W4, W3 and W7 figures.
        .executableTarget(
            name: "QueryReport", dependencies: ["BSON", "Storage", "Documents", "Query", "BenchSupport"],
            swiftSettings: strictSettings
        ),
        // The child process of the crash-safety test: journaled inserts until SIGKILLed.
        .executableTarget(name: "CrashWriter", dependencies: ["BSON", "Documents"], swiftSettings: strictSettings),
        .testTarget(name: "BSONTests", dependencies: ["BSON", "BenchSupport"], swiftSettings: strictSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage"], swiftSettings: strictSettings),
        .testTarget(name: "DocumentsTests", dependencies: ["Documents", "BSON", "Storage", "BenchSupport"], swiftSettings: strictSettings),
        // Fixtures shared by the test targets (temporary directories, seeded randomness).
        .target(name: "TestSupport", dependencies: ["BenchSupport"], path: "Tests/Support", swiftSettings: strictSettings),
        .testTarget(
            name: "QueryTests", dependencies: ["Query", "Documents", "BSON", "TestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
