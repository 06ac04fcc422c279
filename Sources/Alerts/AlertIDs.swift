import Crypto
public import Detect
import Support

/// Deterministic alert ids: the first 128 bits of SHA-256 over the rule and what the alert is
/// about (``AlertSubject``), as 32 hex digits.
///
/// Ids are shortened to their first 8 or so digits by people (`alerts show 3fa9c2e1`), so every
/// digit must depend on every input byte: sequential message ids (`msg0` … `msg2999`) must not
/// share prefixes. The ids of earlier releases (``legacy(rule:subject:)``, an FNV-1a whose last
/// input bytes barely reach its first digits) stay valid in the stores that hold them; the store
/// uses them so that a rescan of old archives does not raise a second alert for the same thing.
public enum AlertIDs {
    public static func id(rule: String, subject: AlertSubject) -> String { digest(parts(rule, subject)) }

    /// The id an earlier release gave the same alert.
    public static func legacy(rule: String, subject: AlertSubject) -> String { fnv128(parts(rule, subject)) }

    public static func content(rule: String, msgid: String) -> String { id(rule: rule, subject: .message(msgid)) }
    public static func window(rule: String, key: String, start: Int64) -> String {
        id(rule: rule, subject: .window(key: key, start: start))
    }
    public static func legacyContent(rule: String, msgid: String) -> String {
        legacy(rule: rule, subject: .message(msgid))
    }

    static func parts(_ rule: String, _ subject: AlertSubject) -> [String] {
        switch subject {
        case .message(let msgid): return ["content", rule, msgid]
        case .window(let key, let start): return ["window", rule, key, String(start)]
        }
    }

    /// SHA-256 over the parts (NUL-separated), the first 16 bytes as 32 hex digits.
    public static func digest(_ parts: [String]) -> String {
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { bytes.append(0) }
            bytes.append(contentsOf: part.utf8)
        }
        return Hex.lowercase(SHA256.hash(data: bytes).prefix(16))
    }

    /// 128-bit FNV-1a over the parts (NUL-separated), as 32 hex digits: the ids of earlier releases.
    public static func fnv128(_ parts: [String]) -> String {
        var hash: UInt128 = 0x6C62_272E_07BB_0142_62B8_2175_6295_C58D
        let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B
        for (index, part) in parts.enumerated() {
            if index > 0 {
                hash ^= 0
                hash = hash &* prime
            }
            for byte in part.utf8 {
                hash ^= UInt128(byte)
                hash = hash &* prime
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 32 - hex.count) + hex
    }
}
