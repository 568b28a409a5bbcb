// swift-tools-version: 6.1
// Tessera's benchmark package: the BSON codec against libbson (../scripts/bench-bson), the
// PostgreSQL target of `tessera bench` (../scripts/bench-compare) and the report programs of
// `make bench-storage`, `bench-query`, `bench-aggregation` and `bench-embedded` (../scripts/bench-*). Kept apart
// from the root package so ordo-one/benchmark, libbson and postgres-nio (with swift-nio-ssl
// and swift-crypto) never enter the library's dependency graph or `make test`'s build.
import PackageDescription

// SwiftPM names a path dependency after its folder, so the root package's identity is the
// name of the folder the repository was cloned into ("main" here, anything in CI).
let rootPackage = Context.packageDirectory
    .split(separator: "/").dropLast().last.map { $0.lowercased() } ?? "main"

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// A product of the root package.
func tessera(_ product: String) -> Target.Dependency { .product(name: product, package: rootPackage) }

let package = Package(
    name: "TesseraBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // The interposer trait is what lets 1.38.1 resolve from the mirrored packages on
        // Linux with Swift 6.3 (the runtime interposer it would otherwise need is not mirrored).
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // `PostgresBench`: BenchKit's workloads against PostgreSQL through postgres-nio.
        .executableTarget(
            name: "PostgresBench",
            dependencies: [
                tessera("BenchKit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // `ScaleOutBench`: BenchKit's workloads over several Tessera servers on one PostgreSQL
        // (the `tessera-pg` target of ../scripts/bench-compare, issue 21).
        .executableTarget(
            name: "ScaleOutBench",
            dependencies: [
                tessera("BenchKit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Debian's libbson (libbson-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibBSON",
            pkgConfig: "libbson-1.0",
            providers: [.apt(["libbson-dev"])]
        ),
        // Plain C entry points over libbson that the benchmarks call: the baseline side.
        .target(
            name: "LibBSONBaseline",
            dependencies: ["CLibBSON"]
        ),
        .executableTarget(
            name: "BSONCodec",
            dependencies: [
                tessera("BSON"),
                "LibBSONBaseline",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/BSONCodec",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
            // Helpers the report programs share: number formatting, the machine header, the
        // --scale/--only options, scratch directories.
        .target(name: "ReportSupport", swiftSettings: strictSettings),
        // `make bench-storage`: record sizes, on-disk ratio, field-read cost (issue 3's figures).
        .executableTarget(
            name: "StorageReport",
            dependencies: [tessera("BSON"), tessera("Storage"), tessera("Documents"), tessera("BenchSupport"), "ReportSupport"],
            swiftSettings: strictSettings
        ),
        // `make bench-query`: issue 4's W1, W4, W3 and W7 figures.
        .executableTarget(
            name: "QueryReport",
            dependencies: [
                tessera("BSON"), tessera("Storage"), tessera("Documents"), tessera("Query"),
                tessera("BenchSupport"), tessera("BenchKit"), "ReportSupport",
            ],
            swiftSettings: strictSettings
        ),
        // `make bench-embedded`: issue 19's figures — findOne by `_id` through `import Tessera`
        // against RocksDB `get` on the same keys and values, and insertMany against the
        // in-process `insert` command.
        .executableTarget(
            name: "EmbeddedReport",
            dependencies: [
                tessera("Tessera"), tessera("BSON"), tessera("Storage"), tessera("Documents"),
                tessera("BenchSupport"), "ReportSupport",
            ],
            swiftSettings: strictSettings
        ),
        // `make bench-aggregation`: issue 6's W4 (spilling $group), W3 ($lookup) and W7 ($sample) figures.
        .executableTarget(
            name: "AggregationReport",
            dependencies: [
                tessera("BSON"), tessera("Documents"), tessera("Query"), tessera("BenchSupport"),
                tessera("BenchKit"), "ReportSupport",
            ],
            swiftSettings: strictSettings
        ),
    ]
)
