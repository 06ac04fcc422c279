public import Alerts
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import Logging
import Pipeline
public import Store
import Rules
import Synchronization
public import Config
import Support
import Vocabulary

/// Sends the notifications the store has queued, on a thread of its own: alerts at or above a channel's immediate severity go out one by one at once; the
/// rest wait for the channel's digest. When sending one by one would pass the channel's rate
/// (WeCom robots: 20 a minute), the waiting alerts are folded into one digest instead: nothing is
/// ever dropped. A failed delivery (an error, HTTP 429 or 5xx, a WeCom `errcode`) is retried with
/// exponential backoff; the queue lives in the store, so a restart picks it up where it was.
/// (A crash in the instant between a robot accepting a message and the store marking it sent
/// repeats that one message after the restart.)
public final class Notifier: Sendable {
    struct Channel: Sendable {
        let settings: NotificationChannel
        let url: URL
    }

    let channels: [Channel]
    /// The store to read the queue from, asked for on every round: the daemon's own store object
    /// (SQLite: never a second open of the file, see `SQLiteBackend`; and after the store file
    /// was replaced, the new one), or a connection of the notifier's own (PostgreSQL, whose
    /// advisory channel locks belong to a session).
    let store: @Sendable () throws -> ChatStore
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var stop = false
        /// Send times of the last minute, per channel (the rate window).
        var sent: [String: [Double]] = [:]
        var delivered = 0
        var failures = 0
    }

    /// Channels whose URL cannot be read are reported and skipped.
    /// How messages name things (language, titles, guidance, display names).
    let wording: NotificationWording

    public init(
        channels: [NotificationChannel], store: @escaping @Sendable () throws -> ChatStore, logger: Logger,
        wording: NotificationWording = NotificationWording()
    ) {
        self.wording = wording
        var ready: [Channel] = []
        for channel in channels {
            switch channel.resolveURL() {
            case .success(let text):
                guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http" else {
                    logger.error(
                        "notification channel has no usable URL; skipped", metadata: ["channel": "\(channel.name)"])
                    continue
                }
                ready.append(Channel(settings: channel, url: url))
            case .failure(let error):
                logger.error(
                    "notification channel skipped", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
            }
        }
        self.channels = ready
        self.store = store
        self.logger = logger
    }

    /// Deliveries and failures since start (for metrics).
    public var counters: (delivered: Int, failures: Int) { state.withLock { ($0.delivered, $0.failures) } }

    /// Starts the delivery thread.
    public func start() {
        guard !channels.isEmpty else { return }
        let thread = Thread { [self] in self.run() }
        thread.name = "chatwarden-notify"
        thread.start()
    }

    public func stop() { state.withLock { $0.stop = true } }

    private func run() {
        while !state.withLock({ $0.stop }) {
            do {
                try deliverDue(try store())
            } catch {
                logger.error("notification delivery paused", metadata: ["error": "\(error)"])
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// One round: for each channel, what is due.
    func deliverDue(_ store: ChatStore) throws {
        let now = ChatStore.nowMilliseconds()
        let due = try store.dueNotifications(now: now)
        for channel in channels {
            let mine = due.filter { $0.channel == channel.settings.name }
            guard !mine.isEmpty else { continue }
            // Several daemons on one shared store: one of them delivers each channel (the holder
            // of its lock; another takes over when it stops), so the robot's rate is kept and
            // nothing goes out twice.
            guard try store.tryLock("chatwarden-notify:" + channel.settings.name) else { continue }
            let immediate = mine.filter(\.immediate)
            let waiting = mine.filter { !$0.immediate }
            var budget = allowance(channel)
            let digestDue = waiting.contains { now - $0.enqueuedAt >= Int64(channel.settings.digestSeconds) * 1000 }
            // Immediate alerts one by one while the rate allows, keeping one message for a
            // digest when one will be needed; whatever does not fit folds into that digest.
            let needDigest = digestDue || immediate.count > budget
            var individually = needDigest ? max(0, budget - 1) : budget
            var overflow: [PendingNotification] = []
            for item in immediate {
                if individually > 0 {
                    send(channel, [item], digest: false, store: store)
                    individually -= 1
                    budget -= 1
                } else {
                    overflow.append(item)
                }
            }
            let digestItems = overflow + (digestDue || !overflow.isEmpty ? waiting : [])
            if !digestItems.isEmpty && budget >= 1 {
                for chunk in chunks(digestItems, channel: channel) where budget >= 1 {
                    send(channel, chunk, digest: true, store: store)
                    budget -= 1
                }
            }
        }
    }

    /// How many messages the channel may send now (the last minute's sends counted).
    private func allowance(_ channel: Channel) -> Int {
        let now = Date().timeIntervalSince1970
        return state.withLock { state in
            let recent = (state.sent[channel.settings.name] ?? []).filter { now - $0 < 60 }
            state.sent[channel.settings.name] = recent
            return max(0, channel.settings.perMinute - recent.count)
        }
    }

    /// Digest messages that fit the channel's size limit.
    private func chunks(_ items: [PendingNotification], channel: Channel) -> [[PendingNotification]] {
        let limit = channel.settings.kind.sizeLimit
        var result: [[PendingNotification]] = []
        var current: [PendingNotification] = []
        for item in items {
            let candidate = current + [item]
            if !current.isEmpty
                && NotificationFormat.body(
                    candidate.map(\.alert), kind: channel.settings.kind, digest: true, wording: wording
                ).utf8.count
                    > limit - 64
            {
                result.append(current)
                current = [item]
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private func send(_ channel: Channel, _ items: [PendingNotification], digest: Bool, store: ChatStore) {
        let body = NotificationFormat.payload(
            items.map(\.alert), kind: channel.settings.kind, digest: digest, wording: wording)
        state.withLock { $0.sent[channel.settings.name, default: []].append(Date().timeIntervalSince1970) }
        let ids = items.map(\.alert.id)
        switch post(body, to: channel.url) {
        case .success:
            do {
                try store.markNotified(channel: channel.settings.name, alertIDs: ids)
                state.withLock { $0.delivered += 1 }
            } catch {
                logger.error("notification sent but not marked; it may be sent again", metadata: ["error": "\(error)"])
            }
        case .failure(let failure):
            let reason = failure.reason
            let attempts = items.map(\.attempts).max() ?? 0
            let delay = min(300.0, pow(2.0, Double(attempts)))
            logger.warning(
                "notification not delivered; retrying",
                metadata: [
                    "channel": "\(channel.settings.name)", "reason": "\(reason)", "retry_in_s": "\(Int(delay))",
                    "alerts": "\(ids.count)",
                ])
            state.withLock { $0.failures += 1 }
            try? store.notificationFailed(
                channel: channel.settings.name, alertIDs: ids, error: reason,
                retryAt: ChatStore.nowMilliseconds() + Int64(delay * 1000))
        }
    }

    /// POSTs JSON and judges the answer (WeCom says errors in the body with HTTP 200).
    /// Why a delivery failed, in words for the log and the store.
    struct DeliveryFailure: Error {
        let reason: String
    }

    private func post(_ body: String, to url: URL) -> Result<Void, DeliveryFailure> {
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, DeliveryFailure>>(.failure(DeliveryFailure(reason: "no answer")))
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            defer { done.signal() }
            if let error {
                outcome.withLock {
                    $0 = .failure(DeliveryFailure(reason: "request failed: \(error.localizedDescription)"))
                }
                return
            }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else {
                outcome.withLock { $0 = .failure(DeliveryFailure(reason: "HTTP \(status)")) }
                return
            }
            if let data, let json = try? JSONParser.parse(String(decoding: data, as: UTF8.self)),
                let code = json["errcode"]?.int64Value,
                code != 0
            {
                outcome.withLock {
                    $0 = .failure(DeliveryFailure(reason: "errcode \(code): \(json["errmsg"]?.stringValue ?? "")"))
                }
                return
            }
            outcome.withLock { $0 = .success(()) }
        }
        task.resume()
        if done.wait(timeout: .now() + 15) == .timedOut {
            task.cancel()
            return .failure(DeliveryFailure(reason: "timed out"))
        }
        return outcome.withLock { $0 }
    }
}
