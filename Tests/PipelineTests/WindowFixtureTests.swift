import Foundation
import Logging
import Testing
@testable import Alerts
@testable import Archive
@testable import Detect
@testable import Ingest
@testable import Pipeline
import Config
import Store

/// The rules over time on their fixtures, through the pipeline's own batch path (what the
/// daemon, `scan` and `rules test --file` run), on a store in memory.
@Suite("Rules over time through the pipeline")
struct WindowFixtureTests {
    static let fixtures = repositoryRoot + "/Tests/DetectTests/Fixtures/windows"

    func lines(_ name: String) throws -> [RawLine] {
        let text = try String(contentsOfFile: Self.fixtures + "/" + name, encoding: .utf8)
        return text.split(separator: "\n").enumerated().map { rawLine(String($1), line: $0 + 1, file: name) }
    }

    func pipeline() throws -> Pipeline {
        var config = Config()
        config.wordlists = [repositoryRoot + "/wordlists"]
        return try Pipeline.inMemory(config: config, logger: Logger(label: "test"))
    }

    /// Window alerts of `lines` run through one pipeline, one line per batch (as a live daemon might).
    func windowAlerts(_ lines: [RawLine], _ pipeline: Pipeline, _ windows: WindowStrategy) throws -> [Alert] {
        let scratch = DetectorScratch()
        return try lines.flatMap { line in
            try pipeline.process(SourceBatch(lines: [line]), windows: windows, scratch: scratch).examined.flatMap(
                \.windowAlerts)
        }
    }

    @Test(
        "each rule fires on its positive fixture and not on its negative one",
        arguments: [
            ("flood", "window.flood"), ("blast", "window.blast"), ("repeated-hits", "window.repeated-hits"),
            ("recall-after-hit", "window.recall-after-hit"), ("customer-link", "group.customer-link"),
            ("new-member-link", "window.new-member-link"), ("staff-redpacket", "money.staff-redpacket"),
        ])
    func fixturesFire(name: String, rule: String) throws {
        let fired = try windowAlerts(
            lines("\(name)-positive.jsonl"), pipeline(), .local(WindowEngine(), persist: false)
        )
        .filter { $0.rule == rule }
        #expect(fired.count == 1, "\(name)-positive: \(fired.map(\.details))")
        let quiet = try windowAlerts(
            lines("\(name)-negative.jsonl"), pipeline(), .local(WindowEngine(), persist: false)
        )
        .filter { $0.rule == rule }
        #expect(quiet.isEmpty, "\(name)-negative: \(quiet.map(\.details))")
    }

    @Test("the same sequence gives the same alert ids, and state saved mid-way and restored changes nothing")
    func deterministicAndRestartable() throws {
        let sequence =
            try lines("flood-positive.jsonl") + lines("blast-positive.jsonl") + lines("repeated-hits-positive.jsonl")
        let expected = try windowAlerts(sequence, pipeline(), .local(WindowEngine(), persist: false)).map(\.id)
        #expect(expected.count >= 3)

        // The first half through a daemon-like pipeline that saves its window state with each
        // batch; the rest through a fresh engine restored from what was saved.
        var settings = WindowSettings()
        settings.maxKeys = 1_000_000
        let half = sequence.count / 2
        let first = try pipeline()
        var saved: [String: String] = [:]
        var ids: [String] = []
        let scratch = DetectorScratch()
        let engine = WindowEngine(settings: settings)
        for line in sequence[..<half] {
            let batch = try first.process(
                SourceBatch(lines: [line]), windows: .local(engine, persist: true), scratch: scratch)
            ids += batch.examined.flatMap(\.windowAlerts).map(\.id)
            for row in batch.record.windowUpserts { saved[row.key] = row.data }
            for key in batch.record.windowDeletes { saved[key] = nil }
        }
        let second = WindowEngine(settings: settings)
        second.restore(saved.map { ($0.key, $0.value) })
        ids += try windowAlerts(Array(sequence[half...]), pipeline(), .local(second, persist: true)).map(\.id)
        #expect(ids == expected)
    }
}
