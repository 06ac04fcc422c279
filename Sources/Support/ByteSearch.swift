import Glibc

/// Substring search on UTF-8 bytes. Foundation's `range(of:)` and `contains` compare grapheme
/// clusters through CoreFoundation and cost microseconds a call; the texts searched on the hot
/// path are already normalised, so byte equality is the comparison wanted.
extension String {
    /// The byte offsets of the first (or, `backwards`, the last) occurrence of `needle`.
    public func utf8Range(of needle: String, backwards: Bool = false) -> Range<Int>? {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { hay in
            needle.withUTF8 { pin -> Range<Int>? in
                guard !pin.isEmpty, pin.count <= hay.count, let hayBase = hay.baseAddress,
                    let pinBase = pin.baseAddress
                else { return pin.isEmpty ? 0..<0 : nil }
                // (Glibc's memmem is not visible to Swift: memchr for the first byte, then memcmp.)
                if !backwards {
                    var start = 0
                    let last = hay.count - pin.count
                    while start <= last {
                        guard let found = memchr(hayBase + start, Int32(pin[0]), last - start + 1) else { return nil }
                        start = UnsafeRawPointer(found) - UnsafeRawPointer(hayBase)
                        if memcmp(hayBase + start, pinBase, pin.count) == 0 { return start..<(start + pin.count) }
                        start += 1
                    }
                    return nil
                }
                var start = hay.count - pin.count
                while start >= 0 {
                    if memcmp(hayBase + start, pinBase, pin.count) == 0 { return start..<(start + pin.count) }
                    start -= 1
                }
                return nil
            }
        }
    }

    /// Whether `needle` occurs in the text, byte for byte.
    public func utf8Contains(_ needle: String) -> Bool { utf8Range(of: needle) != nil }
}
