import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization
import Support

/// Where a PostgreSQL store is: parsed from `postgres://user:password@host:port/database?sslmode=…`.
///
/// `host` may be a directory holding the server's Unix socket (`?host=/run/postgresql`), as with
/// libpq. The password may instead come from `$PGPASSWORD`. `sslmode`: `disable`, `prefer`
/// (the default, except on loopback and Unix sockets where it is `disable`), `require`
/// (encrypted, certificate not checked, as libpq's `require`) or `verify-full`.
public struct PostgresLocation: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var socketPath: String?
    public var sslMode: String

    /// Whether `text` names a PostgreSQL store rather than a SQLite file.
    public static func matches(_ text: String) -> Bool {
        StoreLocation.isPostgres(text)
    }

    public init(url text: String) throws(StoreError) {
        try self.init(url: text, environment: ProcessInfo.processInfo.environment)
    }

    public init(url text: String, environment: [String: String]) throws(StoreError) {
        func fail(_ why: String) -> StoreError {
            StoreError(
                path: Self.redact(text),
                message: "not a PostgreSQL URL: \(why) (postgres://user[:password]@host[:port]/database)")
        }
        guard Self.matches(text), let components = URLComponents(string: text) else { throw fail("cannot parse it") }
        user = components.percentEncodedUser?.removingPercentEncoding ?? environment["PGUSER"] ?? "chatwarden"
        password = components.percentEncodedPassword?.removingPercentEncoding ?? environment["PGPASSWORD"]
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = components.port ?? 5432
        database = String(components.path.drop { $0 == "/" })
        if database.isEmpty { database = user }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let loopback = host == "localhost" || host == "127.0.0.1" || host == "::1"
        socketPath = nil
        if let dir = query["host"], dir.hasPrefix("/") {
            socketPath = dir + "/.s.PGSQL.\(port)"
        }
        sslMode = query["sslmode"] ?? (loopback || socketPath != nil ? "disable" : "prefer")
        guard ["disable", "prefer", "require", "verify-full"].contains(sslMode) else {
            throw fail("sslmode must be disable, prefer, require or verify-full")
        }
        for key in query.keys where !["host", "sslmode"].contains(key) {
            throw fail("unknown parameter '\(key)'")
        }
    }

    /// The URL with its password replaced, for messages and logs.
    public var redacted: String {
        let at = socketPath.map { "?host=" + String($0.dropLast(".s.PGSQL.\(port)".count + 1)) } ?? ""
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)\(at)"
    }

    /// `text` with the password of its user-info part (between `://` and the last `@` before
    /// the path) replaced; done by hand, because a URL too broken to parse may still hold one.
    static func redact(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authority = rest[..<(rest.firstIndex(of: "/") ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return text
        }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }

    func configuration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketPath {
            configuration = .init(unixSocketPath: socketPath, username: user, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch sslMode {
            case "disable":
                tls = .disable
            case "verify-full":
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            default:
                var client = TLSConfiguration.makeClientConfiguration()
                client.certificateVerification = .none
                let context = try NIOSSLContext(configuration: client)
                tls = sslMode == "require" ? .require(context) : .prefer(context)
            }
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}

/// The shared store's database: PostgreSQL through postgres-nio, one connection per store
/// object, used synchronously (the pipeline commits a batch at a time from one thread).
///
/// A connection that breaks (server restart, network) is opened again on the next call; the
/// transaction that was running is lost whole, as with SQLite, and the caller's retry (the
/// daemon retries failed commits) redoes it.
final class PostgresBackend: SQLBackend {
    let target: PostgresLocation
    let location: String
    var dialect: SQLDialect { .postgres }
    private let state = Mutex(ConnectionState())
    struct ConnectionState {
        var connection: PostgresConnection?
        /// Counts connections opened: a lock taken on an earlier one was lost with it.
        var generation = 0
        /// Advisory locks held, by name → the generation of the connection that took them.
        var locks: [String: Int] = [:]
    }
    private let logger: Logger
    /// One transaction at a time on the connection (a store object may be shared by threads).
    private let serial = NSLock()
    private static let nextID = Atomic<Int>(1)

    init(url: String) throws(StoreError) {
        target = try PostgresLocation(url: url)
        location = target.redacted
        var logger = Logger(label: "chatwarden.postgres")
        logger.logLevel = .critical
        self.logger = logger
        try migrate()
    }

    deinit { close() }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let detail = info[.detail].map { ": \($0)" } ?? ""
                return "PostgreSQL: \(info[.message] ?? "error")\(detail)\(state)"
            }
            if let underlying = error.underlying { return "PostgreSQL connection: \(underlying)" }
            return "PostgreSQL: \(error.code)"
        }
        if let store = error as? StoreError { return store.message }
        return "\(error)"
    }

    /// The open connection, opening one when there is none or it broke.
    private func open() throws -> (PostgresConnection, generation: Int) {
        try state.withLock { state in
            if let current = state.connection, !current.isClosed { return (current, state.generation) }
            let id = Self.nextID.add(1, ordering: .relaxed).oldValue
            let opened = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: target.configuration(), id: id,
                logger: logger
            ).wait()
            state.connection = opened
            state.generation += 1
            return (opened, state.generation)
        }
    }

    /// Runs `body` between `begin` and COMMIT, rolling back when it throws.
    private func transaction<T>(_ begin: String, _ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T {
        serial.lock()
        defer { serial.unlock() }
        do {
            let executor = PostgresExecutor(connection: try open().0, logger: logger)
            try executor.execute(begin)
            do {
                let result = try body(executor)
                try executor.execute("COMMIT")
                return result
            } catch {
                _ = try? executor.execute("ROLLBACK")
                throw error
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: location, message: Self.describe(error))
        }
    }

    func write<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T {
        try transaction("BEGIN", body)
    }

    func read<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// Session-level advisory locks: held until the connection closes, so a daemon killed with
    /// SIGKILL lets go at once. Asking again is free while the connection that took the lock is
    /// open; after a reconnect the lock is taken again (or found taken by another process).
    func tryLock(_ name: String) throws(StoreError) -> Bool {
        serial.lock()
        defer { serial.unlock() }
        do {
            let (connection, generation) = try open()
            if state.withLock({ $0.locks[name] == generation }) { return true }
            let executor = PostgresExecutor(connection: connection, logger: logger)
            let granted =
                try executor.scalar(
                    "SELECT CASE WHEN pg_try_advisory_lock(hashtext(?)) THEN 1 ELSE 0 END", [.text(name)]
                ).int64 == 1
            if granted { state.withLock { $0.locks[name] = generation } }
            return granted
        } catch {
            throw StoreError(path: location, message: Self.describe(error))
        }
    }

    func close() {
        let current = state.withLock { state -> PostgresConnection? in
            defer {
                state.connection = nil
                state.locks.removeAll()
            }
            return state.connection
        }
        try? current?.close().wait()
    }

    /// Brings the schema up to date. Several daemons may start at once: the migration runs
    /// under an advisory transaction lock, so one migrates and the others then find it done.
    private func migrate() throws(StoreError) {
        try write { db in
            try db.execute("SELECT pg_advisory_xact_lock(hashtext('chatwarden-migrations'))")
            try db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let done = Set(try db.query("SELECT version FROM schema_migrations").map { $0.string("version") })
            for (version, sql) in PostgresSchema.migrations where !done.contains(version) {
                for statement in sql { try db.execute(statement) }
                try db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.text(version), .integer(ChatStore.nowMilliseconds())])
            }
        }
    }
}

/// Statements on one PostgreSQL connection.
struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    /// PostgreSQL takes at most 65,535 parameters per statement.
    static let maxParameters = 30_000

    static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .text(let s): bindings.append(SQLDialect.postgres.stored(s))
            }
        }
        return bindings
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        try connection.query(
            PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: Self.bindings(arguments)), logger: logger
        ).wait()
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try run(sql, arguments).rows.map { row in
            var values: [String: SQLValue] = [:]
            for cell in row where values[cell.columnName] == nil { values[cell.columnName] = try Self.value(cell) }
            return SQLRow(values)
        }
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .integer(try cell.decode(Int64.self))
        case .int4: return .integer(Int64(try cell.decode(Int32.self)))
        case .int2: return .integer(Int64(try cell.decode(Int16.self)))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric: return .integer(Int64(try cell.decode(String.self)) ?? 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// Many rows per statement (multi-row VALUES), so a batch of 2,000 messages costs a handful of
    /// round trips instead of 2,000.
    func insert(_ insert: SQLInsert, rows: [[SQLValue]]) throws -> [SQLValue] {
        guard !rows.isEmpty else { return [] }
        let width = insert.columns.count
        let perStatement = max(1, Self.maxParameters / width)
        let columns = insert.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        var inserted: [SQLValue] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var sql = "INSERT INTO \(insert.table) (\(columns)) VALUES "
            var arguments: [SQLValue] = []
            arguments.reserveCapacity(chunk.count * width)
            var n = 0
            for (i, row) in chunk.enumerated() {
                sql += i == 0 ? "(" : ", ("
                for j in 0..<width {
                    n += 1
                    sql += j == 0 ? "$\(n)" : ", $\(n)"
                }
                sql += ")"
                arguments += row
            }
            sql += insert.conflictClause
            if let returning = insert.returning { sql += " RETURNING \"\(returning)\"" }
            // Already numbered: run directly rather than through `?` numbering.
            let result = try connection.query(
                PostgresQuery(unsafeSQL: sql, binds: Self.bindings(arguments)), logger: logger
            ).wait()
            if let returning = insert.returning {
                for row in result.rows {
                    for cell in row where cell.columnName == returning { inserted.append(try Self.value(cell)) }
                }
            }
            start += chunk.count
        }
        return inserted
    }

    func insertEach(_ insert: SQLInsert, rows: [[SQLValue]]) throws -> [Int64?] {
        throw StoreError(
            path: "", message: "insertEach is for SQLite's search index; PostgreSQL keeps search_text in the row")
    }
}
