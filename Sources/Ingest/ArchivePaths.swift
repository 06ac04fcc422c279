#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Turns the paths a user gives (`chatwarden scan PATH...`) into the archive files to read.
public enum ArchivePaths {
    /// File name endings taken from a directory. Files named explicitly are always taken.
    public static let archiveSuffixes = [".jsonl", ".json", ".ndjson", ".log", ".txt"]

    /// Files named explicitly, and the archive files under directories (recursively; rotated
    /// files such as `chat.jsonl.1` included), each with the event time of its first line (the
    /// first of its first 8 lines that has one; `Int64.max` when none does), in that order
    /// (then by path): the ranks ``MergedFileReader`` merges them by.
    public static func expand(
        _ paths: [String], eventTime: (RawLine) -> Int64?
    ) throws(IngestError) -> [(path: String, firstTime: Int64)] {
        try expand(paths).map { ($0, firstEventTime($0, complete: true, eventTime: eventTime)) }.sorted {
            ($0.1, $0.0) < ($1.1, $1.0)
        }
    }

    /// The event time of a file's first line that has one, among its first 8 complete lines
    /// (`Int64.max` when none has). The daemon's tailer and `scan` rank files by it. `complete`:
    /// the file is not being written, so a last line without its newline counts.
    public static func firstEventTime(
        _ path: String, complete: Bool, maxLineBytes: Int = 1 << 20, eventTime: (RawLine) -> Int64?
    ) -> Int64 {
        guard let reader = try? LineReader(path: path, maxLineBytes: maxLineBytes) else { return Int64.max }
        for _ in 0..<8 {
            guard let line = try? reader.nextLine(atEndOfInput: complete) else { break }
            if !line.isOversized, let time = eventTime(line) { return time }
        }
        return Int64.max
    }

    /// Files named explicitly, and the archive files under directories (recursively, sorted by
    /// path; rotated files such as `chat.jsonl.1` included).
    public static func expand(_ paths: [String]) throws(IngestError) -> [String] {
        var files: [String] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else { throw IngestError.system(path, "cannot read") }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                var found: [String] = []
                try walk(path, into: &found)
                files.append(contentsOf: found.sorted())
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Whether a file name found in a directory looks like an archive file (including rotated
    /// copies such as `x.jsonl.1` and `x.jsonl-20261123`).
    public static func isArchiveName(_ name: String) -> Bool {
        if name.hasPrefix(".") { return false }
        // Rotated copies: strip a trailing ".N" or "-YYYYMMDD" before looking at the suffix.
        var base = Substring(name)
        while let last = base.last, last.isASCII, last.isNumber { base = base.dropLast() }
        if base.count < name.count, let separator = base.last, separator == "." || separator == "-" {
            base = base.dropLast()
        } else {
            base = Substring(name)
        }
        for suffix in archiveSuffixes where base.hasSuffix(suffix) { return true }
        return false
    }

    private static func walk(_ directory: String, into files: inout [String]) throws(IngestError) {
        guard let dir = opendir(directory) else { throw IngestError.system(directory, "cannot list directory") }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try walk(path, into: &files)
            case S_IFREG: if isArchiveName(name) { files.append(path) }
            default: continue
            }
        }
    }
}
