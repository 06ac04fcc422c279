import Alerts
import Archive
public import Config
import Crypto
import Detect
import Media
public import Store
import Support
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
    /// text detectors.
    func examineImage(
        job: MediaJob, path: String, limits: ImageLimits, workspace: ImageWorkspace
    ) -> (MediaJobUpdate, [Alert]) {
        guard let bytes = FileIO.readAll(path) else {
            return (MediaJobUpdate(msgid: job.msgid, status: .skipped, reason: "cannot read \(path)", path: path), [])
        }
        let hash = Hex.lowercase(SHA256.hash(data: bytes))
        let image: GrayImage
        do {
            image = try ImageReader.read(bytes: bytes, limits: limits)
        } catch {
            return (
                MediaJobUpdate(msgid: job.msgid, status: .skipped, reason: error.description, path: path, sha256: hash),
                []
            )
        }
        guard let message = try? store.message(msgid: job.msgid) else {
            return (
                MediaJobUpdate(
                    msgid: job.msgid, status: .skipped, reason: "the message is not in the index", path: path,
                    sha256: hash), []
            )
        }
        let codes = QRDecoder.decode(image)
        var alerts: [Alert] = []
        var seenRules = Set<String>()
        for code in codes {
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
            codes.isEmpty
            ? "no QR code" : "\(codes.count) QR code(s): " + codes.map(\.kind.rawValue).joined(separator: ", ")
        if config.media.ocr {
            switch workspace.recognizer(config.media) {
            case .failure(let problem):
                summary += "; text not read: \(problem.description)"
            case .success(let recognizer):
                let read = recognizer.read(
                    image, milliseconds: config.media.ocrMilliseconds, minConfidence: config.media.ocrMinConfidence)
                summary += "; \(read.lines.count) line(s) of text"
                if read.unsureLines > 0 { summary += " (\(read.unsureLines) unsure line(s) left out)" }
                if read.stoppedAtDeadline {
                    summary += "; text reading stopped at its limit of \(config.media.ocrMilliseconds) ms"
                }
                for var alert in textAlerts(read.text, of: message, scratch: workspace.scratch)
                where seenRules.insert(alert.rule).inserted {
                    let boxes = read.boxes(utf8: alert.spanStart..<max(alert.spanEnd, alert.spanStart + 1))
                    alert.details =
                        "text read in image \(path) (sha256 \(hash)) at \(boxes.map(\.description).joined(separator: " ")): "
                        + alert.details
                    alerts.append(alert)
                }
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

/// What one thread keeps from image to image: the detectors' scratch space and Tesseract's
/// loaded language models (loading them takes a few hundred milliseconds, so once per thread;
/// Tesseract's engine is not shared between threads).
public final class ImageWorkspace {
    let scratch = DetectorScratch()
    private var loaded: Result<TextRecognizer, OCRUnavailable>?

    public init() {}

    /// The recogniser for `[media] ocr_languages`, loaded on first use; a failure to load is
    /// kept (and reported in every job's summary) rather than retried per image.
    func recognizer(_ settings: MediaSettings) -> Result<TextRecognizer, OCRUnavailable> {
        if let loaded { return loaded }
        let result = Result { () throws(OCRUnavailable) in
            try TextRecognizer(languages: settings.ocrLanguages, dataPath: settings.tessdata)
        }
        loaded = result
        return result
    }

    /// Whether text can be read here, and if not why: for the daemon's start-up log and `media status`.
    public func textReadingProblem(_ settings: MediaSettings) -> String? {
        guard settings.ocr else { return nil }
        if case .failure(let problem) = recognizer(settings) { return problem.description }
        return nil
    }
}
