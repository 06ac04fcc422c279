/// Near-duplicate fingerprints for ad blasts: the same text with numbers, emoji, punctuation and
/// small edits changed must look the same; different ads must not.
///
/// The text is normalised to its dense view (width, case, script, emoji and punctuation already
/// gone), digits and the `x` masks some archivers use for numbers are dropped, and what is left
/// is cut into overlapping character 3-grams. Eight MinHash values summarise that set: two texts
/// agree on each value with probability equal to their Jaccard similarity. The values are
/// grouped into 4 bands of 2 (locality-sensitive hashing): texts that share a band are
/// candidates, confirmed when their estimated similarity is at least ``threshold``.
public struct NearDuplicate: Sendable, Hashable {
    /// Eight MinHash values.
    public let minhashes: [UInt32]
    /// The number of distinct shingles (0: too little text to compare).
    public let shingleCount: Int

    public static let hashCount = 8
    public static let bands = 4
    /// Estimated Jaccard similarity at or above which two texts are the same ad.
    public static let threshold = 0.6
    /// Texts shorter than this (in characters, after normalisation) are not fingerprinted:
    /// "好的" sent to ten chats is not an ad blast.
    public static let minimumCharacters = 8

    /// The fingerprint of a dense-normalised text, or nil when it is too short to judge.
    public init?(dense: String) {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(dense.unicodeScalars.count)
        for s in dense.unicodeScalars {
            let v = s.value
            if (0x30...0x39).contains(v) || v == 0x78 { continue }  // digits and 'x' masks
            scalars.append(v)
        }
        guard scalars.count >= Self.minimumCharacters else { return nil }
        var mins = [UInt32](repeating: UInt32.max, count: Self.hashCount)
        var seen = Set<UInt64>()
        for i in 0..<(scalars.count - 2) {
            let shingle = UInt64(scalars[i]) << 42 ^ UInt64(scalars[i + 1]) << 21 ^ UInt64(scalars[i + 2])
            guard seen.insert(shingle).inserted else { continue }
            for k in 0..<Self.hashCount {
                let h = Self.mix(shingle &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
                let v = UInt32(truncatingIfNeeded: h >> 32)
                if v < mins[k] { mins[k] = v }
            }
        }
        minhashes = mins
        shingleCount = seen.count
    }

    init(minhashes: [UInt32], shingleCount: Int) {
        self.minhashes = minhashes
        self.shingleCount = shingleCount
    }

    /// The band keys: texts sharing one are candidates.
    public var bandKeys: [UInt64] {
        (0..<Self.bands).map { b in
            UInt64(b) << 60 ^ UInt64(minhashes[2 * b]) << 28 ^ UInt64(minhashes[2 * b + 1] >> 4)
        }
    }

    /// The estimated Jaccard similarity of two fingerprints.
    public func similarity(_ other: NearDuplicate) -> Double {
        var same = 0
        for k in 0..<Self.hashCount where minhashes[k] == other.minhashes[k] { same += 1 }
        return Double(same) / Double(Self.hashCount)
    }

    public func isSameText(as other: NearDuplicate) -> Bool { similarity(other) >= Self.threshold }

    /// A compact text form for persisting.
    var encoded: String { minhashes.map { String($0, radix: 36) }.joined(separator: ".") + "/" + String(shingleCount) }

    init?(encoded: Substring) {
        let parts = encoded.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[1]) else { return nil }
        let values = parts[0].split(separator: ".").compactMap { UInt32($0, radix: 36) }
        guard values.count == Self.hashCount else { return nil }
        self.init(minhashes: values, shingleCount: count)
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
