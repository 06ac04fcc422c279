import Foundation
import Testing
@testable import Ingest
import Archive

/// A temporary directory removed when the test ends.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cw-ingest-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

@Suite("Reading archive lines")
struct LineReaderTests {
    func readAll(_ path: String, max: Int = 1 << 20, chunk: Int = 1 << 16) throws -> [RawLine] {
        let reader = try LineReader(path: path, maxLineBytes: max, chunkSize: chunk)
        var lines: [RawLine] = []
        while let line = try reader.nextLine(atEndOfInput: true) { lines.append(line) }
        return lines
    }

    @Test("lines come with their number, byte offset and length")
    func positions() throws {
        let dir = TempDir()
        let path = dir.file("a.jsonl", Array("一\nab\n\nxyz\n".utf8))
        let lines = try readAll(path)
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == ["一", "ab", "xyz"])
        #expect(lines.map(\.position.line) == [1, 2, 4])
        #expect(lines.map(\.position.offset) == [0, 4, 8])
        #expect(lines.map(\.position.length) == [3, 2, 3])
    }

    @Test("a BOM at the start is skipped, and CRLF endings lose their CR")
    func bomAndCRLF() throws {
        let dir = TempDir()
        let path = dir.file("b.jsonl", [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\r\n{\"b\":2}\r\n".utf8))
        let lines = try readAll(path)
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}"])
        #expect(lines[0].position.offset == 3)
        #expect(lines[1].position.offset == 12)
    }

    @Test("a last line without a newline waits unless the input is complete")
    func partialLastLine() throws {
        let dir = TempDir()
        let path = dir.file("c.jsonl", Array("one\ntwo-half".utf8))
        let reader = try LineReader(path: path)
        #expect(try reader.nextLine(atEndOfInput: false).map { String(decoding: $0.bytes, as: UTF8.self) } == "one")
        #expect(try reader.nextLine(atEndOfInput: false) == nil)
        #expect(reader.committedOffset == 4)
        // The writer finishes the line.
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data("-done\n".utf8))
        handle.closeFile()
        #expect(
            try reader.nextLine(atEndOfInput: false).map { String(decoding: $0.bytes, as: UTF8.self) }
                == "two-half-done")
        #expect(reader.committedOffset == 18)
        // And a complete input hands out a final unterminated line.
        let other = dir.file("d.jsonl", Array("x\ny".utf8))
        #expect(try readAll(other).map { String(decoding: $0.bytes, as: UTF8.self) } == ["x", "y"])
    }

    @Test("a huge line is cut, flagged, and reading resumes at the next line with bounded memory")
    func hugeLine() throws {
        let dir = TempDir()
        let huge = [UInt8](repeating: UInt8(ascii: "a"), count: 300_000)
        let path = dir.file("e.jsonl", Array("first\n".utf8) + huge + Array("\nlast\n".utf8))
        let lines = try readAll(path, max: 10_000, chunk: 4096)
        #expect(lines.count == 3)
        #expect(lines[1].isOversized)
        #expect(lines[1].bytes.count == 10_000)
        #expect(lines[1].position.line == 2)
        #expect(String(decoding: lines[2].bytes, as: UTF8.self) == "last")
        #expect(lines[2].position.line == 3)
        #expect(lines[2].position.offset == Int64(6 + 300_000 + 1))
    }

    @Test("lines longer than the read chunk are assembled whole")
    func longerThanChunk() throws {
        let dir = TempDir()
        let long = String(repeating: "中", count: 10_000)
        let path = dir.file("f.jsonl", Array((long + "\nshort\n").utf8))
        let lines = try readAll(path, chunk: 4096)
        #expect(lines.count == 2)
        #expect(String(decoding: lines[0].bytes, as: UTF8.self) == long)
    }

    @Test("reading resumes from a checkpoint offset with the right line numbers")
    func resume() throws {
        let dir = TempDir()
        let path = dir.file("g.jsonl", Array("a\nb\nc\n".utf8))
        let reader = try LineReader(path: path, offset: 2, line: 1)
        let line = try #require(try reader.nextLine(atEndOfInput: true))
        #expect(String(decoding: line.bytes, as: UTF8.self) == "b")
        #expect(line.position.line == 2)
        #expect(line.position.offset == 2)
    }

    @Test("a missing file is an error that names it")
    func missingFile() {
        do {
            _ = try LineReader(path: "/nonexistent/chat.jsonl")
            Issue.record("must fail")
        } catch {
            #expect(error.description.contains("/nonexistent/chat.jsonl"))
            #expect(error.description.contains("No such file"))
        }
    }

    @Test("directories expand to archive files, rotated copies included, sorted")
    func expand() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/sub", withIntermediateDirectories: true)
        _ = dir.file("b.jsonl", [])
        _ = dir.file("a.jsonl.1", [])
        _ = dir.file("sub/c.log-20261120", [])
        _ = dir.file("notes.md", [])
        _ = dir.file(".hidden.jsonl", [])
        let files = try ArchivePaths.expand([dir.path])
        #expect(
            files.map { String($0.dropFirst(dir.path.count + 1)) } == ["a.jsonl.1", "b.jsonl", "sub/c.log-20261120"])
    }
}
