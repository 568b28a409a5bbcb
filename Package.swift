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
        .executable(name: "tessera", targets: ["tessera"]),
    ],
    targets: [
        // BSON: value model, binary codec, lazy views, Extended JSON, comparison order, Codable.
        .target(name: "BSON", swiftSettings: strictSettings),
        // The command-line entry point; grows subcommands (serve, bench) as layers land.
        .executableTarget(name: "tessera", dependencies: ["BSON"], swiftSettings: strictSettings),
        .testTarget(name: "BSONTests", dependencies: ["BSON"], swiftSettings: strictSettings),
    ]
)
