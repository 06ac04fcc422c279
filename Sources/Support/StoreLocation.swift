/// What names a store: a SQLite file path, or a `postgres://` URL for one PostgreSQL database
/// shared by several daemons. The one test of which it is (configuration and store alike).
public enum StoreLocation {
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }
}
