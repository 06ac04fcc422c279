public import Archive

/// Replays a timed sequence of messages through content detection and the rules over time, in
/// memory: what `chatwarden rules test --file SEQUENCE.jsonl` shows, and how the window-rule
/// fixtures are checked. (The pipeline runs the same two steps, with the store as memory.)
public final class SequenceReplay {
    public let detector: ContentDetector
    public let windows: WindowEngine
    let scratch: DetectorScratch
    /// What each message replayed so far said and raised, for recalls.
    private var seen: [String: RecalledMessage] = [:]

    public init(detector: ContentDetector, settings: WindowSettings = WindowSettings(), keepNormalized: Bool = false) {
        self.detector = detector
        self.windows = WindowEngine(settings: settings, normalizer: detector.normalizer)
        self.scratch = DetectorScratch(keepNormalized: keepNormalized)
    }

    /// One message: its content detection and what the rules over time raised.
    public func replay(_ message: ArchiveMessage) -> (detection: Detection, windows: [WindowFinding]) {
        let detection = detector.detect(message, scratch: scratch)
        let rules = Set(detection.findings.filter { !$0.limitReached }.map(\.rule)).sorted()
        let recalled = WindowEngine.recalledID(message).flatMap { seen[$0] }
        let found = windows.process(message, contentRules: rules, recalled: recalled)
        seen[message.msgid] = RecalledMessage(text: message.scannableText, alertRules: rules)
        return (detection, found)
    }
}
