// swift-tools-version: 6.1
// Leaderboard: an example program using Tessera embedded (`import Tessera`), as a Swift
// application would: its own package, depending on the Tessera package by path.
import PackageDescription

let package = Package(
    name: "Leaderboard",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tessera", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "Leaderboard",
            dependencies: [.product(name: "Tessera", package: "Tessera")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
