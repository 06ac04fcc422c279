internal import CPCRE2

/// An error from PCRE2: compiling a pattern, or a match that could not complete.
///
/// A struct with a code rather than a growing enum (as NIO's `IOError` and GRDB's `DatabaseError`
/// do): callers switch on the few codes they handle and print the rest.
public struct PCRE2Error: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, in the categories callers act on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The pattern does not compile (syntax, unknown escape, ...).
        public static let badPattern = Code("badPattern")
        /// The compiled pattern is too large for this PCRE2 build (Debian: link size 2, ~64 KiB).
        public static let patternTooLarge = Code("patternTooLarge")
        /// The match limit was reached: the pattern backtracks too much on this subject.
        public static let matchLimit = Code("matchLimit")
        /// The depth limit was reached (interpreter).
        public static let depthLimit = Code("depthLimit")
        /// The heap limit was reached (interpreter).
        public static let heapLimit = Code("heapLimit")
        /// The JIT ran out of its stack.
        public static let jitStackLimit = Code("jitStackLimit")
        /// The subject is not valid UTF-8.
        public static let badSubject = Code("badSubject")
        /// Memory could not be allocated.
        public static let outOfMemory = Code("outOfMemory")
        /// Any other PCRE2 failure.
        public static let other = Code("other")
    }

    public let code: Code
    /// PCRE2's own error number.
    public let pcre2Code: Int32
    /// PCRE2's message, or ours where we can say more.
    public let message: String
    /// For compile errors: the byte offset in the pattern where PCRE2 stopped.
    public let patternOffset: Int?

    public init(code: Code, pcre2Code: Int32, message: String, patternOffset: Int? = nil) {
        self.code = code
        self.pcre2Code = pcre2Code
        self.message = message
        self.patternOffset = patternOffset
    }

    /// Whether this error means a resource limit stopped the match (the pattern, not the input,
    /// is at fault, and the caller should report it against the rule and carry on).
    public var isLimit: Bool {
        code == .matchLimit || code == .depthLimit || code == .heapLimit || code == .jitStackLimit
    }

    public var description: String {
        if let patternOffset { return "\(message) at pattern offset \(patternOffset)" }
        return message
    }

    static func message(for rc: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(rc, $0.baseAddress, 256) }
        guard n > 0 else { return "PCRE2 error \(rc)" }
        return String(decoding: buffer[0..<Int(n)], as: UTF8.self)
    }

    static func compile(code rc: Int32, offset: Int, pattern: String) -> PCRE2Error {
        if rc == PCRE2_ERROR_PATTERN_TOO_LARGE {
            return PCRE2Error(
                code: .patternTooLarge,
                pcre2Code: rc,
                message: "\(message(for: rc)): this PCRE2 build holds at most 64 KiB of compiled pattern "
                    + "(link size 2); split the pattern, or put the words in a wordlist, which is compiled in parts",
                patternOffset: offset
            )
        }
        return PCRE2Error(code: .badPattern, pcre2Code: rc, message: message(for: rc), patternOffset: offset)
    }

    static func match(code rc: Int32, pattern: String) -> PCRE2Error {
        let code: Code
        switch rc {
        case PCRE2_ERROR_MATCHLIMIT: code = .matchLimit
        case PCRE2_ERROR_DEPTHLIMIT: code = .depthLimit
        case PCRE2_ERROR_HEAPLIMIT: code = .heapLimit
        case PCRE2_ERROR_JIT_STACKLIMIT: code = .jitStackLimit
        case PCRE2_ERROR_NOMEMORY: code = .outOfMemory
        case PCRE2_ERROR_UTF8_ERR21...PCRE2_ERROR_UTF8_ERR1, PCRE2_ERROR_BADUTFOFFSET: code = .badSubject
        default: code = .other
        }
        return PCRE2Error(code: code, pcre2Code: rc, message: message(for: rc))
    }
}
