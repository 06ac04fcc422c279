import Foundation
import Testing

/// Faults under a running daemon: each gives a clear error naming the file, no crash loop,
/// nothing already read is lost, and processing resumes once the fault is gone.
@Suite("End to end: faults", .serialized)
struct FaultTests {
    /// A daemon over `state.path/archive`, its store in `stateDir`.
    func startDaemon(
        _ state: StateDir, stateDir: String, extra: [String] = [], wrapper: [String] = []
    ) throws -> DaemonProcess {
        try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
        return try DaemonProcess(
            arguments: ["--state-dir", stateDir, "--watch", state.path + "/archive/*.jsonl*", "--log-level", "info"]
                + extra,
            logPath: state.path + "/daemon.log")
    }

    func alertIDs(_ stateDir: String) throws -> [String] {
        try Binary.jsonLines(
            Binary.run(
                ["alerts", "list", "--format", "json", "--limit", "1000000"],
                environment: ["CHATWARDEN_STATE_DIR": stateDir]
            ).stdout
        ).map { $0["id"] as! String }
    }

    func referenceIDs(_ state: StateDir) throws -> Set<String> {
        let out = try Binary.run([
            "scan", "--state-dir", state.path + "/reference-\(UUID().uuidString.prefix(6))", "--format", "json",
            state.path + "/archive",
        ])
        return Set(try Binary.jsonLines(out.stdout).map { $0["id"] as! String })
    }

    func logIDs(_ stateDir: String) throws -> [String] {
        let text = (try? String(contentsOfFile: stateDir + "/alerts.jsonl", encoding: .utf8)) ?? ""
        return try Binary.jsonLines(text).map { $0["id"] as! String }
    }

    func write(_ state: StateDir, _ range: Range<Int>, file: String = "chat.jsonl") {
        ArchiveLines.append(
            state.path + "/archive/" + file,
            range.map { ArchiveLines.line($0, prefix: "f") }.joined(separator: "\n") + "\n")
    }

    @Test(
        "disk full while writing the store and the alert log: a clear error, retries, then everything once space is back"
    )
    func diskFull() throws {
        guard getuid() == 0 else {
            print("skipped: mounting a small tmpfs for the disk-full test needs root")
            return
        }
        let state = StateDir()
        let mountPoint = state.path + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=600k", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? runTool("/bin/umount", ["-l", mountPoint]) }
        let daemon = try startDaemon(state, stateDir: mountPoint + "/state")
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        // Far more than 600 KiB of index: the disk fills up.
        write(state, 0..<4_000)
        #expect(
            eventually(timeout: 60) {
                daemon.log.contains("database or disk is full") || daemon.log.contains("No space left")
            },
            "a clear disk-full error; log: \(daemon.log.suffix(2000))")
        #expect(daemon.process.isRunning, "no crash")
        #expect(daemon.log.contains(mountPoint + "/state"), "the error names the store")
        // Space comes back.
        let grown = try runTool("/bin/mount", ["-o", "remount,size=64m", mountPoint])
        try #require(grown.status == 0)
        let expected = try referenceIDs(state)
        #expect(
            try eventually(timeout: 120) { Set(try alertIDs(mountPoint + "/state")) == expected },
            "everything once space is back")
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        let logged = try logIDs(mountPoint + "/state")
        #expect(Set(logged) == expected, "the alert log is complete")
        #expect(logged.count == Set(logged).count, "and has no line twice")
    }

    @Test("an archive file the daemon may not read: an error naming it, then it is read once readable")
    func permissionDenied() throws {
        let state = StateDir()
        try FileManager.default.createDirectory(atPath: state.path + "/archive", withIntermediateDirectories: true)
        write(state, 0..<20, file: "secret.jsonl")
        chmod(state.path + "/archive/secret.jsonl", 0)
        // Root reads anything: run the daemon as nobody then.
        var wrapperArguments: [String] = []
        if getuid() == 0 {
            chmod(state.path, 0o777)
            chmod(state.path + "/archive", 0o777)
            wrapperArguments = ["--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        let stateDir = state.path + "/state"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        chmod(stateDir, 0o777)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrapperArguments.isEmpty ? Binary.path : "/usr/bin/setpriv")
        process.arguments =
            wrapperArguments + (wrapperArguments.isEmpty ? [] : [Binary.path]) + [
                "daemon", "--state-dir", stateDir, "--watch", state.path + "/archive/*.jsonl", "--log-level", "info",
            ]
        let logPath = state.path + "/daemon.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        chmod(logPath, 0o666)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": stateDir]
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        #expect(
            eventually(timeout: 30) { log().contains("secret.jsonl") && log().contains("Permission denied") },
            "log: \(log())")
        #expect(process.isRunning)
        chmod(state.path + "/archive/secret.jsonl", 0o644)
        let expected = try referenceIDs(state)
        #expect(try eventually(timeout: 30) { Set(try alertIDs(stateDir)) == expected })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    @Test(
        "the store deleted under a running daemon: a new one is built from the archive, no alert lost or logged twice")
    func storeDeleted() throws {
        let state = StateDir()
        let stateDir = state.path + "/state"
        let daemon = try startDaemon(state, stateDir: stateDir)
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        write(state, 0..<200)
        let first = try referenceIDs(state)
        #expect(try eventually { Set(try alertIDs(stateDir)) == first })
        for suffix in ["", "-wal", "-shm"] { unlink(stateDir + "/chatwarden.db" + suffix) }
        write(state, 200..<400)
        let expected = try referenceIDs(state)
        #expect(
            try eventually(timeout: 60) { Set(try alertIDs(stateDir)) == expected }, "log: \(daemon.log.suffix(1500))")
        #expect(daemon.log.contains("store file was deleted or replaced"))
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        let logged = try logIDs(stateDir)
        #expect(Set(logged) == expected)
        #expect(logged.count == Set(logged).count, "no alert logged twice")
    }

    @Test(
        "a corrupted store at start-up: a clear error naming it, no crash loop; once the operator removes it, everything is rebuilt"
    )
    func storeCorrupted() throws {
        let state = StateDir()
        let stateDir = state.path + "/state"
        let first = try startDaemon(state, stateDir: stateDir)
        write(state, 0..<300)
        #expect(try eventually { try alertIDs(stateDir).count > 0 })
        first.signal(SIGTERM)
        #expect(first.wait() == 0)
        // Garbage over the database pages after the header.
        let handle = try #require(FileHandle(forWritingAtPath: stateDir + "/chatwarden.db"))
        handle.seek(toFileOffset: 100)
        handle.write(Data((0..<300_000).map { _ in UInt8.random(in: 0...255) }))
        handle.closeFile()
        write(state, 300..<600)
        let daemon = try startDaemon(state, stateDir: stateDir)
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        #expect(
            eventually(timeout: 20) { daemon.log.contains("cannot open the store; retrying") },
            "log: \(daemon.log.suffix(1500))")
        #expect(daemon.log.contains(stateDir + "/chatwarden.db"), "the error names the file")
        #expect(daemon.process.isRunning, "waits for the fault to pass instead of exiting into a restart loop")
        // The operator removes the broken file.
        for suffix in ["", "-wal", "-shm"] { unlink(stateDir + "/chatwarden.db" + suffix) }
        let expected = try referenceIDs(state)
        #expect(
            try eventually(timeout: 60) { Set(try alertIDs(stateDir)) == expected }, "log: \(daemon.log.suffix(1500))")
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    @Test("an archive file of binary garbage is quarantined line by line and the daemon goes on")
    func binaryGarbage() throws {
        let state = StateDir()
        let stateDir = state.path + "/state"
        let daemon = try startDaemon(state, stateDir: stateDir)
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        var garbage = Data((0..<300_000).map { _ in UInt8.random(in: 0...255) })
        garbage.append(Data("\n".utf8))
        try garbage.write(to: URL(fileURLWithPath: state.path + "/archive/garbage.jsonl"))
        write(state, 0..<50)
        let expected = try referenceIDs(state)
        #expect(try eventually(timeout: 30) { Set(try alertIDs(stateDir)) == expected })
        let quarantined = try Binary.jsonLines(
            Binary.run(
                ["quarantine", "--format", "json", "--limit", "100000"], environment: ["CHATWARDEN_STATE_DIR": stateDir]
            ).stdout)
        #expect(!quarantined.isEmpty)
        #expect(quarantined.allSatisfy { ($0["file"] as? String)?.hasSuffix("garbage.jsonl") == true })
        #expect(daemon.process.isRunning)
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
    }
}
