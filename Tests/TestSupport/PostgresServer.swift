import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A real PostgreSQL server for the tests: Debian's `postgresql` package, initialised in a
/// temporary directory and started on a free loopback port the first time a test asks, stopped
/// when the test process exits. Each test gets a database of its own.
///
/// The server refuses to run as root; under root (CI containers) it runs as the `postgres` user
/// that Debian's package creates.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    /// The major version (Debian's newest installed).
    public let version: Int
    let binaries: String

    /// Why the server could not start (nil: it runs).
    nonisolated(unsafe) public static var failure: String?

    /// The server, started on first use; nil (with ``failure`` saying why) when it cannot run.
    public static let shared: PostgresServer? = {
        do {
            return try PostgresServer()
        } catch {
            failure = "\(error)"
            return nil
        }
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted()
        guard let version = versions.last else {
            throw Failure(
                description:
                    "PostgreSQL is not installed (/usr/lib/postgresql/*/bin): `make test` installs Debian's postgresql package"
            )
        }
        binaries = "/usr/lib/postgresql/\(version)/bin"
        self.version = version
        directory = NSTemporaryDirectory() + "cw-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = Int(try freeLoopbackPort())
        let asRoot = geteuid() == 0
        if asRoot {
            guard getpwnam("postgres") != nil else {
                throw Failure(description: "running as root and there is no postgres user to run the server as")
            }
            try Self.run("/bin/chown", ["postgres", directory])
        }
        try run(
            binaries + "/initdb",
            ["-D", directory + "/data", "-U", "chatwarden", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        // Durability off: the tests kill daemons, not the database server.
        try run(
            binaries + "/pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60",
                "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                "start",
            ])
        let dataDirectory = directory + "/data"
        let pgctl = binaries + "/pg_ctl"
        Self.stopCommand =
            asRoot
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", pgctl, "-D", dataDirectory, "-m", "immediate", "stop"]
            : [pgctl, "-D", dataDirectory, "-m", "immediate", "stop"]
        atexit {
            guard let command = PostgresServer.stopCommand else { return }
            _ = try? PostgresServer.run(command[0], Array(command.dropFirst()))
        }
    }

    nonisolated(unsafe) static var stopCommand: [String]?

    /// Runs a server program, as the postgres user under root.
    func run(_ program: String, _ arguments: [String]) throws {
        if geteuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try Self.run(program, arguments)
        }
    }

    /// Runs a program to completion and returns what it printed. posix_spawn and waitpid, not
    /// Foundation's Process: `pg_ctl start` leaves a server behind that inherits the process
    /// group, and Process.waitUntilExit was seen to hang on it.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "cw-pg-out-" + UUID().uuidString
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot run \(program): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED && WEXITSTATUS == 0, spelled out (the macros are not imported).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure(
                description:
                    "\(program) \(arguments.joined(separator: " ")) failed (status \(status)): \(text.suffix(2000))")
        }
        return text
    }

    /// A new empty database; its URL.
    /// `ctype`: the database's LC_CTYPE (the server's default is C.UTF-8).
    public func createDatabase(ctype: String? = nil) throws -> String {
        let name = "cw_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let options = ctype.map { " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '\($0)' LC_CTYPE '\($0)'" } ?? ""
        try Self.run(
            "/usr/bin/psql",
            [
                "-X", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", "chatwarden", "-d", "postgres", "-c",
                "CREATE DATABASE \(name)\(options)",
            ])
        return url(database: String(name))
    }

    public func url(database: String) -> String {
        "postgres://chatwarden@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL with psql (for checks made behind the store's back); returns unaligned output.
    public func psql(_ database: String, _ sql: String) throws -> String {
        try Self.run(
            "/usr/bin/psql",
            ["-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", "\(port)", "-U", "chatwarden", "-d", database, "-c", sql])
    }
}
