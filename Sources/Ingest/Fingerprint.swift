#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A fingerprint of a file's first bytes: `"<length>:<fnv1a-64 hex>"`.
///
/// The tailer fingerprints the first `min(1024, committed offset)` bytes: a file smaller than
/// 1 KiB is fingerprinted over what has been read, and the fingerprint grows with it up to 1 KiB.
public enum Fingerprint {
    public static let maxBytes = 1024

    /// Fingerprints the first `length` bytes of the open file, or nil if it has fewer.
    public static func compute(fd: Int32, length: Int) -> String? {
        let length = min(length, maxBytes)
        var buffer = [UInt8](repeating: 0, count: max(length, 1))
        var got = 0
        while got < length {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, length - got, off_t(got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in buffer[0..<length] {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return "\(length):\(String(hash, radix: 16))"
    }

    /// The length a fingerprint covers.
    public static func length(of fingerprint: String) -> Int {
        Int(fingerprint.prefix { $0 != ":" }) ?? 0
    }

    /// Whether the file open as `fd` still begins with the bytes `fingerprint` was taken from.
    public static func matches(fd: Int32, fingerprint: String) -> Bool {
        compute(fd: fd, length: length(of: fingerprint)) == fingerprint
    }
}
