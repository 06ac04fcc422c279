import Alerts
import Crypto
import Foundation
public import Support

/// When a rule version came into force, and what it held.
public struct RuleActivation: Sendable, Equatable {
    public var version: String
    public var daemon: String
    /// `start`, `reload` or `scan`.
    public var reason: String
    public var at: Int64
    /// Category id → entries (words, patterns, allowed phrases) as written.
    public var entries: [String: [String]]
}

/// Rule versions (issue 20): the SHA-256 of a rule set's canonical text, its entries, and when
/// each came into force.
extension ChatStore {
    /// The version of a rule set from its canonical text.
    public static func ruleVersion(canonicalText: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(canonicalText.utf8)))
    }

    /// Records that the rule set with `canonicalText` and `entries` came into force now, for
    /// `reason`; returns its version.
    @discardableResult
    public func recordRuleVersion(
        canonicalText: String, entries: [String: [String]], reason: String, now: Int64 = ChatStore.nowMilliseconds()
    ) throws(StoreError) -> String {
        let version = Self.ruleVersion(canonicalText: canonicalText)
        let encoded = JSONValue.object(
            entries.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map(JSONValue.string))) }
        ).jsonText
        try write { db in
            if try db.one("SELECT version FROM rule_versions WHERE version = ?", [.text(version)]) == nil {
                try db.execute(
                    "INSERT INTO rule_versions (version, entries, first_seen) VALUES (?, ?, ?)",
                    [.text(version), .text(encoded), .integer(now)])
            }
            try db.execute(
                "INSERT INTO rule_activations (version, daemon, reason, at) VALUES (?, ?, ?, ?)",
                [.text(version), .text(self.daemon), .text(reason), .integer(now)])
        }
        return version
    }

    /// Activations, oldest first, each with its version's entries. `changesOnly`: only those
    /// whose version differs from the one before.
    public func ruleHistory(changesOnly: Bool = false) throws(StoreError) -> [RuleActivation] {
        let rows: [SQLRow] = try read { db in
            try db.query(
                "SELECT a.version, a.daemon, a.reason, a.at, v.entries FROM rule_activations a JOIN rule_versions v ON v.version = a.version ORDER BY a.rowid"
            )
        }
        var entries: [String: [String: [String]]] = [:]
        var history: [RuleActivation] = []
        for row in rows {
            let version = row.string("version")
            if entries[version] == nil {
                var decoded: [String: [String]] = [:]
                if case .object(let members)? = try? JSONParser.parse(row.string("entries")) {
                    for (key, value) in members { decoded[key] = value.arrayValue?.compactMap(\.stringValue) ?? [] }
                }
                entries[version] = decoded
            }
            if changesOnly, history.last?.version == version { continue }
            history.append(
                RuleActivation(
                    version: version, daemon: row.string("daemon"), reason: row.string("reason"), at: row.int64("at"),
                    entries: entries[version] ?? [:]))
        }
        return history
    }
}
