// swift-tools-version:6.1
// chatwarden: compliance and risk monitoring for archived WeCom conversations.
// The module layout follows ../shared/DESIGN.md: one job per module, C behind its own C* target.
import PackageDescription

let package = Package(
    name: "chatwarden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "chatwarden", targets: ["chatwarden"]),
        .library(
            name: "ChatwardenKit",
            targets: [
                "Pipeline", "Config", "Store", "Rules", "Detect", "Archive", "Normalize", "PCRE2", "Alerts", "Ingest", "Service",
                "FuzzTargets", "Support", "Vocabulary", "Console", "Evidence", "Media",
            ]),
        // The test harness (a throw-away PostgreSQL server), for the benchmarks.
        .library(name: "ChatwardenTestSupport", targets: ["TestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // The shared store for several daemons (issue 10).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
        // SHA-256 for the tamper-evident chain of alerts and review actions.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The review console (issue 19): HTTP server, and bcrypt for account passwords.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // Evidence bundles (issue 20): ZIP files with a manifest of SHA-256s.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // libpcre2-8 from the system. The shim header defines PCRE2_CODE_UNIT_WIDTH before pcre2.h.
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        // OpenCC (traditional → simplified), used once at start-up to build a character table.
        .systemLibrary(
            name: "COpenCC",
            pkgConfig: "opencc",
            providers: [.apt(["libopencc-dev"])]
        ),
        // Images (issue 21): ZBar decodes QR codes; Leptonica reads the image files.
        .systemLibrary(name: "CZBar", pkgConfig: "zbar", providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(name: "CLeptonica", pkgConfig: "lept", providers: [.apt(["libleptonica-dev"])]),
        .systemLibrary(name: "CTesseract", pkgConfig: "tesseract", providers: [.apt(["libtesseract-dev"])]),
        .target(name: "PCRE2", dependencies: ["CPCRE2"]),
        // Evidence in images: reading image files under limits, QR codes and what they lead to,
        // text read from screenshots.
        .target(
            name: "Media",
            dependencies: [
                "CZBar", "CLeptonica", "CTesseract", "Support", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Leaf modules: shared vocabulary (severity, review states, category ids) and small
        // readers (JSON, whole files, the monotonic clock), so no module imports the message
        // model or the rules just to name a severity or parse a file.
        .target(name: "Vocabulary"),
        .target(name: "Support"),
        .target(name: "Archive", dependencies: ["Support", "Vocabulary"]),
        .target(name: "Normalize", dependencies: ["COpenCC"]),
        .target(name: "Rules", dependencies: ["PCRE2", "Normalize", "Support", "Vocabulary"]),
        .target(
            name: "Detect", dependencies: ["Rules", "Normalize", "Archive", "PCRE2", "Support", "Vocabulary"],
            exclude: ["Pronunciation/THIRD-PARTY.md"]),
        .target(name: "Alerts", dependencies: ["Archive", "Detect", "Support", "Vocabulary", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "Store",
            dependencies: [
                "Archive", "Alerts", "Detect", "Ingest", "Normalize", "Support", "Vocabulary", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Ingest", dependencies: ["Archive", "Support"]),
        // The configuration model and its TOML reader (errors with file:line:key).
        .target(name: "Config", dependencies: ["Archive", "PCRE2", "Rules", "Detect", "Alerts", "Support", "Vocabulary"]),
        .target(
            name: "Pipeline",
            dependencies: [
                "Archive", "Normalize", "Rules", "Detect", "Alerts", "Store", "Ingest", "PCRE2", "Config", "Support", "Vocabulary",
                "Media", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Service",
            dependencies: [
                "Pipeline", "Config", "Archive", "Ingest", "Store", "Alerts", "Detect", "Rules", "Support", "Vocabulary",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The review console: pages, sessions, CSRF, roles and scope over the store (issue 19).
        .target(
            name: "Console",
            dependencies: [
                "Store", "Alerts", "Config", "Vocabulary", "Support", "Evidence",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Evidence bundles: alerts, their conversations, trail and chain links in one verifiable ZIP.
        .target(
            name: "Evidence",
            dependencies: [
                "Store", "Alerts", "Support", "Vocabulary", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // What the fuzzers (Fuzz/) run; the test suite replays their corpus and crashes through it.
        .target(
            name: "FuzzTargets",
            dependencies: ["Archive", "Normalize", "Rules", "Detect", "Pipeline", "Config", "PCRE2", "Support", "Media"]),
        .executableTarget(
            name: "chatwarden",
            dependencies: [
                "Pipeline", "Config", "Service", "Store", "Rules", "Detect", "Alerts", "Archive", "Ingest", "Normalize", "PCRE2",
                "Support", "Vocabulary", "Console", "Evidence", "Media", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "PCRE2Tests", dependencies: ["PCRE2"]),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "Support"]),
        .testTarget(name: "NormalizeTests", dependencies: ["Normalize"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "Normalize", "Support", "Vocabulary"]),
        .testTarget(name: "DetectTests", dependencies: ["Detect", "Rules", "Archive", "PCRE2", "Normalize", "Support", "Vocabulary"], exclude: ["Fixtures"]),
        .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Archive", "Detect", "Rules", "Support", "Vocabulary"]),
        // A real PostgreSQL server for the tests that need one.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Alerts", "Archive", "Rules", "Ingest", "Detect", "Support", "Vocabulary", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Archive", "Support"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Alerts", "Archive", "Detect", "PCRE2", "Rules", "Support", "Vocabulary"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Config", "Support", "Store", "Rules", "PCRE2", "Alerts", "Archive", "Detect", "Ingest", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Pipeline", "Config", "Store", "Alerts", "Rules", "Support", "Vocabulary"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Support"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Store", "Alerts", "Config", "Vocabulary", "Support"]),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
    ]
)

// The same language features on every target, set once (as swift-nio and swift-log do).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(contentsOf: [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ])
    target.swiftSettings = settings
}
