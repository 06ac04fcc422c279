internal import CPCRE2

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A compiled PCRE2 pattern, safe to share between threads.
///
/// Every pattern is compiled with `PCRE2_UTF` and `PCRE2_UCP`: chat text is Unicode, and `\w`, `\d`
/// and case folding must mean what a reader expects for Chinese and full-width text. After
/// compilation the pattern is JIT-compiled when the platform allows it; a hardened service
/// (`MemoryDenyWriteExecute=yes`) forbids writable-executable memory, and then the interpreter runs
/// the same pattern. Either way every match runs under the ``Limits`` given at compile time, so a
/// pattern with catastrophic backtracking costs a bounded amount of work and reports
/// ``PCRE2Error/Code-swift.struct/matchLimit`` instead of stalling the pipeline.
///
/// The compiled code and the match context are immutable once `init` returns (JIT compilation,
/// which modifies the code, happens inside `init`), which is what makes sharing safe. Match data,
/// which PCRE2 writes during a match, is created per call or held by a ``MatchScratch`` that
/// belongs to one task.
public final class Regex: Sendable {
    /// The pattern as written.
    public let pattern: String
    /// The options the pattern was compiled with (in addition to UTF and UCP).
    public let options: CompileOptions
    /// Whether the JIT compiled this pattern; `false` means the interpreter runs it.
    public let isJITCompiled: Bool
    /// Why the JIT was not used, when it was wanted and failed (for logs and `rules check`).
    public let jitFailureReason: String?
    /// The number of capture groups in the pattern.
    public let captureCount: Int
    /// The size of the compiled pattern in bytes (Debian's PCRE2 caps it near 64 KiB).
    public let compiledSize: Int
    /// The limits every match of this pattern runs under.
    public let limits: Limits

    nonisolated(unsafe) private let code: OpaquePointer
    nonisolated(unsafe) private let matchContext: OpaquePointer

    /// Compiles `pattern`.
    ///
    /// - Throws: ``PCRE2Error`` with ``PCRE2Error/patternOffset`` set to the byte offset in the
    ///   pattern where PCRE2 stopped, or ``PCRE2Error/Code-swift.struct/patternTooLarge`` when the
    ///   compiled form would exceed what this build of PCRE2 can hold.
    public init(
        _ pattern: String,
        options: CompileOptions = [],
        limits: Limits = .default,
        jit: JITMode = .automatic
    ) throws(PCRE2Error) {
        self.pattern = pattern
        self.options = options
        self.limits = limits
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let flags = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | options.pcre2Flags
        let compiled: OpaquePointer? =
            pattern.utf8.withContiguousStorageIfAvailable { bytes in
                pcre2_compile_8(bytes.baseAddress, bytes.count, flags, &errorCode, &errorOffset, nil)
            }
            ?? Array(pattern.utf8).withUnsafeBufferPointer { bytes in
                pcre2_compile_8(bytes.baseAddress, bytes.count, flags, &errorCode, &errorOffset, nil)
            }
        guard let compiled else {
            throw PCRE2Error.compile(code: errorCode, offset: errorOffset, pattern: pattern)
        }
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            throw PCRE2Error(
                code: .outOfMemory, pcre2Code: Int32(PCRE2_ERROR_NOMEMORY), message: "cannot allocate a match context")
        }
        pcre2_set_match_limit_8(context, limits.matchLimit)
        pcre2_set_depth_limit_8(context, limits.depthLimit)
        pcre2_set_heap_limit_8(context, limits.heapLimitKiB)

        var jitOK = false
        var jitReason: String? = nil
        if jit.isEnabled {
            let rc = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
            if rc == 0 {
                jitOK = true
            } else {
                jitReason = PCRE2Error.message(for: rc)
            }
        }
        var captures: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &captures)
        var size: Int = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_SIZE), &size)

        self.code = compiled
        self.matchContext = context
        self.isJITCompiled = jitOK
        self.jitFailureReason = jitReason
        self.captureCount = Int(captures)
        self.compiledSize = size
    }

    deinit {
        pcre2_match_context_free_8(matchContext)
        pcre2_code_free_8(code)
    }

    // MARK: - Matching on Swift strings

    /// The first match at or after byte offset `start`, or `nil`.
    public func firstMatch(in subject: String, from start: Int = 0) throws(PCRE2Error) -> Match? {
        var result: Match? = nil
        try Self.withUTF8(subject) { (bytes) throws(PCRE2Error) in
            let scratch = MatchScratch(captureCount: captureCount)
            result = try match(bytes, from: start, scratch: scratch, trustedUTF8: true)
        }
        return result
    }

    /// Whether the pattern matches anywhere in `subject`.
    public func matches(_ subject: String) throws(PCRE2Error) -> Bool {
        try firstMatch(in: subject) != nil
    }

    /// Every non-overlapping match in `subject`, in order.
    public func allMatches(in subject: String) throws(PCRE2Error) -> [Match] {
        var result: [Match] = []
        try Self.withUTF8(subject) { (bytes) throws(PCRE2Error) in
            let scratch = MatchScratch(captureCount: captureCount)
            try forEachMatch(in: bytes, scratch: scratch, trustedUTF8: true) { match in
                result.append(match)
                return true
            }
        }
        return result
    }

    // MARK: - Matching on bytes (the hot path)

    /// Calls `body` with every non-overlapping match in `bytes`, in order, until it returns `false`.
    ///
    /// Offsets are UTF-8 byte offsets into `bytes`. After an empty match the search resumes one
    /// whole character later, never inside a multi-byte character.
    ///
    /// - Parameters:
    ///   - trustedUTF8: `true` when `bytes` is known to be valid UTF-8 (it came from a Swift
    ///     `String`); PCRE2 then skips its own validation. With `false`, invalid UTF-8 throws
    ///     ``PCRE2Error/Code-swift.struct/badSubject``.
    ///   - scratch: match data owned by the caller's task, reused across calls.
    public func forEachMatch(
        in bytes: UnsafeBufferPointer<UInt8>,
        scratch: MatchScratch,
        trustedUTF8: Bool,
        _ body: (Match) throws(PCRE2Error) -> Bool
    ) throws(PCRE2Error) {
        var position = 0
        while position <= bytes.count {
            guard let found = try match(bytes, from: position, scratch: scratch, trustedUTF8: trustedUTF8) else {
                return
            }
            guard try body(found) else { return }
            if found.range.upperBound > position && found.range.upperBound > found.range.lowerBound {
                position = found.range.upperBound
            } else {
                // Empty match (or one that ends where we started): step one whole character.
                let at = max(found.range.upperBound, position)
                position = at + Self.utf8Length(at: at, in: bytes)
            }
        }
    }

    /// One match attempt starting at byte offset `start`.
    public func match(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        scratch: MatchScratch,
        trustedUTF8: Bool,
        anchored: Bool = false
    ) throws(PCRE2Error) -> Match? {
        guard start <= bytes.count else { return nil }
        let data = scratch.data(forCaptures: captureCount)
        var flags: UInt32 = trustedUTF8 ? UInt32(PCRE2_NO_UTF_CHECK) : 0
        if anchored { flags |= UInt32(PCRE2_ANCHORED) }
        // PCRE2 wants a non-null subject pointer even for an empty subject.
        let base = bytes.baseAddress ?? Self.emptySubject
        let rc = pcre2_match_8(code, base, bytes.count, start, flags, data, matchContext)
        if rc == PCRE2_ERROR_NOMATCH { return nil }
        if rc < 0 { throw PCRE2Error.match(code: rc, pattern: pattern) }
        let ovector = pcre2_get_ovector_pointer_8(data)!
        let unset = cw_pcre2_unset()
        let whole = ovector[0]..<max(ovector[0], ovector[1])
        var groups: [Range<Int>?] = []
        if captureCount > 0 {
            groups.reserveCapacity(captureCount)
            // rc is the highest group that matched + 1 (or 0 when the ovector was too small, which
            // cannot happen: scratch sizes it from the pattern).
            let set = rc == 0 ? captureCount + 1 : Int(rc)
            for group in 1...captureCount {
                let lo = ovector[2 * group], hi = ovector[2 * group + 1]
                if group < set && lo != unset && hi != unset && lo <= hi {
                    groups.append(lo..<hi)
                } else {
                    groups.append(nil)
                }
            }
        }
        return Match(range: whole, groups: groups)
    }

    // MARK: - Helpers

    nonisolated(unsafe) private static let emptySubject: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// The length in bytes of the UTF-8 character that starts at `offset` (1 at the end or on a
    /// stray continuation byte, so iteration always advances).
    @inline(__always)
    static func utf8Length(at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard offset < bytes.count else { return 1 }
        let lead = bytes[offset]
        switch lead {
        case 0xF0...0xF7: return min(4, bytes.count - offset)
        case 0xE0...0xEF: return min(3, bytes.count - offset)
        case 0xC0...0xDF: return min(2, bytes.count - offset)
        default: return 1
        }
    }

    static func withUTF8(
        _ subject: String,
        _ body: (UnsafeBufferPointer<UInt8>) throws(PCRE2Error) -> Void
    ) throws(PCRE2Error) {
        var copy = subject
        var thrown: PCRE2Error? = nil
        copy.withUTF8 { bytes in
            do throws(PCRE2Error) { try body(bytes) } catch { thrown = error }
        }
        if let thrown { throw thrown }
    }
}

/// Whether to JIT-compile patterns.
public enum JITMode: Sendable {
    /// JIT-compile when possible, fall back to the interpreter when not (the default). The
    /// environment variable `CHATWARDEN_PCRE2_JIT=0` turns the JIT off for the whole process.
    case automatic
    /// Never JIT-compile (for hardened services and for testing the interpreter path).
    case disabled

    var isEnabled: Bool {
        switch self {
        case .disabled: return false
        case .automatic: return !JITMode.disabledByEnvironment
        }
    }

    static let disabledByEnvironment: Bool = {
        guard let value = getenv("CHATWARDEN_PCRE2_JIT") else { return false }
        let text = String(cString: value).lowercased()
        return text == "0" || text == "off" || text == "false" || text == "no"
    }()

    /// Whether this build of PCRE2 has JIT support at all.
    public static var isAvailable: Bool {
        var value: UInt32 = 0
        pcre2_config_8(UInt32(PCRE2_CONFIG_JIT), &value)
        return value != 0
    }
}

/// One match: byte ranges into the subject's UTF-8.
public struct Match: Sendable, Equatable {
    /// The whole match.
    public let range: Range<Int>
    /// Capture groups 1...n; `nil` for a group that did not take part in the match.
    public let groups: [Range<Int>?]

    public init(range: Range<Int>, groups: [Range<Int>?] = []) {
        self.range = range
        self.groups = groups
    }
}

/// PCRE2 match data for one task: reused from call to call so the hot path does not allocate.
///
/// Not `Sendable` on purpose: PCRE2 writes into it during a match, so two threads must never share
/// one. Create one per task (or per call).
public final class MatchScratch {
    private var block: OpaquePointer
    private var pairs: Int

    public init(captureCount: Int = 0) {
        pairs = captureCount + 1
        block = pcre2_match_data_create_8(UInt32(pairs), nil)!
    }

    func data(forCaptures captures: Int) -> OpaquePointer {
        if captures + 1 > pairs {
            pcre2_match_data_free_8(block)
            pairs = captures + 1
            block = pcre2_match_data_create_8(UInt32(pairs), nil)!
        }
        return block
    }

    deinit { pcre2_match_data_free_8(block) }
}

@available(*, unavailable)
extension MatchScratch: Sendable {}
