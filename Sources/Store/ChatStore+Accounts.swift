public import Vocabulary
import Foundation

/// An account of the review desk (console and CLI). The password is stored as a bcrypt hash,
/// made by the caller (the store never sees a password).
public struct Account: Sendable, Equatable {
    public var name: String
    public var role: Role
    public var passwordHash: String
    public var disabled: Bool
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// One entry of the access log: who looked at or changed what, outside the review trail.
public struct AccessRecord: Sendable, Equatable {
    public var account: String
    /// What was done: `view-alert`, `view-conversation`, `search`, `export`, `report`, `login`,
    /// `login-failed`, `user-add`, `user-disable`, `user-enable`, `user-passwd`.
    public var action: String
    /// What it was done to (an alert id, a conversation key, a user name).
    public var ref: String
    public var detail: String
    public var at: Int64
}

/// Accounts, saved filters and the access log.
extension ChatStore {
    /// Account names: letters, digits, `.`, `_`, `-`, 1–64 of them (they appear in the trail,
    /// in URLs and in file names of exports).
    public static func isValidAccountName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
            }
    }

    static func account(from row: SQLRow) -> Account {
        Account(
            name: row.string("name"), role: Role(rawValue: row.string("role")) ?? .auditor,
            passwordHash: row.string("password_hash"), disabled: row.int64("disabled") != 0,
            createdAt: row.int64("created_at"), updatedAt: row.int64("updated_at"))
    }

    public func accounts() throws(StoreError) -> [Account] {
        try read { db in try db.query("SELECT * FROM users ORDER BY name").map(Self.account(from:)) }
    }

    public func account(named name: String) throws(StoreError) -> Account? {
        try read { db in try db.one("SELECT * FROM users WHERE name = ?", [.text(name)]).map(Self.account(from:)) }
    }

    /// Adds an account; `by` is who did it (recorded in the access log).
    public func addAccount(
        name: String, role: Role, passwordHash: String, by: String, now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) {
        guard Self.isValidAccountName(name) else {
            throw StoreError(
                path: path, message: "'\(name)' is not a valid account name (1–64 letters, digits, '.', '_', '-')")
        }
        try write { db in
            if try db.one("SELECT name FROM users WHERE name = ?", [.text(name)]) != nil {
                throw StoreError(path: self.path, message: "an account named '\(name)' exists already")
            }
            try db.execute(
                "INSERT INTO users (name, role, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)",
                [.text(name), .text(role.rawValue), .text(passwordHash), .integer(now), .integer(now)])
            try Self.appendAccess(db, account: by, action: "user-add", ref: name, detail: role.rawValue, now: now)
        }
    }

    /// Changes an account: its password hash, whether it is disabled, its role (nil: unchanged).
    public func updateAccount(
        name: String, passwordHash: String? = nil, disabled: Bool? = nil, role: Role? = nil, by: String,
        now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) {
        try write { db in
            guard try db.one("SELECT name FROM users WHERE name = ?", [.text(name)]) != nil else {
                throw StoreError(path: self.path, message: "no account named '\(name)'")
            }
            if let passwordHash {
                try db.execute(
                    "UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?",
                    [.text(passwordHash), .integer(now), .text(name)])
                try Self.appendAccess(db, account: by, action: "user-passwd", ref: name, detail: "", now: now)
            }
            if let disabled {
                try db.execute(
                    "UPDATE users SET disabled = ?, updated_at = ? WHERE name = ?",
                    [.integer(disabled ? 1 : 0), .integer(now), .text(name)])
                try Self.appendAccess(
                    db, account: by, action: disabled ? "user-disable" : "user-enable", ref: name, detail: "", now: now)
            }
            if let role {
                try db.execute(
                    "UPDATE users SET role = ?, updated_at = ? WHERE name = ?",
                    [.text(role.rawValue), .integer(now), .text(name)])
                try Self.appendAccess(db, account: by, action: "user-role", ref: name, detail: role.rawValue, now: now)
            }
        }
    }

    // MARK: - Access log

    /// Records that `account` did `action` to `ref` (a view, a search, an export, a login), chained
    /// like the review trail.
    public func logAccess(
        account: String, action: String, ref: String, detail: String = "", now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) {
        try write { db in
            try Self.appendAccess(db, account: account, action: action, ref: ref, detail: detail, now: now)
        }
    }

    static func appendAccess(
        _ db: any SQLExecutor, account: String, action: String, ref: String, detail: String, now: Int64
    ) throws {
        let values: [SQLValue] = [.text(account), .text(action), .text(ref), .text(detail), .integer(now)]
        let row = try db.one(
            "INSERT INTO access_log (account, action, ref, detail, at) VALUES (?, ?, ?, ?, ?) RETURNING rowid", values)
        try EvidenceChain.append(
            [(.access, row?.string("rowid") ?? "", EvidenceChain.contentHash(values.map(db.dialect.stored)))], db,
            now: now)
    }

    /// The access log, newest first; `ref` narrows it to one alert, conversation or account.
    public func accessLog(ref: String? = nil, limit: Int = 100) throws(StoreError) -> [AccessRecord] {
        try read { db in
            let rows =
                if let ref {
                    try db.query(
                        "SELECT * FROM access_log WHERE ref = ? ORDER BY rowid DESC LIMIT ?",
                        [.text(ref), .integer(Int64(limit))])
                } else {
                    try db.query("SELECT * FROM access_log ORDER BY rowid DESC LIMIT ?", [.integer(Int64(limit))])
                }
            return rows.map {
                AccessRecord(
                    account: $0.string("account"), action: $0.string("action"), ref: $0.string("ref"),
                    detail: $0.string("detail"), at: $0.int64("at"))
            }
        }
    }

    // MARK: - Saved filters

    /// Saves (or replaces) a named filter of `owner`'s: the queue's query string.
    public func saveFilter(
        owner: String, name: String, query: String, now: Int64 = ChatStore.nowMilliseconds()
    )
        throws(StoreError)
    {
        try write { db in
            try db.execute("DELETE FROM saved_filters WHERE owner = ? AND name = ?", [.text(owner), .text(name)])
            try db.execute(
                "INSERT INTO saved_filters (owner, name, query, created_at) VALUES (?, ?, ?, ?)",
                [.text(owner), .text(name), .text(query), .integer(now)])
        }
    }

    public func deleteFilter(owner: String, name: String) throws(StoreError) {
        _ = try write { db in
            try db.execute("DELETE FROM saved_filters WHERE owner = ? AND name = ?", [.text(owner), .text(name)])
        }
    }

    /// `owner`'s saved filters by name: (name, query string).
    public func savedFilters(owner: String) throws(StoreError) -> [(name: String, query: String)] {
        try read { db in
            try db.query("SELECT name, query FROM saved_filters WHERE owner = ? ORDER BY name", [.text(owner)]).map {
                ($0.string("name"), $0.string("query"))
            }
        }
    }

    /// The categories and rules of the alerts the store holds, for "unknown category" errors
    /// and the console's filter menus.
    public func knownCategoriesAndRules() throws(StoreError) -> (categories: [String], rules: [String]) {
        try read { db in
            let categories = try db.query("SELECT DISTINCT category FROM alerts ORDER BY category").map {
                $0.string("category")
            }
            let rules = try db.query("SELECT DISTINCT rule FROM alerts ORDER BY rule").map { $0.string("rule") }
            return (categories, rules)
        }
    }

    /// The accounts that have alerts (the assignee filter's menu).
    public func assignees() throws(StoreError) -> [String] {
        try read { db in
            try db.query("SELECT DISTINCT assignee FROM alerts WHERE assignee <> '' ORDER BY assignee").map {
                $0.string("assignee")
            }
        }
    }
}

extension ChatStore {
    /// Conversation keys and room ids of alerts that start with `prefix` (the CLI accepts the
    /// cut-off id a table shows), at most `limit`.
    public func conversations(prefix: String, limit: Int = 20) throws(StoreError) -> [String] {
        try read { db in
            let like = Self.likeEscaped(prefix) + "%"
            let rows = try db.query(
                """
                SELECT DISTINCT key FROM (
                    SELECT roomid AS key FROM alerts WHERE roomid LIKE ? ESCAPE '\\'
                    UNION SELECT conversation AS key FROM alerts WHERE conversation LIKE ? ESCAPE '\\'
                ) AS keys WHERE key <> '' ORDER BY key LIMIT ?
                """, [.text(like), .text(like), .integer(Int64(limit))])
            return rows.map { $0.string("key") }
        }
    }
}
