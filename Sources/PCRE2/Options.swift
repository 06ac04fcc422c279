internal import CPCRE2

/// Compile options on top of the UTF and UCP that every pattern gets.
public struct CompileOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Case-insensitive matching (Unicode case folding, because of UCP).
    public static let caseless = CompileOptions(rawValue: 1 << 0)
    /// `^` and `$` match at line breaks.
    public static let multiline = CompileOptions(rawValue: 1 << 1)
    /// `.` matches a line break too.
    public static let dotAll = CompileOptions(rawValue: 1 << 2)
    /// Whitespace and `#` comments in the pattern are ignored.
    public static let extended = CompileOptions(rawValue: 1 << 3)
    /// The pattern is a literal string, not a regular expression.
    public static let literal = CompileOptions(rawValue: 1 << 4)
    /// The match must start at the start offset.
    public static let anchored = CompileOptions(rawValue: 1 << 5)

    var pcre2Flags: UInt32 {
        var flags: UInt32 = 0
        if contains(.caseless) { flags |= UInt32(PCRE2_CASELESS) }
        if contains(.multiline) { flags |= UInt32(PCRE2_MULTILINE) }
        if contains(.dotAll) { flags |= UInt32(PCRE2_DOTALL) }
        if contains(.extended) { flags |= UInt32(PCRE2_EXTENDED) }
        if contains(.literal) { flags |= UInt32(PCRE2_LITERAL) }
        if contains(.anchored) { flags |= UInt32(PCRE2_ANCHORED) }
        return flags
    }
}

/// The bounds every match runs under.
///
/// Chat text is untrusted and rules are written by users: a pattern such as `(a+)+$` backtracks
/// exponentially on a long line of `a`s. The match limit bounds the work of one match attempt
/// (the JIT honours it too), the depth limit bounds backtracking depth and the heap limit bounds
/// memory (both apply to the interpreter). The defaults are far above what any sane pattern needs
/// on a chat message and far below what would stall the pipeline.
public struct Limits: Sendable, Hashable {
    /// The most calls of PCRE2's internal match function per match attempt.
    public var matchLimit: UInt32
    /// The deepest backtracking nesting (interpreter only).
    public var depthLimit: UInt32
    /// The most heap memory, in KiB, one match may use for backtracking (interpreter only).
    public var heapLimitKiB: UInt32

    public init(matchLimit: UInt32 = 1_000_000, depthLimit: UInt32 = 50_000, heapLimitKiB: UInt32 = 65_536) {
        self.matchLimit = matchLimit
        self.depthLimit = depthLimit
        self.heapLimitKiB = heapLimitKiB
    }

    /// The defaults used for every rule unless the configuration says otherwise.
    public static let `default` = Limits()
}
