#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Glob expansion (glob(3)).
public enum Glob {
    public static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths
    }

    /// The directory part of a pattern, when it has no wildcard (the directory to watch).
    public static func directory(of pattern: String) -> String {
        guard let slash = pattern.lastIndex(of: "/") else { return "." }
        let dir = String(pattern[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
