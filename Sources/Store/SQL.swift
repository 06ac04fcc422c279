/// The little SQL surface the store needs, so that its queries are written once and run on
/// SQLite (embedded, one machine) and PostgreSQL (shared by several daemons).
///
/// Queries use `?` placeholders (the PostgreSQL backend numbers them `$1, $2, …`) and the SQL
/// both databases accept: `INSERT … ON CONFLICT … DO NOTHING / DO UPDATE`, row values,
/// `"offset"` quoted (a reserved word in PostgreSQL). Where they differ (full-text search, dates)
/// the store asks ``SQLDialect``. Values only ever reach SQL as bound parameters.

/// A value bound to or read from SQL: the store keeps integers and text only.
public enum SQLValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case text(String)

    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: Int64) { self = .integer(value) }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }

    public var int64: Int64? {
        switch self {
        case .integer(let v): return v
        case .text(let s): return Int64(s)
        case .null: return nil
        }
    }

    public var string: String? {
        switch self {
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .null: return nil
        }
    }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    var values: [String: SQLValue]

    init(_ values: [String: SQLValue]) { self.values = values }

    public subscript(_ column: String) -> SQLValue { values[column] ?? .null }
    func string(_ column: String) -> String { self[column].string ?? "" }
    func optionalString(_ column: String) -> String? { self[column].string }
    func int64(_ column: String) -> Int64 { self[column].int64 ?? 0 }
    func optionalInt64(_ column: String) -> Int64? { self[column].int64 }
    func int(_ column: String) -> Int { Int(self[column].int64 ?? 0) }
}

/// Where the two databases' SQL differs.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// `text` as this database holds it. SQLite keeps every character, U+0000 included (a
    /// string holding one is bound as bytes, so nothing cuts it there). PostgreSQL's `text`
    /// cannot hold U+0000 at all: it is kept as U+FFFD, and the rest of the text is whole.
    func stored(_ text: String) -> String {
        guard self == .postgres, text.utf8.contains(0) else { return text }
        return String(text.unicodeScalars.map { $0.value == 0 ? "\u{FFFD}" : Character($0) })
    }

    /// `value` as this database holds it (see ``stored(_:)``).
    func stored(_ value: SQLValue) -> SQLValue {
        if case .text(let text) = value { return .text(stored(text)) }
        return value
    }
}

/// A bulk insert: `INSERT INTO table (columns) VALUES … ON CONFLICT conflict`.
struct SQLInsert {
    var table: String
    var columns: [String]
    /// What follows `ON CONFLICT`: `DO NOTHING`, or `(key) DO UPDATE SET …`; empty for none
    /// (virtual tables, such as the search index, take no upsert clause).
    var conflict: String
    var conflictClause: String { conflict.isEmpty ? "" : " ON CONFLICT " + conflict }
    /// A column whose values, for the rows actually inserted, ``SQLExecutor/insert(_:rows:)`` returns.
    var returning: String?
    /// The index of `returning` in `columns`.
    var returningIndex: Int? { returning.flatMap { columns.firstIndex(of: $0) } }
}

/// Runs statements inside one transaction (or one read).
protocol SQLExecutor {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
    /// Inserts many rows; returns the `returning` values of the rows inserted (not those that
    /// conflicted), in no particular order. Empty when `returning` is nil.
    @discardableResult
    func insert(_ insert: SQLInsert, rows: [[SQLValue]]) throws -> [SQLValue]
    /// Inserts rows one by one and returns the rowid each got, nil where it conflicted
    /// (SQLite, whose contentless search index is keyed by the message's rowid).
    func insertEach(_ insert: SQLInsert, rows: [[SQLValue]]) throws -> [Int64?]
}

extension SQLExecutor {
    @discardableResult
    func execute(_ sql: String) throws -> Int { try execute(sql, []) }
    func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }
    func one(_ sql: String, _ arguments: [SQLValue] = []) throws -> SQLRow? { try query(sql, arguments).first }
    func scalar(_ sql: String, _ arguments: [SQLValue] = []) throws -> SQLValue {
        guard let row = try query(sql, arguments).first, let value = row.values.values.first else { return .null }
        return value
    }
    func count(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int { Int(try scalar(sql, arguments).int64 ?? 0) }
}

/// A database the store runs on: transactions to write, consistent snapshots to read.
protocol SQLBackend: Sendable {
    /// What error messages name: the SQLite file, or the PostgreSQL URL without its password.
    var location: String { get }
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws.
    func write<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T
    /// Runs `body` on a consistent view of the database.
    func read<T>(_ body: (any SQLExecutor) throws -> T) throws(StoreError) -> T
    /// Takes, or tries to take, a lock held until this connection closes (PostgreSQL advisory
    /// locks; always granted on SQLite, whose single writer is the only daemon).
    func tryLock(_ name: String) throws(StoreError) -> Bool
    func close()
}

/// `?` placeholders to PostgreSQL's `$1, $2, …`, leaving quoted strings and identifiers alone.
func numberedPlaceholders(_ sql: String) -> String {
    var out = ""
    out.reserveCapacity(sql.utf8.count + 16)
    var n = 0
    var quote: Character? = nil
    for c in sql {
        if let q = quote {
            out.append(c)
            if c == q { quote = nil }
        } else if c == "'" || c == "\"" {
            quote = c
            out.append(c)
        } else if c == "?" {
            n += 1
            out += "$\(n)"
        } else {
            out.append(c)
        }
    }
    return out
}
