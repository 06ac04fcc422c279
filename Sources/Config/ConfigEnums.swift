/// The shape of the archive's JSON lines.
public enum ArchiveFormat: String, Sendable, Equatable {
    /// WeCom conversation-archive JSON lines (`msgid`, `from`, `msgtime`, a payload per type).
    case wecom
    /// Other JSON lines, read through `[archive.mapping]`.
    case mapped
}

/// How the daemon notices that archive files grew.
public enum WatchMode: String, Sendable, Equatable {
    /// inotify events (local file systems).
    case inotify
    /// Looking every `poll_interval_ms` (network file systems, where inotify says nothing).
    case poll
}
