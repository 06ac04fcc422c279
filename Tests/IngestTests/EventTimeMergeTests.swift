import Foundation
import Testing
import Archive
@testable import Ingest

/// Lines in these tests are `T:label`; the event time is the number before the colon (a line
/// without one, like `bad`, has none and is to be quarantined).
private let lineTime: @Sendable (RawLine) -> Int64? = { line in
    let text = String(decoding: line.bytes, as: UTF8.self)
    return text.split(separator: ":").first.flatMap { Int64($0) }
}

private func label(_ line: RawLine) -> String { String(decoding: line.bytes, as: UTF8.self) }

@Suite("Merged event order")
struct EventTimeMergeTests {
    /// Three archivers writing at once: times interleave across the files.
    func threeFiles(_ dir: TempDir) -> [String] {
        let a = dir.path + "/a.jsonl", b = dir.path + "/b.jsonl", c = dir.path + "/c.jsonl"
        try! "10:a1\n40:a2\n70:a3\n".write(toFile: a, atomically: true, encoding: .utf8)
        try! "20:b1\n50:b2\nbad\n80:b3\n".write(toFile: b, atomically: true, encoding: .utf8)
        try! "30:c1\n60:c2\n60:c3\n90:c4".write(toFile: c, atomically: true, encoding: .utf8)  // no final newline
        return [a, b, c]
    }

    let expected = ["10:a1", "20:b1", "30:c1", "40:a2", "50:b2", "bad", "60:c2", "60:c3", "70:a3", "80:b3", "90:c4"]

    @Test(
        "a rescan merges files by event time; a line without a time stays after its predecessor", arguments: [1, 2, 64])
    func scanMerge(maxOpen: Int) throws {
        let dir = TempDir()
        let files = threeFiles(dir)
        let ranked = try ArchivePaths.expand(files.reversed(), eventTime: lineTime)
        #expect(ranked.map(\.path) == files, "files ranked by their first time, whatever order they were named in")
        let reader = MergedFileReader(files: ranked, maxLineBytes: 1 << 20, maxOpen: maxOpen, eventTime: lineTime)
        var got: [String] = []
        while let line = reader.next() { got.append(label(line)) }
        #expect(got == expected, "with at most \(maxOpen) file(s) open")
        #expect(reader.filesStarted == 3)
        #expect(reader.failures.isEmpty)
    }

    @Test("files that follow each other in time are opened one after another")
    func lazyOpening() throws {
        let dir = TempDir()
        var files: [String] = []
        for day in 0..<5 {
            let path = dir.path + "/day\(day).jsonl"
            try (0..<3).map { "\(day * 100 + $0):d\(day)" }.joined(separator: "\n").appending("\n").write(
                toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let reader = MergedFileReader(
            files: try ArchivePaths.expand(files, eventTime: lineTime), maxLineBytes: 1 << 20, eventTime: lineTime)
        var startedWhenReading: [Int] = []
        while reader.next() != nil { startedWhenReading.append(reader.filesStarted) }
        // The next day's file is opened only when its first line is due (after the previous day's last).
        #expect(startedWhenReading == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5])
    }

    @Test("an unreadable file is reported and the others are read")
    func unreadable() throws {
        let dir = TempDir()
        let files = threeFiles(dir)
        let reader = MergedFileReader(
            files: [(files[0], 10), (dir.path + "/missing.jsonl", 15), (files[1], 20)], maxLineBytes: 1 << 20,
            eventTime: lineTime)
        var got: [String] = []
        while let line = reader.next() { got.append(label(line)) }
        #expect(got == ["10:a1", "20:b1", "40:a2", "50:b2", "bad", "70:a3", "80:b3"])
        #expect(reader.failures.count == 1 && reader.failures[0].contains("missing.jsonl"))
    }

    @Test("the daemon reads a backlog in several files in the same merged order, across batches and a restart")
    func tailerBacklog() {
        let h = TailHarness()
        h.tailer.eventTime = lineTime
        h.append("a.jsonl", "10:a1\n40:a2\n70:a3\n")
        h.append("b.jsonl", "20:b1\n50:b2\nbad\n80:b3\n")
        h.append("c.jsonl", "30:c1\n60:c2\n60:c3\n")
        h.tailer.discover()
        // Batches of 4, committed one at a time; a restart after the first.
        var lines: [String] = []
        let first = h.tailer.read(maxLines: 4)
        lines += first.lines.map(label)
        for c in first.checkpoints { h.checkpoints[c.source] = c }
        h.restart()
        h.tailer.eventTime = lineTime
        lines += h.round()
        #expect(lines == ["10:a1", "20:b1", "30:c1", "40:a2", "50:b2", "bad", "60:c2", "60:c3", "70:a3", "80:b3"])
        // Live: what is appended later is read as it comes.
        h.append("c.jsonl", "90:c4\n")
        h.append("a.jsonl", "85:a4\n")
        #expect(h.round() == ["85:a4", "90:c4"])
    }

    @Test("a checkpoint never passes a line the merge holds back")
    func checkpointsStopAtHeldLines() {
        let h = TailHarness()
        h.tailer.eventTime = lineTime
        h.append("a.jsonl", "10:a1\n40:a2\n")
        h.append("b.jsonl", "20:b1\n30:b2\n")
        h.tailer.discover()
        let batch = h.tailer.read(maxLines: 2)
        #expect(batch.lines.map(label) == ["10:a1", "20:b1"])
        // a.jsonl's second line and b.jsonl's second line are read but held: the checkpoints
        // stop after the lines handed out.
        let offsets = Dictionary(
            uniqueKeysWithValues: batch.checkpoints.map { ($0.path.hasSuffix("a.jsonl") ? "a" : "b", $0.offset) })
        #expect(offsets == ["a": 6, "b": 6])
        // A restart from those checkpoints reads exactly the rest.
        for c in batch.checkpoints { h.checkpoints[c.source] = c }
        h.restart()
        h.tailer.eventTime = lineTime
        #expect(h.round() == ["30:b2", "40:a2"])
    }
}
