import Config
import Foundation
import Logging
import Pipeline
import Store
import Synchronization

/// The image path's worker (issue 21): a thread beside the ingest loop, so that text alerts
/// never wait for an image. It works through the media jobs the ingest loop commits with the
/// messages (`Pipeline.processMedia`: each image's alerts commit with its job's update, the
/// media checkpoint), then sleeps a second. It runs at a lower priority than the ingest loop
/// and keeps Tesseract's models loaded between images. Its own pipeline (rules compiled once, the same
/// store) records its rule version as `media`; on reload the daemon starts a new worker.
final class MediaWorker: Sendable {
    struct Counters: Sendable {
        var examined = 0
        var alerts = 0
        var missing = 0
        var skipped = 0
        /// Jobs waiting (pending or missing), as of the last look.
        var backlog = 0
    }

    let config: Config
    let logger: Logger
    private let stopping = Mutex(false)
    let counters = Mutex(Counters())
    private let finished = Mutex(false)

    init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "chatwarden-media"
        thread.start()
    }

    /// Asks the worker to stop and waits (up to 30 s) for its current image to commit.
    func stop() {
        stopping.withLock { $0 = true }
        let deadline = Date().addingTimeInterval(30)
        while !finished.withLock({ $0 }) && Date() < deadline { usleep(20_000) }
    }

    private func run() {
        defer { finished.withLock { $0 = true } }
        // Images wait for text, not the other way round: on Linux a thread's nice value is its
        // own, and the threads Tesseract's OpenMP starts from here inherit it, so under load the
        // ingest loop gets the cores first. (Linux applies PRIO_PROCESS with 0 to the calling thread.)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        var pipeline: Pipeline? = nil
        let workspace = ImageWorkspace()
        var toldTextProblem = false
        while !stopping.withLock({ $0 }) {
            if pipeline == nil {
                do {
                    pipeline = try Pipeline(config: config, logger: logger, reason: "media")
                } catch {
                    logger.error("the image path cannot start; will retry", metadata: ["error": "\(error)"])
                }
            }
            var busy = false
            if let pipeline {
                do {
                    let run = try pipeline.processMedia(limit: 10, workspace: workspace)
                    busy = run.done + run.skipped > 0
                    let counts = try pipeline.store.mediaJobCounts()
                    counters.withLock {
                        $0.examined += run.done
                        $0.alerts += run.alerts
                        $0.missing += run.missing
                        $0.skipped += run.skipped
                        $0.backlog = (counts["pending"] ?? 0) + (counts["missing"] ?? 0)
                    }
                    if run.alerts > 0 { logger.info("alerts from images", metadata: ["alerts": "\(run.alerts)"]) }
                    if let problem = workspace.textProblem, !toldTextProblem {
                        toldTextProblem = true
                        logger.error(
                            "text in images is not being read ([media] ocr); QR codes still are",
                            metadata: ["problem": "\(problem)"])
                    }
                } catch {
                    logger.warning("the image path could not commit; will retry", metadata: ["error": "\(error)"])
                }
            }
            if !busy {
                for _ in 0..<20 where !stopping.withLock({ $0 }) { usleep(50_000) }
            }
        }
    }
}
