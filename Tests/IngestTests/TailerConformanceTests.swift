import Foundation
import Testing
import Archive
import Support
@testable import Ingest

/// A tailer over a temporary directory, with the checkpoints a store would keep.
final class TailHarness {
    let dir = TempDir()
    var tailer: Tailer
    /// What the "store" holds: checkpoints by source.
    var checkpoints: [String: Checkpoint] = [:]
    /// Every line handed out, in order.
    var seen: [String] = []

    init() {
        tailer = Tailer(patterns: [], checkpoints: [], rotatedGrace: 0)
        tailer.patterns = [dir.path + "/*.jsonl"]
    }

    /// A restart: a new tailer from the stored checkpoints.
    func restart() {
        tailer = Tailer(patterns: [dir.path + "/*.jsonl"], checkpoints: Array(checkpoints.values), rotatedGrace: 0)
    }

    /// One round of the daemon loop: discover, read everything, "commit".
    @discardableResult
    func round(now: Double = MonotonicClock.seconds()) -> [String] {
        tailer.discover(now: now)
        var lines: [String] = []
        while true {
            let batch = tailer.read(maxLines: 3, now: now)
            if batch.isEmpty { break }
            lines += batch.lines.map { String(decoding: $0.bytes, as: UTF8.self) }
            for c in batch.checkpoints { checkpoints[c.source] = c }
            for f in batch.finished { checkpoints[f] = nil }
        }
        seen += lines
        return lines
    }

    func path(_ name: String) -> String { dir.path + "/" + name }

    func append(_ name: String, _ text: String) {
        let p = path(name)
        if !FileManager.default.fileExists(atPath: p) { _ = FileManager.default.createFile(atPath: p, contents: nil) }
        let h = FileHandle(forWritingAtPath: p)!
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        h.closeFile()
    }

    func rename(_ a: String, _ b: String) { _ = Glibc.rename(path(a), path(b)) }
    func remove(_ name: String) { unlink(path(name)) }
    func truncate(_ name: String) { Glibc.truncate(path(name), 0) }
}

@Suite("Tailer conformance", .serialized)
struct TailerConformanceTests {
    @Test("a new file is picked up and followed as it grows")
    func newFileAndGrowth() {
        let h = TailHarness()
        #expect(h.round().isEmpty)
        h.append("a.jsonl", "1\n2\n")
        #expect(h.round() == ["1", "2"])
        h.append("a.jsonl", "3\n")
        #expect(h.round() == ["3"])
        #expect(h.round().isEmpty)
    }

    @Test("a half-written last line waits for its newline")
    func halfWrittenLine() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n{\"half")
        #expect(h.round() == ["1"])
        #expect(h.round().isEmpty)
        h.append("a.jsonl", "\":true}\n")
        #expect(h.round() == ["{\"half\":true}"])
        #expect(h.checkpoints.values.first?.offset == 16)
    }

    @Test("rename rotation: the old file is read to its end before it is let go, the new one from 0")
    func renameRotation() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n2\n")
        #expect(h.round() == ["1", "2"])
        // The archiver writes one more line, then rotates and starts a new file.
        h.append("a.jsonl", "3\n")
        h.rename("a.jsonl", "a.jsonl.1")
        h.append("a.jsonl", "new1\n")
        h.round()
        h.round()
        #expect(h.seen == ["1", "2", "3", "new1"])
        // The rotated file was let go; only the new file has a checkpoint.
        #expect(h.checkpoints.count == 1)
        #expect(h.tailer.fileCount == 1)
    }

    @Test("a rotated file still being written keeps being read until it is quiet")
    func rotatedStillWritten() {
        let h = TailHarness()
        h.tailer.rotatedGrace = 60
        h.append("a.jsonl", "1\n")
        h.round()
        h.rename("a.jsonl", "a.jsonl.1")
        h.append("a.jsonl.1", "2\n")
        #expect(h.round() == ["2"])
        #expect(h.tailer.fileCount == 1, "still followed during its grace period")
        h.append("a.jsonl.1", "3-partial")
        let later = MonotonicClock.seconds() + 120
        #expect(h.round(now: later).isEmpty, "it just grew: the last line may still be being written")
        #expect(
            h.round(now: later + 120) == ["3-partial"], "once quiet for the grace period, its last line is complete")
        #expect(h.tailer.fileCount == 0)
    }

    @Test("copytruncate: a file that shrinks is read again from 0")
    func copytruncate() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n2\n3\n")
        h.round()
        h.truncate("a.jsonl")
        h.append("a.jsonl", "4\n")
        #expect(h.round() == ["4"])
        #expect(h.checkpoints.values.first?.offset == 2)
    }

    @Test("a file truncated and rewritten past the old offset between two looks is still read again")
    func truncatedAndRegrown() {
        let h = TailHarness()
        h.append("a.jsonl", "aa\n")
        h.round()
        h.truncate("a.jsonl")
        h.append("a.jsonl", "bbbbbbbbbb\ncc\n")
        #expect(h.round() == ["bbbbbbbbbb", "cc"])
    }

    @Test("deletion: a deleted file is read to its end, then let go")
    func deletion() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n")
        h.round()
        h.append("a.jsonl", "2\n")
        h.remove("a.jsonl")
        #expect(h.round() == ["2"])
        #expect(h.tailer.fileCount == 0)
        #expect(h.checkpoints.isEmpty)
    }

    @Test("files smaller than 1 KiB resume correctly after a restart (the fingerprint grows with them)")
    func smallFiles() {
        let h = TailHarness()
        h.append("a.jsonl", "x\n")
        h.round()
        #expect(h.checkpoints.values.first?.fingerprint.hasPrefix("2:") == true)
        h.restart()
        h.append("a.jsonl", "y\n")
        #expect(h.round() == ["y"])
        #expect(h.checkpoints.values.first?.fingerprint.hasPrefix("4:") == true)
        // Past 1 KiB the fingerprint stops growing.
        h.append("a.jsonl", String(repeating: "z", count: 2000) + "\n")
        h.round()
        #expect(h.checkpoints.values.first?.fingerprint.hasPrefix("1024:") == true)
        h.restart()
        h.append("a.jsonl", "w\n")
        #expect(h.round() == ["w"])
    }

    @Test("restart resumes at the checkpoint: nothing is read twice")
    func restartResumes() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n2\n")
        h.round()
        h.restart()
        h.append("a.jsonl", "3\n")
        #expect(h.round() == ["3"])
        #expect(h.seen == ["1", "2", "3"])
    }

    @Test("inode reuse: a checkpoint whose inode now holds other content does not skip the new file")
    func inodeReuse() throws {
        let h = TailHarness()
        h.append("a.jsonl", "old-1\nold-2\n")
        h.round()
        // Fake a stored checkpoint for the same inode but a different file's first bytes.
        let source = try #require(h.checkpoints.keys.first)
        var forged = h.checkpoints[source]!
        forged.fingerprint = "6:deadbeef"
        h.checkpoints[source] = forged
        h.restart()
        #expect(h.round() == ["old-1", "old-2"], "a fingerprint mismatch means a new file: read from 0")
    }

    @Test("several files rotating at once")
    func severalRotating() {
        let h = TailHarness()
        for name in ["a", "b", "c"] { h.append("\(name).jsonl", "\(name)1\n") }
        h.round()
        for name in ["a", "b", "c"] {
            h.append("\(name).jsonl", "\(name)2\n")
            h.rename("\(name).jsonl", "\(name).jsonl.1")
            h.append("\(name).jsonl", "\(name)3\n")
        }
        h.round()
        h.round()
        #expect(h.seen.sorted() == ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"])
        #expect(h.tailer.fileCount == 3)
        #expect(h.checkpoints.count == 3)
    }

    @Test("rotation while the daemon is stopped: the rotated file is found by inode and finished")
    func rotationWhileStopped() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n")
        h.round()
        // Daemon stops. The archiver writes, rotates and starts anew.
        h.append("a.jsonl", "2\n")
        h.rename("a.jsonl", "a.jsonl.1")
        h.append("a.jsonl", "3\n")
        h.restart()
        h.round()
        h.round()
        #expect(h.seen.sorted() == ["1", "2", "3"])
        #expect(h.tailer.fileCount == 1)
    }

    @Test("a file renamed and re-created under the same name within one poll")
    func renameAndRecreateWithinOnePoll() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n")
        h.round()
        h.append("a.jsonl", "2\n")
        h.rename("a.jsonl", "a.jsonl.1")
        h.append("a.jsonl", "3\n")
        h.append("a.jsonl", "4\n")
        h.round()
        h.round()
        #expect(h.seen == ["1", "2", "3", "4"])
    }

    @Test(
        "with a pattern covering rotated names, a file born and rotated while stopped is read, and old ones are not read again"
    )
    func inclusivePatternAcrossRestarts() {
        let h = TailHarness()
        h.tailer.patterns = [h.dir.path + "/*.jsonl*"]
        h.append("a.jsonl", "1\n")
        h.round()
        h.rename("a.jsonl", "a.jsonl.1")
        h.append("a.jsonl", "2\n")
        h.round()
        // Stopped: a file is created, written, and rotated away before the restart.
        h.rename("a.jsonl", "a.jsonl.2")
        h.append("a.jsonl", "3\n")
        h.rename("a.jsonl", "a.jsonl.3")
        h.append("a.jsonl", "4\n")
        h.tailer = Tailer(
            patterns: [h.dir.path + "/*.jsonl*"], checkpoints: Array(h.checkpoints.values), rotatedGrace: 0)
        h.round()
        #expect(h.seen.sorted() == ["1", "2", "3", "4"])
    }

    @Test("a quiet, fully read file is closed and reopened when it grows")
    func idleClose() {
        let h = TailHarness()
        h.tailer.idleClose = 10
        h.append("a.jsonl", "1\n")
        let start = MonotonicClock.seconds()
        h.round(now: start)
        h.round(now: start + 20)
        #expect(h.tailer.fileCount == 0, "closed after being quiet")
        h.append("a.jsonl", "2\n")
        #expect(h.round(now: start + 21) == ["2"])
        #expect(h.tailer.fileCount == 1)
    }

    @Test("checkpoints of deleted files are forgotten")
    func forgetDeleted() {
        let h = TailHarness()
        h.append("a.jsonl", "1\n")
        h.round()
        h.remove("a.jsonl")
        h.restart()
        h.round()
        #expect(h.checkpoints.isEmpty)
    }

    @Test("a file matched under a new name inside the patterns is the same file, not a new one")
    func renameWithinPatterns() {
        let h = TailHarness()
        h.tailer.patterns = [h.dir.path + "/*.jsonl*"]
        h.append("a.jsonl", "1\n")
        h.round()
        h.rename("a.jsonl", "a.jsonl.1")
        h.append("a.jsonl.1", "2\n")
        #expect(h.round() == ["2"])
        #expect(h.seen == ["1", "2"])
    }
}
