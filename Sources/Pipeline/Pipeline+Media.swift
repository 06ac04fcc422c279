import Alerts
import Archive
import Config
import Detect
public import Media
public import Store
import Vocabulary

/// What one pass of the image path did.
public struct MediaRun: Sendable, Equatable {
    public var done = 0
    public var missing = 0
    public var skipped = 0
    public var alerts = 0
    public init() {}
}

/// The image path (issue 21): image messages wait as media jobs (written with the message); a
/// worker beside the ingest loop finds each image file, reads it under limits, decodes its QR
/// codes, classifies them (`media.qr.<kind>`), reads its text (Tesseract, under a deadline), runs
/// each payload and the text through the same content detection as message text, and commits the
/// alerts in the transaction that marks the job done.
extension Pipeline {
    /// The rule of a QR code's kind, with its severity (text payloads raise only what the text
    /// detectors find in them).
    static let qrRules: [QRPayloadKind: Severity] = [
        .wechatPay: .critical, .alipay: .critical, .wechatContact: .high, .wechatGroup: .high, .wecomContact: .medium,
        .url: .low,
    ]
    public static let imageCategory = "image-qr"

    /// The media jobs of this batch's image messages (when `[media] dir` is set).
    func mediaJobs(_ batch: PreparedBatch) -> [MediaJob] {
        guard config.media.directory != nil else { return [] }
        return batch.examined.compactMap { item in
            guard case .image(let md5, _, let sdkfileid) = item.message.content else { return nil }
            return MediaJob(msgid: item.message.msgid, md5sum: md5, sdkfileid: sdkfileid, msgtime: item.message.msgtime)
        }
    }

    /// Works through the due jobs (at most `limit`), one transaction each.
    public func processMedia(
        limit: Int = 20, now: Int64 = ChatStore.nowMilliseconds(), workspace: ImageWorkspace
    ) throws(StoreError) -> MediaRun {
        var run = MediaRun()
        guard let directory = config.media.directory else { return run }
        let locator = MediaLocator(
            directory: directory, templates: config.media.templates ?? MediaLocator.defaultTemplates)
        let limits = ImageLimits(maxBytes: config.media.maxBytes, maxPixels: config.media.maxPixels)
        for job in try store.dueMediaJobs(now: now, limit: limit) {
            var batch = RecordBatch()
            batch.ruleVersion = ruleVersion
            guard
                let path = locator.locate(
                    md5sum: job.md5sum, sdkfileid: job.sdkfileid, msgid: job.msgid, msgtime: job.msgtime)
            else {
                // Not downloaded yet (or never): looked for again, less and less often, up to hourly.
                let wait = min(Int64(3_600_000), Int64(60_000) << Int64(min(job.attempts, 6)))
                let looked = locator.candidates(
                    md5sum: job.md5sum, sdkfileid: job.sdkfileid, msgid: job.msgid, msgtime: job.msgtime)
                batch.mediaUpdates = [
                    MediaJobUpdate(
                        msgid: job.msgid, status: .missing,
                        reason: "no file (looked for \(looked.first ?? "nothing usable"))",
                        nextAt: now + wait)
                ]
                _ = try record(batch) { (record) throws(StoreError) in try store.record(record) }
                run.missing += 1
                continue
            }
            let (update, alerts) = examineImage(job: job, path: path, limits: limits, workspace: workspace)
            batch.alerts = alerts
            batch.mediaUpdates = [update]
            let new = try record(batch) { (record) throws(StoreError) in try store.record(record) }
            run.alerts += new.count
            if update.status == .done { run.done += 1 } else { run.skipped += 1 }
        }
        return run
    }

    /// One image: its QR codes as alerts, their payloads and the image's text (OCR) through the
    /// text detectors. The image itself is decoded by the workspace's examiner (a helper process
    /// in the daemon and `media run`).
    func examineImage(
        job: MediaJob, path: String, limits: ImageLimits, workspace: ImageWorkspace
    ) -> (MediaJobUpdate, [Alert]) {
        let settings = config.media
        let request = ImageRequest(
            path: path, limits: limits, ocr: settings.ocr, languages: settings.ocrLanguages,
            tessdata: settings.tessdata, ocrMilliseconds: settings.ocrMilliseconds,
            minConfidence: settings.ocrMinConfidence, ocrMaxPixels: settings.ocrMaxPixels)
        let report: ImageReport
        switch workspace.examine(request, seconds: Double(settings.decodeSeconds)) {
        case .failure(let failure):
            return (MediaJobUpdate(msgid: job.msgid, status: .skipped, reason: failure.description, path: path), [])
        case .success(let r): report = r
        }
        let hash = report.sha256 ?? ""
        if let problem = report.problem {
            return (MediaJobUpdate(msgid: job.msgid, status: .skipped, reason: problem, path: path, sha256: hash), [])
        }
        guard let message = try? store.message(msgid: job.msgid) else {
            return (
                MediaJobUpdate(
                    msgid: job.msgid, status: .skipped, reason: "the message is not in the index", path: path,
                    sha256: hash), []
            )
        }
        var alerts: [Alert] = []
        var seenRules = Set<String>()
        for code in report.codes {
            let origin = "QR code in image \(path) (sha256 \(hash)) at \(code.box)"
            if let severity = Self.qrRules[code.kind] {
                let rule = "media.qr.\(code.kind.rawValue)"
                if seenRules.insert(rule).inserted {
                    alerts.append(
                        Alert(
                            id: Alert.contentID(rule: rule, msgid: job.msgid), rule: rule, category: Self.imageCategory,
                            severity: severity, msgid: job.msgid, msgtime: message.msgtime, roomid: message.roomid,
                            conversation: message.conversation, from: message.sender, tolist: message.tolist,
                            matched: code.payload, term: code.kind.rawValue, spanStart: 0,
                            spanEnd: code.payload.utf8.count,
                            text: code.payload, file: message.file, line: message.line, offset: message.offset,
                            details: "\(origin): \(code.kind.rawValue)"))
                }
            }
            for var alert in textAlerts(code.payload, of: message, scratch: workspace.scratch)
            where seenRules.insert(alert.rule).inserted {
                alert.details = "\(origin): " + alert.details
                alerts.append(alert)
            }
        }
        var summary =
            report.codes.isEmpty
            ? "no QR code"
            : "\(report.codes.count) QR code(s): " + report.codes.map(\.kind.rawValue).joined(separator: ", ")
        if let problem = report.textProblem {
            summary += "; text not read: \(problem)"
            workspace.textProblem = problem
        }
        if let read = report.text {
            summary += "; \(read.lines.count) line(s) of text"
            if read.unsureLines > 0 { summary += " (\(read.unsureLines) unsure line(s) left out)" }
            if read.stoppedAtDeadline {
                summary += "; text reading stopped at its limit of \(settings.ocrMilliseconds / 1000) s"
            }
            // The text as read, then (for rules it did not raise) as read with OCR's look-alike
            // letters put back; the evidence stays the text as read, the same span in it.
            var found = textAlerts(read.text, of: message, scratch: workspace.scratch)
            if let reading = ImageText.lookAlikeReading(read.text) {
                for var alert in textAlerts(reading, of: message, scratch: workspace.scratch) {
                    alert.details += " (read with OCR look-alikes put back: \(alert.matched))"
                    alert.text = read.text
                    let bytes = Array(read.text.utf8)
                    let span = min(alert.spanStart, bytes.count)..<min(max(alert.spanEnd, alert.spanStart), bytes.count)
                    alert.matched = String(decoding: bytes[span], as: UTF8.self)
                    found.append(alert)
                }
            }
            for var alert in found where seenRules.insert(alert.rule).inserted {
                let boxes = read.boxes(utf8: alert.spanStart..<max(alert.spanEnd, alert.spanStart + 1))
                alert.details =
                    "text read in image \(path) (sha256 \(hash)) at \(boxes.map(\.description).joined(separator: " ")): "
                    + alert.details
                alerts.append(alert)
            }
        }
        return (MediaJobUpdate(msgid: job.msgid, status: .done, reason: summary, path: path, sha256: hash), alerts)
    }

    /// Text found in an image (a QR code's payload, the words of a screenshot) through the
    /// detectors every message goes through, as if the image's sender had typed it.
    func textAlerts(_ text: String, of message: StoredMessage, scratch: DetectorScratch) -> [Alert] {
        guard !text.isEmpty else { return [] }
        let asText = ArchiveMessage(
            msgid: message.msgid, action: .send, from: message.sender, tolist: message.tolist,
            roomid: message.roomid, msgtime: message.msgtime, msgtype: "text", content: .text(text),
            source: SourcePosition(file: message.file, line: message.line, offset: message.offset, length: 0))
        return Alert.fromFindings(detector.detect(asText, scratch: scratch).findings, message: asText)
    }
}

/// What one thread keeps from image to image: the detectors' scratch space and the image
/// examiner — a helper process (``IsolatedImageExaminer``, the daemon and `media run`: a crash
/// or a runaway decode ends the helper, not the caller) or this process (tests, tools).
public final class ImageWorkspace {
    let scratch = DetectorScratch()
    private let isolated: IsolatedImageExaminer?
    private let local = ImageExaminer()
    /// Why text in images is not being read, as the last report said (nil = it is, or it is off).
    public internal(set) var textProblem: String?

    /// `helper`: the command of the helper process; nil = examine in this process.
    public init(helper: [String]? = IsolatedImageExaminer.helperCommand()) {
        isolated = helper.map { IsolatedImageExaminer(command: $0) }
    }

    func examine(_ request: ImageRequest, seconds: Double) -> Result<ImageReport, ExaminationFailure> {
        guard let isolated else { return .success(local.examine(request)) }
        return isolated.examine(request, seconds: seconds)
    }
}
