import Foundation
import GRDB
import Ingest
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The embedded store's database: one SQLite file in WAL mode, through GRDB.
///
/// WAL lets readers (the review CLI) run while a writer commits; writers wait for each other
/// (busy timeout) instead of failing with "database is locked".
///
/// **One owner per file per process.** SQLite's locks are POSIX advisory locks, which belong to
/// the process and the file, not to a descriptor: closing *any* descriptor on the database file
/// drops every lock the process holds on it. A daemon that opened the file a second time (the
/// notifier's own store, an open/close to create the file with its mode) lost the locks of its
/// writing connection; the next review command's close then believed it was the last user and
/// deleted the WAL under the daemon, whose later commits went into the deleted file (issue 15).
/// So: ``shared(path:)`` hands every ``ChatStore`` of a process the same pool for a given file,
/// and nothing outside SQLite ever opens a database that exists (see ``createIfMissing(_:)``).
final class SQLiteBackend: SQLBackend {
    let location: String
    /// A pool (WAL: readers beside the writer) for a file; a queue for a store in memory.
    let pool: any DatabaseWriter
    /// The file as opened (device and inode): the daemon compares it with what the path names
    /// now, to notice a store deleted or replaced under it.
    let identity: FileIdentity?
    var dialect: SQLDialect { .sqlite }

    /// The backend of every database file this process has open, by file identity.
    private static let open = Mutex<[FileIdentity: WeakBackend]>([:])

    private struct WeakBackend {
        weak var backend: SQLiteBackend?
    }

    /// The backend for the database at `path`: the one this process already has open on that
    /// file, or a new one (creating the file, mode 0640, and migrating it).
    static func shared(path: String) throws(StoreError) -> SQLiteBackend {
        try createIfMissing(path)
        return try open.withLock { (backends) throws(StoreError) -> SQLiteBackend in
            if let identity = FileIdentity.of(path: path)?.0, let existing = backends[identity]?.backend {
                return existing
            }
            let backend = try SQLiteBackend(path: path)
            backends = backends.filter { $0.value.backend != nil }
            if let identity = backend.identity { backends[identity] = WeakBackend(backend: backend) }
            return backend
        }
    }

    /// A database in memory (one connection; gone with the object), migrated like a file.
    static func inMemory() throws(StoreError) -> SQLiteBackend {
        try SQLiteBackend(path: ":memory:", inMemory: true)
    }

    /// Opens and migrates the database at `path` (see ``shared(path:)``: never open one file twice).
    private init(path: String, inMemory: Bool = false) throws(StoreError) {
        location = path
        do {
            if inMemory {
                pool = try DatabaseQueue(configuration: Self.configuration())
                identity = nil
                try SQLiteSchema.migrator.migrate(pool)
                return
            }
            pool = try DatabasePool(path: path, configuration: Self.configuration())
            // Taken once SQLite holds the file: the inode SQLite opened, not one found later.
            identity = FileIdentity.of(path: path)?.0
            try SQLiteSchema.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, message: Self.describe(error))
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "chatwarden"
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL: a commit is durable once the WAL is synced at
            // checkpoint; a crash loses at most the last transactions, which the checkpoint
            // in the same transaction makes the tailer read again.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // A large page cache and memory-mapped reads: the archive index is read-heavy
            // (FTS5 merges, index inserts) and re-reading pages through pread dominated.
            // The writer keeps the larger cache (index inserts touch B-tree pages all over);
            // readers answer small queries. Mapped pages count as the process's resident
            // memory, so the mapping is kept to 64 MB: a rescan of a million messages reads the
            // whole id index, and with 256 MB mapped stayed above 300 MB resident.
            try db.execute(sql: "PRAGMA cache_size = \(db.configuration.readonly ? -16384 : -65536)")
            try db.execute(sql: "PRAGMA mmap_size = 67108864")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return configuration
    }

    /// Creates the database file with mode 0640 before SQLite does (SQLite gives the WAL and
    /// shared-memory files the same mode as the database), only when there is no file yet:
    /// `O_EXCL` means the descriptor opened here is on an inode this call created, on which no
    /// SQLite connection of this process can hold a lock. An existing database is never opened
    /// outside SQLite (see the type's comment).
    static func createIfMissing(_ path: String) throws(StoreError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        if fd >= 0 {
            _ = Glibc.close(fd)
            return
        }
        let code = errno
        if code == EEXIST { return }
        throw StoreError(
            path: path, message: StoreError.describeAccess(path: path, errno: code, doing: "create the database"))
    }

    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError {
            return "SQLite error \(db.resultCode.rawValue): \(db.message ?? "\(db)")"
        }
        if let store = error as? StoreError { return store.message }
        return "\(error)"
    }

    func write<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T {
        do {
            return try withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let body = body
                return try pool.write { db in try body(GRDBExecutor(db: db)) }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: location, message: Self.describe(error))
        }
    }

    func read<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T {
        do {
            return try withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let body = body
                return try pool.read { db in try body(GRDBExecutor(db: db)) }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: location, message: Self.describe(error))
        }
    }

    func tryLock(_ name: String) throws(StoreError) -> Bool { true }

    func close() {}
}

/// Statements on one GRDB connection, prepared once and cached.
struct GRDBExecutor: SQLExecutor {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .null: return nil
                case .integer(let v): return v
                // SQLite's text binding stops at U+0000: a string holding one goes in as its bytes
                // (read back as text by `value(_:)`), so the evidence is never cut short.
                case .text(let s): return s.utf8.contains(0) ? Data(s.utf8) : s
                }
            })
    }

    static func value(_ dbValue: DatabaseValue) -> SQLValue {
        switch dbValue.storage {
        case .null: return .null
        case .int64(let v): return .integer(v)
        case .double(let d): return .integer(Int64(d))
        case .string(let s): return .text(s)
        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
        }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        let statement = try db.cachedStatement(sql: sql)
        try statement.execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { row in
            var values: [String: SQLValue] = [:]
            values.reserveCapacity(row.count)
            for (column, dbValue) in row where values[column] == nil { values[column] = Self.value(dbValue) }
            return SQLRow(values)
        }
    }

    func insert(_ insert: SQLInsert, rows: [[SQLValue]]) throws -> [SQLValue] {
        guard !rows.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: insert.columns.count).joined(separator: ", ")
        let columns = insert.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let statement = try db.cachedStatement(
            sql: "INSERT INTO \(insert.table) (\(columns)) VALUES (\(marks))\(insert.conflictClause)")
        var inserted: [SQLValue] = []
        let key = insert.returningIndex
        for row in rows {
            try statement.execute(arguments: Self.arguments(row))
            if let key, db.changesCount > 0 { inserted.append(row[key]) }
        }
        return inserted
    }

    func insertEach(_ insert: SQLInsert, rows: [[SQLValue]]) throws -> [Int64?] {
        guard !rows.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: insert.columns.count).joined(separator: ", ")
        let columns = insert.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let statement = try db.cachedStatement(
            sql: "INSERT INTO \(insert.table) (\(columns)) VALUES (\(marks))\(insert.conflictClause)")
        return try rows.map { row in
            try statement.execute(arguments: Self.arguments(row))
            return db.changesCount > 0 ? db.lastInsertedRowID : nil
        }
    }
}
