public import Alerts
public import Vocabulary
import Support

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A place alerts are sent: a WeCom group robot or a generic JSON webhook.
public struct NotificationChannel: Sendable, Equatable {
    /// What the channel sends (``NotificationFormat/Kind``).
    public typealias Kind = NotificationFormat.Kind

    /// Where the URL (which holds the robot's secret key) comes from: never logged.
    public enum URLSource: Sendable, Equatable {
        case literal(String)
        case file(String)
        case environment(String)
    }

    public var name: String
    public var kind = Kind.wecomMarkdown
    public var url = URLSource.literal("")
    public var minimumSeverity = Severity.medium
    public var categories: Set<String> = []
    /// At or above: sent on its own at once. Below: in a digest every `digestSeconds`.
    public var immediateSeverity = Severity.critical
    public var digestSeconds = 600
    /// WeCom group robots take at most 20 messages a minute.
    public var perMinute = 20

    public init(name: String) { self.name = name }

    public var route: NotificationRoute {
        NotificationRoute(
            channel: name, minimumSeverity: minimumSeverity, categories: categories,
            immediateSeverity: immediateSeverity)
    }

    /// The webhook URL, read and checked (http or https): a channel that cannot send is a bad
    /// configuration, refused at start-up (and on reload, which keeps the running one).
    public func usableURL() -> Result<String, ConfigError> {
        switch resolveURL() {
        case .failure(let error): return .failure(error)
        case .success(let text):
            let scheme = text.prefix { $0 != ":" }.lowercased()
            guard scheme == "https" || scheme == "http", text.contains("://") else {
                return .failure(
                    ConfigError(
                        file: "[notify.\(name)]", line: 0, column: 0, key: nil,
                        message: "the webhook URL is not an http(s) URL (it begins \"\(text.prefix(8))…\")"))
            }
            return .success(text)
        }
    }

    /// Reads the URL from where the configuration says (a failure with the reason when it cannot).
    public func resolveURL() -> Result<String, ConfigError> {
        switch url {
        case .literal(let u): return .success(u)
        case .environment(let name):
            guard let v = Config.environment(name) else {
                return .failure(
                    ConfigError(
                        file: "environment", line: 0, column: 0, key: "notify.\(self.name).url_env",
                        message: "$\(name) is not set"))
            }
            return .success(v)
        case .file(let path):
            guard let bytes = FileIO.readAll(path) else {
                return .failure(
                    ConfigError(
                        file: path, line: 0, column: 0, key: "notify.\(self.name).url_file",
                        message: FileIO.describe(errno: errno, reading: "the webhook URL file")))
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return .failure(
                    ConfigError(
                        file: path, line: 0, column: 0, key: "notify.\(self.name).url_file", message: "not valid UTF-8")
                )
            }
            return .success(text.trimmingCharacters())
        }
    }
}
