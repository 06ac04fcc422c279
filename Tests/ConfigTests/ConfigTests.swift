import Foundation
import Testing
@testable import Config
import Alerts
import Archive
import Detect
import PCRE2
import Rules
import Support
import Vocabulary

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("Configuration")
struct ConfigTests {
    @Test("the documented example configuration parses")
    func example() throws {
        let config = try Config.load(file: repositoryRoot + "/config/chatwarden.toml")
        #expect(config.stateDirectory == "/var/lib/chatwarden")
        #expect(config.alertLogPath == "/var/log/chatwarden/alerts.jsonl")
        #expect(config.limits.matchLimit == 1_000_000)
        #expect(config.watch == ["/srv/wecom-archive/*.jsonl*"])
        #expect(config.detectors?.count == 8, "every built-in contact detector is listed")
    }

    @Test("the store: a file, or a PostgreSQL URL; the daemon's name matters only for a shared store")
    func storeChoice() throws {
        var config = try Config.parse(
            "store = \"postgres://cw@db/chatwarden\"\n[daemon]\nname = \"archive-1\"\n", file: "pg.toml")
        #expect(config.usesSharedStore)
        #expect(config.resolvedDaemonName == "archive-1")
        config.storeOverride = "/tmp/x.db"
        #expect(!config.usesSharedStore && config.resolvedDaemonName == "", "--store wins over the file")
        let unnamed = try Config.parse("store = \"postgresql://cw@db/chatwarden\"\n", file: "pg.toml")
        #expect(unnamed.usesSharedStore && !unnamed.resolvedDaemonName.isEmpty, "the host name by default")
    }

    @Test("an empty file gives every default")
    func defaults() throws {
        let config = try Config.parse("", file: "empty.toml")
        #expect(config.archiveFormat == .wecom)
        #expect(config.batchSize == 2000)
        #expect(config.detectors == nil)
        #expect(config.resolvedStorePath.hasSuffix("/chatwarden.db"))
    }

    @Test(
        "errors name the file, the line and the key",
        arguments: [
            ("state_dir = 5\n", 1, "state_dir", "string"),
            ("[rules]\nmatch_limit = 10\n", 2, "rules.match_limit", "between"),
            ("[rules]\n\njitt = true\n", 3, "rules.jitt", "unknown setting"),
            ("[archive]\nformat = \"xml\"\n", 2, "archive.format", "wecom"),
            ("[rules]\ndetectors = [\"contact.fax\"]\n", 2, "rules.detectors", "unknown detector"),
            ("[daemon]\nwatch = [1]\n", 2, "daemon.watch", "list of strings"),
            ("[daemon]\nname = \"host 1; drop\"\n", 2, "daemon.name", "letters, digits"),
        ])
    func errors(text: String, line: Int, key: String, message: String) {
        do {
            _ = try Config.parse(text, file: "bad.toml")
            Issue.record("\(text) must not parse")
        } catch {
            #expect(error.file == "bad.toml")
            #expect(error.line == line, "\(error)")
            #expect(error.key == key)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("TOML syntax errors carry the parser's line and column")
    func syntax() {
        do {
            _ = try Config.parse("state_dir = \"unterminated\n", file: "bad.toml")
            Issue.record("must not parse")
        } catch {
            #expect(error.line == 1)
            #expect(error.key == nil)
        }
    }

    @Test("a mapped archive format with its field paths")
    func mapping() throws {
        let config = try Config.parse(
            "[archive]\nformat = \"mapped\"\n[archive.mapping]\nmsgid = \"meta.id\"\ntime_unit = \"s\"\n",
            file: "m.toml")
        #expect(config.archiveFormat == .mapped)
        #expect(config.mapping.msgid == "meta.id")
        #expect(config.mapping.timeInSeconds)
    }
}

@Suite("Configuration: hostile input")
struct ConfigHostileTests {
    @Test("control characters are refused with their line and column before the TOML parser sees them")
    func controlCharacters() {
        do {
            _ = try Config.parse("state_dir = \"/x\"\n[\u{1B}daemon]\n", file: "evil.toml")
            Issue.record("must not parse")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 2)
            #expect(error.message.contains("U+001B"))
        }
    }
}

@Suite("TOML subset")
struct TOMLTests {
    @Test("tables, quoted keys, strings with escapes, integers, booleans, lists across lines")
    func values() throws {
        let table = try TOML.parse(
            """
            # comment
            a = "x\\ty\\u52a0"   # trailing comment
            'b' = 'C:\\path'
            [s.t]
            n = -1_000
            ok = true
            list = [
              "one",  # comment inside
              "two",
            ]
            """)
        #expect(table.entries["a"] == .string("x\ty加"))
        #expect(table.entries["b"] == .string("C:\\path"))
        guard case .table(let s)? = table.entries["s"], case .table(let t)? = s.entries["t"] else {
            Issue.record("missing tables")
            return
        }
        #expect(t.entries["n"] == .integer(-1000))
        #expect(t.entries["ok"] == .bool(true))
        #expect(t.entries["list"] == .array([.string("one"), .string("two")]))
        #expect(t.lines["list"] == 7)
    }

    @Test(
        "errors give line and column",
        arguments: [
            ("a = 1\na = 2\n", 2, "set twice"),
            ("[x]\n[x]\n", 2, "defined twice"),
            ("a = {b = 1}\n", 1, "inline tables"),
            ("a = 1.5\n", 1, "whole decimal"),
            ("a = \"open\n", 1, "not closed"),
            ("a = [1, 2\n", 2, "not closed"),
            ("a = 1 b\n", 1, "end of the line"),
            ("= 1\n", 1, "cannot start a key"),
        ])
    func errors(text: String, line: Int, message: String) {
        do {
            _ = try TOML.parse(text)
            Issue.record("\(text) must not parse")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}

@Suite("Configuration: [media]")
struct MediaConfigTests {
    @Test("the image directory, templates and limits; templates that would leave the directory are refused")
    func media() throws {
        let config = try Config.parse(
            "[media]\ndir = \"/srv/wecom-media\"\npaths = [\"{date}/{md5sum}.jpg\"]\nmax_pixels = 1000000\n",
            file: "t.toml")
        #expect(config.media.directory == "/srv/wecom-media")
        #expect(config.media.templates == ["{date}/{md5sum}.jpg"])
        #expect(config.media.maxPixels == 1_000_000)
        #expect(throws: ConfigError.self) { try Config.parse("[media]\npaths = [\"../x\"]\n", file: "t.toml") }
        #expect(throws: ConfigError.self) { try Config.parse("[media]\nfolder = \"x\"\n", file: "t.toml") }
    }

    @Test("text reading: on by default, its languages, deadline and limits; a hard limit below the deadline is refused")
    func ocr() throws {
        let defaults = try Config.parse("[media]\ndir = \"/m\"\n", file: "t.toml").media
        #expect(defaults.ocr && defaults.ocrLanguages == "chi_sim+eng" && defaults.ocrMilliseconds == 10_000)
        #expect(defaults.decodeSeconds == 30 && defaults.ocrMinConfidence == 30)
        let config = try Config.parse(
            """
            [media]
            ocr = false
            ocr_languages = "chi_sim+chi_tra+eng"
            tessdata = "/opt/tessdata"
            ocr_seconds = 5
            ocr_min_confidence = 50
            ocr_max_pixels = 4000000
            decode_seconds = 12
            """, file: "t.toml"
        ).media
        #expect(!config.ocr && config.ocrLanguages == "chi_sim+chi_tra+eng" && config.tessdata == "/opt/tessdata")
        #expect(config.ocrMilliseconds == 5_000 && config.ocrMinConfidence == 50 && config.ocrMaxPixels == 4_000_000)
        #expect(config.decodeSeconds == 12)
        #expect {
            try Config.parse("[media]\nocr_seconds = 30\ndecode_seconds = 20\n", file: "t.toml")
        } throws: { "\($0)".contains("decode_seconds") && "\($0)".contains("t.toml") }
        #expect(throws: ConfigError.self) {
            try Config.parse("[media]\nocr_languages = \"chi_sim; rm -rf /\"\n", file: "t.toml")
        }
    }
}
