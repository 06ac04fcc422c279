import Foundation
import TestSupport
import Testing

/// The review console in a real browser (issue 19): Debian's chromium and chromium-driver,
/// driven over WebDriver by Tests/Browser/console_test.py against the built binary. Its
/// screenshots of the queue and an alert page are kept in .build/artifacts/.
@Suite("End to end: the review console in a browser", .serialized)
struct ConsoleBrowserTests {
    @Test(
        "sign in, filter, claim, dismiss with a note, supervisor confirms, search, conversation; hostile text stays text; CSRF, throttle and scope hold",
        arguments: StoreUnderTest.allCases)
    func console(_ kind: StoreUnderTest) throws {
        let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        try #require(
            driver != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
            "chromium and chromium-driver are missing: `make test` installs Debian's packages")
        let artifacts = Binary.root + "/.build/artifacts"
        let store = try kind.storeArguments()
        let result = try runTool(
            "/usr/bin/env",
            [
                "python3", Binary.root + "/Tests/Browser/console_test.py", "--bin", Binary.path, "--artifacts",
                artifacts,
                "--samples", Binary.root + "/samples",
            ] + store)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(!result.stdout.contains("FAIL"), "\(result.stdout)")
        let suffix = kind == .postgres ? "-postgres" : ""
        for shot in ["console-queue\(suffix).png", "console-alert\(suffix).png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: artifacts + "/" + shot)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(shot) was written")
        }
    }
}
