#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A store failure, naming the database file (or the PostgreSQL URL without its password).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }

    /// What went wrong when `doing` something to `path` failed with `errno`, saying plainly
    /// when the cause is access ("permission denied: DIR"), naming the directory that refused.
    public static func describeAccess(path: String, errno code: Int32, doing: String) -> String {
        if code == EACCES || code == EPERM {
            return
                "permission denied: \(deniedComponent(of: path)) (cannot \(doing); run as a user who may read and write the state directory)"
        }
        return "cannot \(doing): \(String(cString: strerror(code)))"
    }

    /// The first directory on the way to `path` this process may not search, or `path` itself.
    public static func deniedComponent(of path: String) -> String {
        var current = path.hasPrefix("/") ? "" : "."
        let parts = path.split(separator: "/")
        for part in parts.dropLast() {
            current += "/" + part
            if access(current, X_OK) != 0 && errno == EACCES { return current }
        }
        return path
    }
}
