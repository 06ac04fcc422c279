/// The order in which lines from several archive files are handed to the pipeline: by event
/// time (`msgtime`), so that rules over time see one archive whatever way the archivers split it
/// into files (one per conversation, per staff member, per day, several archivers in one folder).
///
/// Both `scan` and the daemon's tailer merge their files with this key, so a rescan replays the
/// archive in the order a daemon reading the same backlog would: a k-way merge of the files'
/// next lines, each file read in its own order. Ties (the same millisecond in two files) go to
/// the file whose first message is older (then the lower `tiebreak`), and within a file to the
/// earlier line. A line whose time cannot be read (it will be quarantined) takes the time of the
/// line before it in its file, so it stays where it was written.
public struct MergeKey: Comparable, Sendable {
    public var time: Int64
    /// The file's rank: the event time of its first line.
    public var fileOrder: Int64
    /// What breaks a tie between files with the same first time (a path's index, an inode).
    public var tiebreak: UInt64

    public init(time: Int64, fileOrder: Int64, tiebreak: UInt64) {
        self.time = time
        self.fileOrder = fileOrder
        self.tiebreak = tiebreak
    }

    public static func < (a: MergeKey, b: MergeKey) -> Bool {
        (a.time, a.fileOrder, a.tiebreak) < (b.time, b.fileOrder, b.tiebreak)
    }
}

/// A binary min-heap of `(key, value)`: the k-way merge needs the smallest of k heads in log k.
struct MinHeap<Value> {
    private(set) var items: [(key: MergeKey, value: Value)] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var min: (key: MergeKey, value: Value)? { items.first }

    mutating func push(_ key: MergeKey, _ value: Value) {
        items.append((key, value))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].key < items[parent].key else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (key: MergeKey, value: Value)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left].key < items[smallest].key { smallest = left }
            if right < items.count && items[right].key < items[smallest].key { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}

/// Reads complete archive files (a rescan) merged by event time, in bounded memory: one
/// buffered line per file, and at most `maxOpen` files open at once (a file closed to stay under
/// that is reopened at its offset when its turn comes). A file is opened only when the merge
/// reaches the time of its first line, so files that follow each other in time (daily files,
/// rotations) are read one after another.
public final class MergedFileReader {
    /// Files that could not be read, with the reason (the rest are read).
    public private(set) var failures: [String] = []
    /// Files opened so far (a file that fails before its first line is not counted).
    public private(set) var filesStarted = 0
    public let fileCount: Int

    private final class Source {
        let path: String
        let order: Int64
        let index: UInt64
        var reader: LineReader?
        /// Where to reopen a closed reader: after the buffered head line.
        var offset: Int64 = 0
        var line = 0
        var head: RawLine?
        /// The time of the last line that had one (at first, the file's first time).
        var lastTime: Int64
        var started = false

        init(path: String, order: Int64, index: UInt64) {
            self.path = path
            self.order = order
            self.index = index
            lastTime = order
        }
    }

    private var heap = MinHeap<Source>()
    private var open = 0
    private let maxOpen: Int
    private let maxLineBytes: Int
    private let eventTime: (RawLine) -> Int64?

    /// `files` with the event time of each one's first line (``ArchivePaths/firstEventTime``).
    public init(
        files: [(path: String, firstTime: Int64)], maxLineBytes: Int, maxOpen: Int = 64,
        eventTime: @escaping (RawLine) -> Int64?
    ) {
        self.maxOpen = Swift.max(maxOpen, 1)
        self.maxLineBytes = maxLineBytes
        self.eventTime = eventTime
        fileCount = files.count
        for (index, file) in files.enumerated() {
            // Not opened yet: waits in the heap under its first line's time.
            let source = Source(path: file.path, order: file.firstTime, index: UInt64(index))
            heap.push(MergeKey(time: file.firstTime, fileOrder: file.firstTime, tiebreak: UInt64(index)), source)
        }
    }

    /// The next line in event-time order, or nil at the end of every file.
    public func next() -> RawLine? {
        while let (_, source) = heap.pop() {
            if let line = source.head {
                source.head = nil
                advance(source)
                return line
            }
            // Not started yet, or its reader was closed: (re)load its head and put it back.
            advance(source)
        }
        return nil
    }

    /// Reads `source`'s next line into its head and puts it back in the heap (or lets it go).
    private func advance(_ source: Source) {
        do {
            if source.reader == nil {
                if open >= maxOpen { closeOne() }
                source.reader = try LineReader(
                    path: source.path, offset: source.offset, line: source.line, maxLineBytes: maxLineBytes)
                open += 1
                if !source.started {
                    source.started = true
                    filesStarted += 1
                }
            }
            guard let reader = source.reader, let line = try reader.nextLine(atEndOfInput: true) else {
                release(source)
                return
            }
            source.offset = reader.committedOffset
            source.line = reader.linesRead
            // Its time orders it among the other files; with none left to merge with (one file,
            // or the last one), decoding the line a second time for it would be wasted.
            if !heap.isEmpty, let time = line.isOversized ? nil : eventTime(line) { source.lastTime = time }
            source.head = line
            heap.push(MergeKey(time: source.lastTime, fileOrder: source.order, tiebreak: source.index), source)
        } catch {
            failures.append(error.description)
            release(source)
        }
    }

    private func release(_ source: Source) {
        if source.reader != nil { open -= 1 }
        source.reader = nil
    }

    /// Closes the open file whose buffered line comes last (it is needed last); its head stays.
    private func closeOne() {
        var victim: Source? = nil
        var latest: MergeKey? = nil
        for (key, source) in heap.items where source.reader != nil {
            if latest == nil || latest! < key {
                latest = key
                victim = source
            }
        }
        if let victim { release(victim) }
    }
}
