import Foundation
import TestSupport
import Testing

/// Evidence bundles (issue 20) on the built binary, on SQLite and PostgreSQL: a bundle verifies;
/// an edited byte, an added file, a removed file each fail verification.
@Suite("End to end: evidence bundles", .serialized)
struct EvidenceBundleTests {
    /// Rewrites a ZIP with Python's zipfile: `edit` replaces bytes in one member, `add` adds one,
    /// `drop` leaves one out (as someone with an archive tool would).
    func rewrite(_ source: String, _ target: String, _ operation: String, member: String) throws {
        let script = """
            import sys, zipfile
            src, dst, op, member = sys.argv[1:5]
            with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
                for item in zin.infolist():
                    data = zin.read(item.filename)
                    if item.filename == member and op == "drop":
                        continue
                    if item.filename == member and op == "edit":
                        data = data.replace("加".encode(), "減".encode(), 1)
                    zout.writestr(item, data)
                if op == "add":
                    zout.writestr(member, "planted")
            """
        let result = try runTool("/usr/bin/env", ["python3", "-c", script, source, target, operation, member])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("a bundle verifies; a changed byte, an added or a missing file fail", arguments: StoreUnderTest.allCases)
    func bundle(_ kind: StoreUnderTest) throws {
        let state = StateDir()
        let store = try kind.storeArguments()
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        try Binary.run(["scan", "--quiet", "samples/"] + store, environment: env)
        let alerts = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--category", "luring"] + store, environment: env).stdout)
        let ids = alerts.prefix(2).map { String(($0["id"] as! String).prefix(10)) }
        #expect(ids.count == 2)
        let zip = state.path + "/bundle.zip"
        let made = try Binary.run(
            ["bundle", "--out", zip, "--alert", ids[0], "--alert", ids[1]] + store, environment: env)
        #expect(made.status == 0, "\(made.stderr)")
        let manifestLine = try #require(made.stdout.split(separator: "\n").first { $0.hasPrefix("manifest sha256 ") })
        let mode = (try FileManager.default.attributesOfItem(atPath: zip)[.posixPermissions] as! NSNumber).intValue
        #expect(mode == 0o640)

        let intact = try Binary.run(["bundle", "verify", zip])
        #expect(intact.status == 0, "\(intact.stdout)")
        #expect(intact.stdout.contains(String(manifestLine)), "verify prints the manifest's hash that was recorded")
        // The store's access log holds the manifest's hash.
        let access = try runTool(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import zipfile,sys; print(zipfile.ZipFile(sys.argv[1]).read('access.jsonl').decode())", zip,
            ])
        #expect(access.status == 0)

        let message = "messages/" + (alerts[0]["id"] as! String) + ".jsonl"
        for (operation, member, expected) in [
            ("edit", message, "was changed"), ("add", "extra.txt", "was added"), ("drop", "trail.jsonl", "missing"),
        ] {
            let altered = state.path + "/\(operation).zip"
            try rewrite(zip, altered, operation, member: member)
            let result = try Binary.run(["bundle", "verify", altered])
            #expect(result.status == 1, "\(operation): \(result.stdout)")
            #expect(result.stdout.contains(expected), "\(operation): \(result.stdout)")
        }
        let verify = try Binary.run(["verify"] + store, environment: env)
        #expect(verify.status == 0, "the bundle's access-log entry is chained: \(verify.stdout)")
    }
}
