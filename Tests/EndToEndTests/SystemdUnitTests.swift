import Foundation
import Testing

/// Runs a program in the package root and captures its output (in files, so a large output can
/// never block the child on a full pipe).
func runTool(
    _ path: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
    input: String? = nil
) throws -> Binary.Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: Binary.root)
    var env = ProcessInfo.processInfo.environment
    for name in removing { env[name] = nil }
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let base = NSTemporaryDirectory() + "cw-tool-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
    process.standardError = FileHandle(forWritingAtPath: base + ".err")
    if let input {
        let inPipe = Pipe()
        process.standardInput = inPipe
        try process.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        inPipe.fileHandleForWriting.closeFile()
    } else {
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }
    process.waitUntilExit()
    return Binary.Output(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
}

@Suite("systemd unit and installation", .serialized)
struct SystemdUnitTests {
    let analyze = "/usr/bin/systemd-analyze"

    /// The unit with ExecStart pointing at the binary under test (verify checks it exists).
    func unitForVerify(in state: StateDir) throws -> String {
        let unit = try String(contentsOfFile: Binary.root + "/systemd/chatwarden.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/chatwarden", with: Binary.path)
        let path = state.path + "/chatwarden.service"
        try unit.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("systemd-analyze verify is clean")
    func verify() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: analyze),
            "systemd-analyze is missing: `make deps` installs Debian's systemd package")
        let state = StateDir()
        let result = try runTool(analyze, ["verify", try unitForVerify(in: state)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.stderr)")
    }

    /// A drop-in's [Service] lines act as if appended to the unit's, so the unit followed by the
    /// drop-in's settings is what systemd runs once the drop-in is installed.
    @Test(
        "the unit with each network drop-in (metrics, webhooks, PostgreSQL) verifies clean",
        arguments: ["metrics-loopback.conf", "notify-webhooks.conf", "postgres-store.conf"])
    func verifyWithDropIn(_ dropIn: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is missing")
        let state = StateDir()
        let unitPath = try unitForVerify(in: state)
        let settings = try String(contentsOfFile: Binary.root + "/systemd/" + dropIn, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        let unit = try String(contentsOfFile: unitPath, encoding: .utf8)
        #expect(unit.contains("PrivateNetwork=yes"), "the base unit has no network; the drop-in opens it")
        // A second [Service] section after [Install] is merged like a drop-in's.
        try (unit + "\n" + settings + "\n").write(toFile: unitPath, atomically: true, encoding: .utf8)
        let result = try runTool(analyze, ["verify", unitPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.stderr)")
    }

    @Test(
        "systemd-analyze security rates the daemon's unit 1.0 or less, the console's (which must listen) 1.5 or less",
        arguments: [("chatwarden.service", 1.0), ("chatwarden-web.service", 1.5)])
    func security(_ unit: String, _ most: Double) throws {
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is missing")
        let result = try runTool(
            analyze, ["security", "--offline=true", "--no-pager", Binary.root + "/systemd/" + unit])
        let line = try #require(result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let value = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(value <= most, "\(unit): \(line)")
    }

    @Test(
        "with writable-executable memory forbidden (as MemoryDenyWriteExecute does), PCRE2 falls back and everything works"
    )
    func memoryDenyWriteExecute() throws {
        // PR_SET_MDWE (Linux 6.3+) is what MemoryDenyWriteExecute= enforces through seccomp.
        let wrapper =
            "import ctypes,os,sys\nif ctypes.CDLL(None).prctl(65,1,0,0,0)!=0: sys.exit(77)\nos.execv(sys.argv[1], sys.argv[1:])"
        let check = try runTool(
            "/usr/bin/env", ["python3", "-c", wrapper, Binary.path, "rules", "check"],
            environment: ["CHATWARDEN_PCRE2_JIT": "1"])
        if check.status == 77 {
            print("skipped: this kernel has no PR_SET_MDWE")
            return
        }
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("without the JIT"), "the JIT was refused and reported: \(check.stdout)")
        let state = StateDir()
        let scan = try runTool(
            "/usr/bin/env",
            ["python3", "-c", wrapper, Binary.path, "scan", "--state-dir", state.path, "--format", "json", "samples/"])
        let normal = try Binary.run(["scan", "--state-dir", state.path + "/jit", "--format", "json", "samples/"])
        #expect(scan.status == 1)
        #expect(
            try Binary.jsonLines(scan.stdout).map { $0["id"] as! String }
                == Binary.jsonLines(normal.stdout).map { $0["id"] as! String })
    }

    @Test(
        "install-files puts everything in place, nothing world-readable that should not be, and the installed configuration loads"
    )
    func install() throws {
        let state = StateDir()
        let stage = state.path + "/stage"
        let result = try runTool("/usr/bin/make", ["install-files", "BIN=\(Binary.path)", "DESTDIR=\(stage)"])
        #expect(result.status == 0, "\(result.stderr)")
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: stage + path)[.posixPermissions] as! NSNumber).intValue
        }
        #expect(try mode("/usr/local/bin/chatwarden") == 0o755)
        #expect(try mode("/usr/local/lib/systemd/system/chatwarden.service") == 0o644)
        #expect(try mode("/etc/chatwarden") == 0o750)
        #expect(try mode("/etc/chatwarden/chatwarden.toml") == 0o640)
        #expect(try mode("/etc/chatwarden/wordlists/luring.txt") == 0o640)
        #expect(try mode("/var/lib/chatwarden") == 0o750)
        #expect(try mode("/var/log/chatwarden") == 0o750)
        let help = try String(
            contentsOfFile: stage + "/usr/local/share/doc/chatwarden/chatwarden-help.txt", encoding: .utf8)
        #expect(help.contains("=== chatwarden daemon ==="))
        // The installed configuration, pointed at the staged wordlists, validates.
        let config = try String(contentsOfFile: stage + "/etc/chatwarden/chatwarden.toml", encoding: .utf8)
            .replacingOccurrences(of: "\"/etc/chatwarden/wordlists\"", with: "\"\(stage)/etc/chatwarden/wordlists\"")
            .replacingOccurrences(of: "\"/var/lib/chatwarden\"", with: "\"\(stage)/var/lib/chatwarden\"")
        try config.write(toFile: state.path + "/staged.toml", atomically: true, encoding: .utf8)
        let check = try Binary.run(["rules", "check", "--config", state.path + "/staged.toml"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("6 categories"))
    }
}
