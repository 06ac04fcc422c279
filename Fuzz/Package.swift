// swift-tools-version:6.1
// Coverage-guided fuzzing of chatwarden's input parsers with libFuzzer. Run: make fuzz
// (FUZZ_SECONDS per target, default 60). Each target calls a function of the FuzzTargets module,
// which the test suite also runs over Fuzz/Corpus and Fuzz/Crashes.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which is whatever the clone is called.
let productPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let targets = ["FuzzDecoder", "FuzzNormalizer", "FuzzWordlist", "FuzzConfig", "FuzzImage"]

let package = Package(
    name: "chatwarden-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [.target(name: "FuzzDriver")]
        + targets.map { name in
            .executableTarget(
                name: name, dependencies: ["FuzzDriver", .product(name: "ChatwardenKit", package: productPackage)])
        }
)
