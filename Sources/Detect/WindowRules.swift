public import Archive
import Rules
public import Normalize
import Support
public import Vocabulary

/// Settings of the rules over time. Every threshold has a documented default (README, "Rules
/// over time").
public struct WindowSettings: Sendable, Equatable {
    /// flood: one sender, `floodCount` or more messages in one conversation within `floodWindow`.
    public var floodCount = 10
    public var floodWindowMs: Int64 = 60_000
    /// blast: the same text (near-duplicate) to `blastConversations` or more distinct
    /// conversations within `blastWindow`.
    public var blastConversations = 5
    public var blastWindowMs: Int64 = 600_000
    /// repeated hits: one sender raising content alerts `hitsCount` times within `hitsWindow`.
    public var hitsCount = 3
    public var hitsWindowMs: Int64 = 3_600_000
    /// recall after hit: a recall of a message that raised an alert, or within `recallWindow`
    /// after an alert by the same sender in the same conversation.
    public var recallWindowMs: Int64 = 120_000
    /// new member link: a customer's link, card or mini-program within `newMemberWindow` of their
    /// first message in a group.
    public var newMemberWindowMs: Int64 = 600_000
    /// A violation split over consecutive messages of one sender in one conversation is caught
    /// when the parts come within this time of each other (at most three parts).
    public var splitWindowMs: Int64 = 60_000
    /// Messages older than the newest seen for their key by more than this are not counted.
    public var allowedLatenessMs: Int64 = 60_000
    /// The most keys kept across all rules; beyond it the least recently active are evicted.
    public var maxKeys = 500_000
    /// How long (event time) a group member is remembered as seen, for "new member" links.
    public var memberMemoryMs: Int64 = 30 * 86_400_000
    /// Rules switched off (ids such as `window.flood`).
    public var disabled: Set<String> = []

    public init() {}

    /// Every rule over time this engine knows, with the id its alerts carry.
    public static let ruleIDs = [
        "window.flood", "window.blast", "window.repeated-hits", "window.recall-after-hit", "group.customer-link",
        "window.new-member-link", "money.staff-redpacket",
    ]
}

/// One key's saved state, as the store keeps it: the state itself is the engine's own encoding
/// (opaque to the store); what the store needs to know — how old the key is, to expire shared
/// state — is a column of its own.
public struct WindowStateRow: Sendable, Equatable {
    public var key: String
    public var data: String
    /// The event time (ms) the key was last used.
    public var lastTouched: Int64

    public init(key: String, data: String, lastTouched: Int64) {
        self.key = key
        self.data = data
        self.lastTouched = lastTouched
    }
}

/// The rule family a window key belongs to, written as the key's prefix. Keys are built here
/// only, so the prefixes are spelled once.
public enum WindowKeyFamily: String, Sendable, CaseIterable {
    /// Flood: conversation + sender.
    case flood = "f|"
    /// Blast: one band of a text's near-duplicate fingerprint.
    case blast = "b|"
    /// Repeated hits: sender.
    case repeatedHits = "h|"
    /// Recall after hit: conversation + sender.
    case recall = "r|"
    /// A group member's first message: room + sender.
    case member = "m|"
    /// The last short messages of one sender in one conversation, for violations split over them.
    case fragments = "s|"

    /// The families whose windows can span archive shards, shared by the daemons of one store.
    public static let sharedAcrossShards: Set<WindowKeyFamily> = [.blast, .repeatedHits]

    /// A key of this family from its parts (plain concatenation: this runs for every message).
    public func key(_ part: String) -> String { rawValue + part }
    public func key(_ first: String, _ second: String) -> String { rawValue + first + "|" + second }

    /// The family of `key`, from its prefix (two bytes looked at: eviction asks this of every
    /// key it holds).
    public init?(key: String) {
        var bytes = key.utf8.makeIterator()
        guard let first = bytes.next(), bytes.next() == UInt8(ascii: "|") else { return nil }
        switch first {
        case UInt8(ascii: "f"): self = .flood
        case UInt8(ascii: "b"): self = .blast
        case UInt8(ascii: "h"): self = .repeatedHits
        case UInt8(ascii: "r"): self = .recall
        case UInt8(ascii: "m"): self = .member
        case UInt8(ascii: "s"): self = .fragments
        default: return nil
        }
    }
}

/// What an alert is about: the thing its deterministic id is made from, so that replaying any
/// input, a crash, or a rescan names the same alert the same way.
public enum AlertSubject: Sendable, Hashable {
    /// One message (content rules, and window rules that judge a single message).
    case message(String)
    /// One window of a rule over time: the window's key and the time of its first message.
    case window(key: String, start: Int64)
}

/// What a rule over time raised for one message.
public struct WindowFinding: Sendable, Equatable {
    public var rule: String
    public var category: String
    public var severity: Severity
    /// What the alert is about — one message, or one window (its key and first message's
    /// time) — from which the Alerts module names it (a deterministic id).
    public var subject: AlertSubject
    /// What was seen, for people ("12 messages in 60 s", "the same text to 6 conversations").
    public var summary: String
    /// Evidence text (for a recall: the recalled message's text).
    public var evidence: String
    /// The messages that make up the evidence.
    public var related: [String]
}

/// The content alerts of a recalled message, looked up by the pipeline in the store and in the
/// current batch.
public struct RecalledMessage: Sendable {
    public var text: String
    public var alertRules: [String]

    public init(text: String, alertRules: [String]) {
        self.text = text
        self.alertRules = alertRules
    }
}

/// The rules over time: flood, blast, repeated hits, recall after hit, customer links in groups,
/// links by new group members, red packets from staff.
///
/// Windows are on event time (`msgtime`), never arrival time. Messages are taken in the order
/// the archive holds them (as `scan` reads files); one that is older than the newest seen for its
/// key by no more than the allowed lateness is slotted into place and counted; older ones are
/// not counted by window rules (content rules still see them). A window of length T ending at a
/// message's time t holds the messages with time in (t − T, t]: two messages exactly T apart are
/// not in one window. After a window rule fires for a key it stays quiet for T (one alert per
/// burst), and the alert id is built from the rule, the key and the time of the window's first
/// message, so a rescan raises the same alert ids as the live daemon.
///
/// State is bounded: keys whose newest event is older than every window are dropped, and past
/// ``WindowSettings/maxKeys`` the least recently active keys are evicted. Changed keys are handed
/// to the store in the batch's transaction, so the state survives restarts.
public final class WindowEngine {
    public var settings: WindowSettings
    /// key → state; keys are prefixed by rule family (`f|`, `b|`, `h|`, `r|`, `m|`).
    private(set) var states: [String: KeyState] = [:]
    private var dirty = Set<String>()
    private var deleted = Set<String>()
    /// The newest event time seen (the watermark of expiry).
    private(set) var newest: Int64 = 0
    /// Messages processed, and when expiry last ran (see ``process``).
    private var processed = 0
    private var lastExpiry = 0
    private let normalizer: Normalizer
    /// Key families whose state is shared with other daemons (a shared store): normally
    /// ``WindowKeyFamily/sharedAcrossShards``. Empty: nothing is shared.
    public var sharedFamilies: Set<WindowKeyFamily> = []
    /// Fingerprints computed by ``sharedKeys(for:contentRules:)``, used by ``process`` for the
    /// same message instead of computing them twice.
    private var fingerprintCache: [String: NearDuplicate] = [:]

    struct Event: Equatable {
        var time: Int64
        var msgid: String
        /// What a rule needs to remember of the message, by family: blast keys, its conversation
        /// (blasts count conversations); repeated hits, the violations it added (one per line);
        /// fragments, the end of its text (what a split violation continues). Empty otherwise:
        /// one field rather than three keeps an event at 40 bytes (1M keys are held).
        var detail: String
    }

    /// One key's state: recent events (sorted by time) and the end of its quiet period.
    ///
    /// A class: a key's state is changed in place through the one reference the table holds,
    /// and expiry walks every key reading only `lastTouched` (as a struct, each step of that walk
    /// copied the key's arrays — a third of a rescan's time on a busy archive).
    final class KeyState: Equatable {
        var events: [Event] = []
        var quietUntil: Int64 = Int64.min
        /// For blast keys: the fingerprints of the events, parallel to `events`.
        var fingerprints: [NearDuplicate] = []
        var lastTouched: Int64 = 0

        static func == (a: KeyState, b: KeyState) -> Bool {
            a.events == b.events && a.quietUntil == b.quietUntil && a.fingerprints == b.fingerprints
                && a.lastTouched == b.lastTouched
        }
    }

    public init(settings: WindowSettings = WindowSettings(), normalizer: Normalizer = .standard) {
        self.settings = settings
        self.normalizer = normalizer
    }

    /// The number of keys held.
    public var keyCount: Int { states.count }

    private func enabled(_ rule: String) -> Bool { !settings.disabled.contains(rule) }

    // MARK: - Processing

    /// Feeds one message (after content detection) and returns what the rules over time raise.
    /// `contentRules`: the rules of the content alerts this message raised; `violations`: what
    /// they were (rule and term), so repeated hits count distinct violations rather than one
    /// weak term said again and again (defaults to the rules). `recalled`: for a
    /// recall, what is known of the recalled message.
    public func process(
        _ message: ArchiveMessage, contentRules: [String], recalled: RecalledMessage? = nil, violations: [String]? = nil
    ) -> [WindowFinding] {
        if message.msgtime > newest { newest = message.msgtime }
        var found: [WindowFinding] = []
        // Computed once: several rules key on it.
        let conversation = message.conversationKey
        staffRedPacket(message, into: &found)
        customerLinks(message, into: &found)
        flood(message, conversation: conversation, into: &found)
        blast(message, conversation: conversation, into: &found)
        repeatedHits(message, violations: violations ?? contentRules, into: &found)
        recallAfterHit(
            message, conversation: conversation, contentRules: contentRules, recalled: recalled, into: &found)
        processed += 1
        // Expiry walks every key: run it once the messages since the last walk outnumber an
        // eighth of the keys (at most 8 key visits per message; at least every 1,000 messages,
        // so keys go soon after their window closes and memory follows recent traffic).
        if states.count > settings.maxKeys || processed - lastExpiry >= max(1_000, states.count / 8) {
            evict()
            lastExpiry = processed
        }
        return found
    }

    /// The event a message is in most windows: the conversation is kept only where a rule needs
    /// it (blast counts conversations); for the other rules it is part of the key already.
    private func event(_ message: ArchiveMessage, conversation: String = "") -> Event {
        Event(time: message.msgtime, msgid: message.msgid, detail: conversation)
    }

    /// Red packets from staff to customers: money outside the books.
    private func staffRedPacket(_ message: ArchiveMessage, into found: inout [WindowFinding]) {
        guard enabled("money.staff-redpacket"), message.senderKind == .staff,
            case .redPacket(_, let count, let cents) = message.content
        else { return }
        found.append(
            WindowFinding(
                rule: "money.staff-redpacket", category: AlertCategory.offplatformMoney, severity: .high,
                subject: .message(message.msgid),
                summary: "red packet from staff: \(count) × total \(Self.yuan(cents)) yuan",
                evidence: message.scannableText, related: []))
    }

    /// Links, cards and mini-programs posted by customers in groups; and by new members (a
    /// member's first message in a group starts their "new member" period).
    private func customerLinks(_ message: ArchiveMessage, into found: inout [WindowFinding]) {
        guard message.isGroup, message.senderKind == .customer else { return }
        let t = message.msgtime
        let sharesLink = Self.isLinkLike(message)
        if sharesLink && enabled("group.customer-link") {
            found.append(
                WindowFinding(
                    rule: "group.customer-link", category: AlertCategory.spam, severity: .low,
                    subject: .message(message.msgid),
                    summary: "a customer posted a \(message.msgtype) in a group", evidence: message.scannableText,
                    related: []))
        }
        guard message.action == .send else { return }
        let key = WindowKeyFamily.member.key(message.roomid, message.from)
        if states[key] == nil { update(key) { $0.events = [event(message)] } }
        guard sharesLink, enabled("window.new-member-link"), let first = states[key]?.events.first,
            t >= first.time, t - first.time < settings.newMemberWindowMs
        else { return }
        found.append(
            WindowFinding(
                rule: "window.new-member-link", category: AlertCategory.spam, severity: .medium,
                subject: .message(message.msgid),
                summary: first.msgid == message.msgid
                    ? "a new group member's first message is a \(message.msgtype)"
                    : "a new group member posted a \(message.msgtype) \(Self.duration(t - first.time)) after their first message",
                evidence: message.scannableText, related: first.msgid == message.msgid ? [] : [first.msgid]))
    }

    /// Flood: one sender, many messages in one conversation.
    private func flood(_ message: ArchiveMessage, conversation: String, into found: inout [WindowFinding]) {
        guard enabled("window.flood"), message.action == .send else { return }
        let key = WindowKeyFamily.flood.key(conversation, message.from)
        guard let window = slide(key, event(message), windowMs: settings.floodWindowMs, threshold: settings.floodCount)
        else { return }
        let span = Self.duration(message.msgtime - window.first!.time)
        found.append(
            WindowFinding(
                rule: "window.flood", category: AlertCategory.spam, severity: .medium,
                subject: .window(key: key, start: window.first!.time),
                summary:
                    "\(window.count) messages from \(message.from) in \(span) (threshold \(settings.floodCount) in \(Self.duration(settings.floodWindowMs)))",
                evidence: message.scannableText, related: window.map(\.msgid)))
    }

    /// Blast: the same text to many conversations.
    private func blast(_ message: ArchiveMessage, conversation: String, into found: inout [WindowFinding]) {
        guard enabled("window.blast"), message.action == .send, !message.scannableText.isEmpty,
            let fingerprint = fingerprintCache.removeValue(forKey: message.msgid) ?? fingerprint(message),
            let blast = blast(event(message, conversation: conversation), fingerprint)
        else { return }
        found.append(
            WindowFinding(
                rule: "window.blast", category: AlertCategory.spam, severity: .high, subject: blast.subject,
                summary:
                    "the same text sent to \(blast.conversations) conversations within \(Self.duration(settings.blastWindowMs))",
                evidence: message.scannableText, related: blast.related))
    }

    /// Repeated hits: one sender raising content alerts again and again — distinct violations:
    /// a message whose violations the sender's window already holds (the same weak term said
    /// again, an award name in every line of a list) adds nothing to the count.
    private func repeatedHits(_ message: ArchiveMessage, violations: [String], into found: inout [WindowFinding]) {
        guard enabled("window.repeated-hits"), !violations.isEmpty else { return }
        let key = WindowKeyFamily.repeatedHits.key(message.from)
        let seen = Set(
            (states[key]?.events ?? []).filter { message.msgtime - $0.time < settings.hitsWindowMs }
                .flatMap { $0.detail.split(separator: "\n").map(String.init) })
        let fresh = Set(violations).subtracting(seen)
        guard !fresh.isEmpty else { return }
        var hit = event(message)
        // The event keeps the violations it added (one per line), to tell the next ones apart.
        hit.detail = fresh.sorted().joined(separator: "\n")
        guard let window = slide(key, hit, windowMs: settings.hitsWindowMs, threshold: settings.hitsCount)
        else { return }
        found.append(
            WindowFinding(
                rule: "window.repeated-hits", category: AlertCategory.escalation, severity: .high,
                subject: .window(key: key, start: window.first!.time),
                summary:
                    "\(window.count) messages from \(message.from) raised content alerts within \(Self.duration(message.msgtime - window.first!.time))",
                evidence: message.scannableText, related: window.map(\.msgid)))
    }

    /// Recall after hit: a recall of a message that raised an alert, or soon after an alert by
    /// the same sender in the same conversation (each hit is remembered for that).
    private func recallAfterHit(
        _ message: ArchiveMessage, conversation: String, contentRules: [String], recalled: RecalledMessage?,
        into found: inout [WindowFinding]
    ) {
        let t = message.msgtime
        let key = WindowKeyFamily.recall.key(conversation, message.from)
        if !contentRules.isEmpty { update(key) { $0.events = [event(message)] } }
        guard enabled("window.recall-after-hit"), let pre = Self.recalledID(message) else { return }
        let lastHit = states[key]?.events.last
        let recentHit = lastHit.map { t >= $0.time && t - $0.time <= settings.recallWindowMs } ?? false
        if let recalled, !recalled.alertRules.isEmpty {
            found.append(
                WindowFinding(
                    rule: "window.recall-after-hit", category: AlertCategory.evidenceHiding, severity: .high,
                    subject: .message(message.msgid),
                    summary: "recalled a message that raised \(recalled.alertRules.joined(separator: ", "))",
                    evidence: recalled.text, related: [pre]))
        } else if recentHit, let lastHit {
            found.append(
                WindowFinding(
                    rule: "window.recall-after-hit", category: AlertCategory.evidenceHiding, severity: .high,
                    subject: .message(message.msgid),
                    summary:
                        "recalled a message \(Self.duration(t - lastHit.time)) after an alert in the same conversation",
                    evidence: recalled?.text ?? "(the recalled message is not in the archive)",
                    related: [pre, lastHit.msgid]))
        }
    }

    // MARK: - Violations split over messages

    /// One earlier message of a sender's run of messages: its id, time and the end of its text.
    public struct Fragment: Sendable, Equatable {
        public var msgid: String
        public var time: Int64
        public var tail: String
    }

    /// How much of each message a split violation can continue over (characters).
    public static let fragmentReach = 24

    /// The sender's last messages in this conversation within the split window before `message`
    /// (oldest first, at most two): where a violation begun there may continue in this one.
    public func recentFragments(before message: ArchiveMessage) -> [Fragment] {
        guard message.action == .send, !message.scannableText.isEmpty else { return [] }
        let key = WindowKeyFamily.fragments.key(message.conversationKey, message.from)
        guard let events = states[key]?.events else { return [] }
        return events.filter {
            $0.msgid != message.msgid && $0.time <= message.msgtime
                && message.msgtime - $0.time <= settings.splitWindowMs
        }
        .suffix(2).map { Fragment(msgid: $0.msgid, time: $0.time, tail: $0.detail) }
    }

    /// Remembers the end of `message`'s text for the sender's next message.
    public func rememberFragment(_ message: ArchiveMessage) {
        guard message.action == .send else { return }
        let text = message.scannableText
        guard !text.isEmpty else { return }
        let key = WindowKeyFamily.fragments.key(message.conversationKey, message.from)
        if states[key]?.events.contains(where: { $0.msgid == message.msgid }) == true { return }
        update(key) { state in
            state.events.append(
                Event(time: message.msgtime, msgid: message.msgid, detail: String(text.suffix(Self.fragmentReach))))
            if state.events.count > 2 { state.events.removeFirst(state.events.count - 2) }
        }
    }

    /// The blast keys of a text: one per band of its fingerprint.
    static func blastKeys(_ fingerprint: NearDuplicate) -> [String] {
        fingerprint.bandKeys.map { WindowKeyFamily.blast.key(String($0, radix: 16)) }
    }

    private func fingerprint(_ message: ArchiveMessage) -> NearDuplicate? {
        NearDuplicate(dense: normalizer.denseForm(message.scannableText))
    }

    // MARK: - State shared between daemons

    /// The shared keys ``process`` will touch for this message (call it first, with the same
    /// arguments): the store locks them for the batch and hands back their state.
    public func sharedKeys(for message: ArchiveMessage, contentRules: [String]) -> [String] {
        guard !sharedFamilies.isEmpty else { return [] }
        var keys: [String] = []
        if sharedFamilies.contains(.blast), enabled("window.blast"), message.action == .send,
            !message.scannableText.isEmpty,
            let fingerprint = fingerprint(message)
        {
            fingerprintCache[message.msgid] = fingerprint
            keys += Self.blastKeys(fingerprint)
        }
        if sharedFamilies.contains(.repeatedHits), enabled("window.repeated-hits"), !contentRules.isEmpty {
            keys.append(WindowKeyFamily.repeatedHits.key(message.from))
        }
        return keys
    }

    /// Replaces the state of shared keys with what the store holds (empty text: no state yet).
    /// Loaded state is not dirty: only what ``process`` changes is written back.
    public func loadShared(_ rows: [(String, String)]) {
        for (key, data) in rows {
            states[key] = data.isEmpty ? nil : Self.decode(data)
            dirty.remove(key)
        }
    }

    func isShared(_ key: String) -> Bool {
        guard !sharedFamilies.isEmpty, let family = WindowKeyFamily(key: key) else { return false }
        return sharedFamilies.contains(family)
    }

    /// For a recall: the id of the message it withdrew.
    public static func recalledID(_ message: ArchiveMessage) -> String? {
        if case .revoke(let pre) = message.content, !pre.isEmpty { return pre }
        return nil
    }

    static func isLinkLike(_ message: ArchiveMessage) -> Bool {
        switch message.content {
        case .link, .weapp, .card: return true
        case .text(let text):
            // A URL typed into the text counts too.
            return text.contains("http://") || text.contains("https://") || text.contains("www.")
        default: return false
        }
    }

    // MARK: - Windows

    /// Adds `event` to the key's sliding window of length `windowMs` and returns the window when it
    /// holds `threshold` or more events and the key is not quiet; the key then stays quiet for one
    /// window. Events later than the allowed lateness are not counted.
    private func slide(_ key: String, _ event: Event, windowMs: Int64, threshold: Int) -> [Event]? {
        let state = self.state(key)
        if let latest = state.events.last, event.time < latest.time - settings.allowedLatenessMs { return nil }
        // A message read twice (a copytruncate copy, a file rotated and matched again) is one
        // event. A replay is never newer than what the key holds, so only those are looked at.
        if let latest = state.events.last, event.time <= latest.time,
            state.events.contains(where: { $0.msgid == event.msgid })
        {
            return nil
        }
        // Slot into place (usually the end) and keep only what can still be in a window.
        let index = state.events.lastIndex { $0.time <= event.time }.map { $0 + 1 } ?? 0
        state.events.insert(event, at: index)
        let newestTime = state.events.last!.time
        state.events.removeAll { $0.time <= newestTime - windowMs - settings.allowedLatenessMs }
        guard let position = state.events.firstIndex(of: event) else {
            markDirty(key)
            return nil
        }
        // Windows (e − T, e] that hold this event: the one ending at it, and for a late event
        // also those ending at the later events it now belongs to. The first that is full fires.
        var fired: [Event]? = nil
        if event.time >= state.quietUntil
            || state.events.contains(where: { $0.time > event.time && $0.time >= state.quietUntil })
        {
            for end in state.events[position...] where end.time - windowMs < event.time && end.time >= state.quietUntil
            {
                let window = state.events.filter { $0.time > end.time - windowMs && $0.time <= end.time }
                if window.count >= threshold {
                    fired = window
                    state.quietUntil = end.time + windowMs
                    break
                }
            }
        }
        Self.trim(&state.events, keep: threshold * 4, lateness: settings.allowedLatenessMs)
        state.lastTouched = newest
        markDirty(key)
        return fired
    }

    private func blast(
        _ event: Event, _ fingerprint: NearDuplicate
    ) -> (subject: AlertSubject, conversations: Int, related: [String])? {
        let windowMs = settings.blastWindowMs
        var neighbours: [Event] = []
        var neighbourIDs: Set<String> = []
        var matchedKeys: [String] = []
        let keys = Self.blastKeys(fingerprint)
        // A message read twice is one event (see ``slide``): only a key holding something as new
        // can hold it already.
        if keys.contains(where: { key in
            guard let events = states[key]?.events, let last = events.last, event.time <= last.time else {
                return false
            }
            return events.contains { $0.msgid == event.msgid }
        }) {
            return nil
        }
        for key in keys {
            guard let state = states[key] else { continue }
            // Expire what no longer falls in a window.
            let keep = state.events.indices.filter {
                state.events[$0].time > newest - windowMs - settings.allowedLatenessMs
            }
            if keep.count != state.events.count {
                state.events = keep.map { state.events[$0] }
                state.fingerprints = keep.map { state.fingerprints[$0] }
                states[key] = state
                markDirty(key)
            }
            var matched = false
            for (i, other) in state.events.enumerated()
            where other.time > event.time - windowMs && other.time <= event.time
                && state.fingerprints[i].isSameText(as: fingerprint)
            {
                if neighbourIDs.insert(other.msgid).inserted { neighbours.append(other) }
                matched = true
            }
            if matched { matchedKeys.append(key) }
        }
        // Remember this message under each band key: once per conversation and text (the
        // newest), as a text said again in one chat is no more of a blast, and a key would
        // otherwise fill with one chat's repeats and be searched through for every message.
        for key in keys {
            let state = self.state(key)
            if let same = state.events.indices.last(where: {
                state.events[$0].detail == event.detail && state.fingerprints[$0].isSameText(as: fingerprint)
            }) {
                if state.events[same].time >= event.time { continue }
                state.events.remove(at: same)
                state.fingerprints.remove(at: same)
            }
            state.events.append(event)
            state.fingerprints.append(fingerprint)
            let before = state.events.count
            Self.trim(&state.events, keep: 64, lateness: settings.allowedLatenessMs)
            state.fingerprints.removeFirst(before - state.events.count)
            state.lastTouched = newest
            markDirty(key)
        }
        let group = neighbours + [event]
        let conversations = Set(group.map(\.detail)).count
        guard conversations >= settings.blastConversations else { return nil }
        // Quiet for a window on every key of this text, so one blast is one alert.
        let canonical = (matchedKeys.isEmpty ? keys : matchedKeys).min()!
        if let quiet = states[canonical]?.quietUntil, event.time < quiet { return nil }
        for key in keys { states[key]?.quietUntil = event.time + windowMs }
        let start = group.map(\.time).min()!
        return (.window(key: canonical, start: start), conversations, group.sorted { $0.time < $1.time }.map(\.msgid))
    }

    /// The most events a key keeps, however many arrive within the allowed lateness.
    static let maxEventsPerKey = 256

    /// Drops a key's oldest events beyond the `keep` a rule needs, but never those within the
    /// allowed lateness of the newest (up to ``maxEventsPerKey``): a message read again (a
    /// copytruncate copy, a rotated file matched again) is recognised by its id among them, and
    /// one older than that is not counted anyway.
    static func trim(_ events: inout [Event], keep: Int, lateness: Int64) {
        guard events.count > keep, let newestTime = events.last?.time else { return }
        let recent = events.count - (events.firstIndex { $0.time >= newestTime - lateness } ?? events.count)
        let kept = min(max(keep, recent), maxEventsPerKey)
        if events.count > kept { events.removeFirst(events.count - kept) }
    }

    private func update(_ key: String, _ body: (KeyState) -> Void) {
        let state = self.state(key)
        body(state)
        state.lastTouched = newest
        markDirty(key)
    }

    /// The state of `key`, made (empty) when there is none.
    private func state(_ key: String) -> KeyState {
        if let state = states[key] { return state }
        let state = KeyState()
        states[key] = state
        return state
    }

    /// Whether changes are collected for ``takeChanges()`` (the daemon saves them with each
    /// batch; `scan` keeps its state for the run only and spares the bookkeeping).
    public var recordsChanges = true

    private func markDirty(_ key: String) {
        guard recordsChanges else { return }
        dirty.insert(key)
        deleted.remove(key)
    }

    private func markDeleted(_ key: String) {
        guard recordsChanges else { return }
        deleted.insert(key)
        dirty.remove(key)
    }

    /// Event time before which no window (other than group membership) can use a key: state
    /// last touched earlier can go.
    public var expiryHorizon: Int64 {
        let longest = max(
            settings.floodWindowMs, settings.blastWindowMs, settings.hitsWindowMs, settings.recallWindowMs,
            settings.newMemberWindowMs)
        return newest - longest - settings.allowedLatenessMs
    }

    /// Drops keys no window can use any more (group members after ``WindowSettings/memberMemoryMs``),
    /// then, if still over the cap, the least recently active ones (down to half the cap, so
    /// eviction is not paid on every message).
    private func evict() {
        // Each family by its own window: a blast key is of no use a blast window after it was
        // last touched, though repeated hits look back an hour (keeping every key for the
        // longest window held millions of blast keys on a busy archive, and made eviction sort
        // them).
        // The keys first, then their removal: removing while iterating would copy the dictionary.
        let expired = states.compactMap { key, state in
            state.lastTouched < (WindowKeyFamily(key: key).map(horizon(of:)) ?? expiryHorizon) ? key : nil
        }
        for key in expired {
            states[key] = nil
            markDeleted(key)
        }
        guard states.count > settings.maxKeys else { return }
        // Down to half the cap, so the sort is paid once per maxKeys/2 new keys at most.
        let target = settings.maxKeys / 2
        let victims = states.map { ($0.key, $0.value.lastTouched) }.sorted { $0.1 < $1.1 }
            .prefix(states.count - target)
        for (key, _) in victims {
            states[key] = nil
            markDeleted(key)
        }
    }

    /// Event time before which a key of `family` last touched can go: no window of its rule can
    /// reach back to it, allowing for late events.
    func horizon(of family: WindowKeyFamily) -> Int64 {
        let window: Int64
        switch family {
        case .flood: window = settings.floodWindowMs
        case .blast: window = settings.blastWindowMs
        case .repeatedHits: window = settings.hitsWindowMs
        case .recall: window = settings.recallWindowMs
        case .fragments: window = settings.splitWindowMs
        case .member: return newest - settings.memberMemoryMs
        }
        return newest - window - settings.allowedLatenessMs
    }

    // MARK: - Ids

    static func duration(_ ms: Int64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 120_000 { return "\(ms / 1000) s" }
        if ms < 7_200_000 { return "\(ms / 60_000) min" }
        return "\(ms / 3_600_000) h"
    }

    static func yuan(_ cents: Int64) -> String {
        "\(cents / 100)." + (cents % 100 < 10 ? "0" : "") + "\(cents % 100)"
    }

    // MARK: - Persistence

    /// Keys changed since the last call (with their encoded state) and keys removed.
    ///
    /// Shared keys (``sharedFamilies``) come back in `shared` and are never deleted here: another
    /// daemon may still be using them; the store expires them by age (``WindowStateRow/lastTouched``).
    public func takeChanges() -> (upserts: [WindowStateRow], deletes: [String], shared: [WindowStateRow]) {
        defer {
            dirty.removeAll(keepingCapacity: true)
            deleted.removeAll(keepingCapacity: true)
        }
        var upserts: [WindowStateRow] = []
        var shared: [WindowStateRow] = []
        for key in dirty {
            guard let state = states[key] else { continue }
            let row = WindowStateRow(key: key, data: Self.encode(state), lastTouched: state.lastTouched)
            if isShared(key) { shared.append(row) } else { upserts.append(row) }
        }
        return (upserts, deleted.filter { !isShared($0) }, shared)
    }

    /// Restores state saved by ``takeChanges()``.
    public func restore(_ rows: [(String, String)]) {
        for (key, data) in rows {
            guard let state = Self.decode(data) else { continue }
            states[key] = state
            newest = max(newest, state.lastTouched)
        }
    }

    static func encode(_ state: KeyState) -> String {
        var members: [(String, JSONValue)] = [
            (
                "e",
                .array(state.events.map { .array([.integer($0.time), .string($0.msgid), .string($0.detail)]) })
            ),
            ("q", .integer(state.quietUntil)), ("l", .integer(state.lastTouched)),
        ]
        if !state.fingerprints.isEmpty { members.append(("p", .array(state.fingerprints.map { .string($0.encoded) }))) }
        return JSONValue.object(members).jsonText
    }

    static func decode(_ text: String) -> KeyState? {
        guard let value = try? JSONParser.parse(text), let events = value["e"]?.arrayValue else { return nil }
        let state = KeyState()
        for e in events {
            guard let a = e.arrayValue, a.count == 3 || a.count == 4, let t = a[0].int64Value,
                let id = a[1].stringValue,
                let c = a[2].stringValue
            else {
                return nil
            }
            // (A fourth element was the detail of fragments for a while before this release.)
            let detail = a.count == 4 ? (a[3].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? c) : c
            state.events.append(Event(time: t, msgid: id, detail: detail))
        }
        state.quietUntil = value["q"]?.int64Value ?? Int64.min
        state.lastTouched = value["l"]?.int64Value ?? 0
        if let prints = value["p"]?.arrayValue {
            state.fingerprints = prints.compactMap { $0.stringValue.flatMap { NearDuplicate(encoded: Substring($0)) } }
            guard state.fingerprints.count == state.events.count else { return nil }
        }
        return state
    }
}
