import Config
import Logging
import Pipeline
import Detect
import Ingest
import Rules

extension Daemon {
    /// SIGHUP: reload the configuration file and the rules. A broken new configuration (bad
    /// rules, a notification channel that cannot send) keeps the old one running and says why.
    /// The store, the alert log and the daemon's name hold until restart.
    func reload() {
        systemd.reloading()
        var newConfig = config
        if let configPath {
            do {
                newConfig = try Config.load(file: configPath)
                newConfig.stateDirectory = config.stateDirectory
                newConfig.storePath = config.storePath
                newConfig.storeOverride = config.storeOverride
                // Like the store, the name holds until restart (it keys this daemon's checkpoints).
                newConfig.daemonName = config.daemonName
                // Command-line options still override the file.
                if config.watchFromCommandLine {
                    newConfig.watch = config.watch
                    newConfig.watchFromCommandLine = true
                }
            } catch {
                logger.error("reload failed: keeping the running configuration", metadata: ["error": "\(error)"])
                systemd.ready(status: "reload failed, running the previous configuration: \(error)")
                return
            }
        }
        do {
            try Self.checkChannels(newConfig)
            pipeline = try pipeline.reloaded(config: newConfig)
        } catch {
            logger.error(
                "reload failed: keeping the running configuration and rules",
                metadata: ["error": "\(error.description)"])
            systemd.ready(status: "reload failed, running the previous rules: \(error.message)")
            return
        }
        config = newConfig
        windows.engine?.settings = newConfig.windows
        follower.follow(patterns: newConfig.watch)
        logger.notice(
            "reloaded",
            metadata: [
                "categories": "\(pipeline.rules.categories.count)", "words": "\(pipeline.rules.words.count)",
                "patterns": "\(pipeline.rules.patterns.count)",
            ])
        systemd.ready(status: statusLine())
    }
}
