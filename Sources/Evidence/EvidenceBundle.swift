import Alerts
import Crypto
public import Foundation
public import Store
import Support
import Vocabulary
import ZIPFoundation

/// An evidence bundle (issue 20): one ZIP file a regulator or a court can be given, holding the
/// alerts, the messages around each, their review trail and who looked at them, their links of
/// the evidence chain with the chain's head, the rules in force, and a manifest with the
/// SHA-256 of every other file. `verify` fails on any changed byte, added or missing file; the
/// manifest's own SHA-256 is recorded in the store's (chained) access log when the bundle is
/// made, so a bundle whose manifest was rewritten to match edited files is caught against it.
public enum EvidenceBundle {
    public struct Contents: Sendable {
        public var alerts: [StoredAlert]
        public var manifestHash: String
        public var files: [(path: String, bytes: Int, sha256: String)]
    }

    /// Writes the bundle for `alerts` (with `context` messages before and after each) to `path`,
    /// mode 0640. `rules`: files of the rule set in force (path → bytes) for the record.
    public static func write(
        alerts: [StoredAlert], store: ChatStore, context: Int, rules: [(name: String, bytes: [UInt8])],
        createdBy: String, version: String, case caseName: String?, to path: String
    ) throws -> Contents {
        var files: [(String, [UInt8])] = []
        func jsonLines(_ values: [JSONValue]) -> [UInt8] { Array(values.map { $0.jsonText + "\n" }.joined().utf8) }

        files.append(
            (
                "alerts.jsonl",
                jsonLines(
                    alerts.map { s in
                        s.alert.jsonObject(extra: [
                            ("status", .string(s.status.rawValue)), ("staff", .string(s.staff)),
                            ("assignee", .string(s.assignee)),
                        ])
                    })
            ))
        var trail: [JSONValue] = []
        var accesses: [JSONValue] = []
        var chain: [JSONValue] = []
        for s in alerts {
            let id = s.alert.id
            let around = try store.context(msgid: s.alert.msgid, before: context, after: context) ?? []
            let recalls = try store.recalls(of: around.map(\.msgid))
            files.append(
                ("messages/\(id).jsonl", jsonLines(around.map { $0.jsonObject(recalledBy: recalls[$0.msgid]) })))
            trail += try store.reviewTrail(alertID: id).map(\.jsonObject)
            accesses += try store.accessLog(ref: id, limit: 10_000).reversed().map(\.jsonObject)
            chain += try store.chainEntries(kind: "alert", refs: [id]).map(\.jsonObject)
            chain += try store.chainEntries(kind: "review", refs: try store.reviewRowids(alertID: id)).map(\.jsonObject)
        }
        files.append(("trail.jsonl", jsonLines(trail)))
        files.append(("access.jsonl", jsonLines(accesses)))
        let head = try store.chainHead()
        files.append(
            (
                "chain.json",
                Array(
                    JSONValue.object([
                        ("entries", .array(chain)), ("head", head.map(\.jsonObject) ?? .null),
                        (
                            "how_to_check",
                            .string(
                                "Each entry's hash is SHA-256 of (prev_hash + content_hash) in hex; the head is the chain's newest entry when the bundle was made. `chatwarden verify` on the store checks every row against the chain."
                            )
                        ),
                    ]).jsonText.utf8)
            ))
        var ruleHashes: [JSONValue] = []
        for rule in rules {
            files.append(("rules/" + rule.name, rule.bytes))
            ruleHashes.append(.object([("file", .string(rule.name)), ("sha256", .string(sha256(rule.bytes)))]))
        }
        files.append(("README.txt", Array(readme(alerts: alerts.count, caseName: caseName).utf8)))

        let now = ChatStore.nowMilliseconds()
        let listed = files.map { (path: $0.0, bytes: $0.1.count, sha256: sha256($0.1)) }
        var manifestMembers: [(String, JSONValue)] = [
            ("format", .string("chatwarden-evidence-bundle/1")),
            ("created_at", .string(TimeFormat.iso8601UTC(milliseconds: now))),
            ("created_by", .string(createdBy)), ("chatwarden", .string(version)), ("store", .string(store.path)),
            ("alerts", .array(alerts.map { .string($0.alert.id) })),
            ("rule_version", .string(sha256(Array(ruleHashes.map(\.jsonText).joined(separator: "\n").utf8)))),
            ("chain_head", head.map { .string("#\($0.seq) \($0.hash)") } ?? .null),
            (
                "files",
                .array(
                    listed.map {
                        .object([
                            ("path", .string($0.path)), ("bytes", .integer(Int64($0.bytes))),
                            ("sha256", .string($0.sha256)),
                        ])
                    })
            ),
        ]
        if let caseName { manifestMembers.insert(("case", .string(caseName)), at: 1) }
        let manifest = Array(JSONValue.object(manifestMembers).jsonText.utf8)
        let manifestHash = sha256(manifest)

        let temporary = path + ".partial"
        unlink(temporary)
        let archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
        for (name, bytes) in [("manifest.json", manifest)] + files {
            let data = Data(bytes)
            try archive.addEntry(
                with: name, type: .file, uncompressedSize: Int64(data.count),
                modificationDate: Date(timeIntervalSince1970: Double(now) / 1000),
                permissions: 0o640, compressionMethod: .deflate
            ) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
        }
        chmod(temporary, 0o640)
        guard rename(temporary, path) == 0 else {
            throw BundleError(message: "\(path): cannot write: \(String(cString: strerror(errno)))")
        }
        try store.logAccess(
            account: createdBy, action: "bundle", ref: caseName ?? alerts.first?.alert.id ?? "",
            detail: "manifest sha256 \(manifestHash); \(alerts.count) alert(s); \(path)")
        return Contents(alerts: alerts, manifestHash: manifestHash, files: listed)
    }

    /// What `verify` found: nothing (intact) or each problem, and the manifest's SHA-256.
    public struct Verification: Sendable {
        public var problems: [String] = []
        public var manifestHash = ""
        public var files = 0
        public var intact: Bool { problems.isEmpty }
    }

    /// Checks every file of the bundle against its manifest: a changed byte, an added or a
    /// missing file, a damaged archive are each a problem.
    public static func verify(_ path: String) -> Verification {
        var result = Verification()
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            result.problems.append("\(path) is not a readable ZIP file: \(error)")
            return result
        }
        var contents: [String: [UInt8]] = [:]
        for entry in archive {
            guard entry.type == .file else { continue }
            var data = Data()
            do {
                _ = try archive.extract(entry) { data.append($0) }
            } catch {
                result.problems.append("\(entry.path): cannot be read (\(error)): the archive was damaged")
                continue
            }
            if contents[entry.path] != nil { result.problems.append("\(entry.path) is in the archive twice") }
            contents[entry.path] = Array(data)
        }
        guard let manifestBytes = contents.removeValue(forKey: "manifest.json") else {
            result.problems.append("manifest.json is missing")
            return result
        }
        result.manifestHash = sha256(manifestBytes)
        guard let manifest = try? JSONParser.parse(String(decoding: manifestBytes, as: UTF8.self)),
            let listed = manifest["files"]?.arrayValue
        else {
            result.problems.append("manifest.json is not a bundle manifest")
            return result
        }
        var expected: [String: String] = [:]
        for file in listed {
            guard let name = file["path"]?.stringValue, let hash = file["sha256"]?.stringValue else { continue }
            expected[name] = hash
        }
        for (name, hash) in expected.sorted(by: { $0.key < $1.key }) {
            guard let bytes = contents[name] else {
                result.problems.append("\(name) is listed in the manifest but missing")
                continue
            }
            if sha256(bytes) != hash {
                result.problems.append("\(name) was changed: its SHA-256 is not the manifest's")
            }
        }
        for name in contents.keys.sorted() where expected[name] == nil {
            result.problems.append("\(name) was added: it is not in the manifest")
        }
        result.files = expected.count
        return result
    }

    static func sha256(_ bytes: [UInt8]) -> String { Hex.lowercase(SHA256.hash(data: bytes)) }

    static func readme(alerts: Int, caseName: String?) -> String {
        """
        chatwarden 证据包 / evidence bundle
        \(caseName.map { "案件 / case: \($0)\n" } ?? "")告警 / alerts: \(alerts)

        manifest.json   每个文件的 SHA-256 / the SHA-256 of every other file
        alerts.jsonl    告警（与告警日志格式相同）/ the alerts, as the alert log writes them
        messages/       每条告警前后的聊天记录（原文）/ the conversation around each alert, as archived
        trail.jsonl     审查记录 / the review trail
        access.jsonl    查看与操作记录 / who viewed or acted on these alerts
        chain.json      防篡改哈希链中的对应条目及链头 / their evidence-chain entries and the chain's head
        rules/          生成时生效的词表 / the rule files in force when the bundle was made

        校验 / to check:  chatwarden bundle verify 本文件.zip
        任何字节被修改、文件被增加或删除，校验都会失败。manifest.json 自身的 SHA-256 在生成时已记入
        chatwarden 的访问日志（纳入哈希链）。
        Any changed byte, added or missing file fails the check. The SHA-256 of manifest.json itself
        was recorded in chatwarden's access log (which is chained) when the bundle was made.

        """
    }
}

public struct BundleError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

extension EvidenceBundle {
    /// The wordlist files in force, by name (directories listed, *.txt, sorted).
    public static func ruleFiles(_ paths: [String]) -> [(name: String, bytes: [UInt8])] {
        var files: [(String, [UInt8])] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let names =
                isDirectory.boolValue
                ? ((try? manager.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
                    .map { path + "/" + $0 } : [path]
            for name in names {
                if let bytes = FileIO.readAll(name) {
                    files.append((URL(fileURLWithPath: name).lastPathComponent, bytes))
                }
            }
        }
        return files
    }
}
