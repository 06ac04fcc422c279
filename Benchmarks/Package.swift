// swift-tools-version:6.1
// chatwarden's benchmarks, apart from the product so the product never links Hyperscan.
// Run: make bench   (see the README for the figures and the machine they were taken on)
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which is whatever the clone is called.
let productPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "chatwarden-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Hyperscan, the peer the lexicon matcher is compared against (Debian's libhyperscan-dev).
        .systemLibrary(name: "CHyperscan", pkgConfig: "libhs", providers: [.apt(["libhyperscan-dev"])]),
        .executableTarget(
            name: "chatwarden-bench",
            dependencies: [
                "CHyperscan",
                .product(name: "ChatwardenKit", package: productPackage),
                .product(name: "ChatwardenTestSupport", package: productPackage),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
