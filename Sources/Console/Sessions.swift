import Foundation
public import Vocabulary

/// A signed-in account's session: the cookie's token, the CSRF token its forms carry, and when
/// it lapses without use.
public struct ConsoleSession: Sendable {
    public let token: String
    public let csrf: String
    public let account: String
    public let role: Role
    public var expiresAt: Int64
}

/// Sessions in memory: a restart of the console signs everyone out, which is the safe side.
/// Tokens are 256 random bits from the system's generator (getrandom on Linux).
public actor SessionStore {
    private var sessions: [String: ConsoleSession] = [:]
    private let lifetime: Int64

    public init(minutes: Int) { lifetime = Int64(minutes) * 60_000 }

    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16).leftPadded(2) }
            .joined()
    }

    public func open(account: String, role: Role, now: Int64) -> ConsoleSession {
        sweep(now: now)
        let session = ConsoleSession(
            token: Self.randomToken(), csrf: Self.randomToken(), account: account, role: role,
            expiresAt: now + lifetime)
        sessions[session.token] = session
        return session
    }

    /// The live session of `token`, its expiry pushed on (sliding expiry).
    public func find(_ token: String, now: Int64) -> ConsoleSession? {
        guard var session = sessions[token] else { return nil }
        guard session.expiresAt > now else {
            sessions[token] = nil
            return nil
        }
        session.expiresAt = now + lifetime
        sessions[token] = session
        return session
    }

    public func close(_ token: String) { sessions[token] = nil }

    /// Ends every session of an account (disabled, password changed).
    public func closeAll(account: String) { sessions = sessions.filter { $0.value.account != account } }

    private func sweep(now: Int64) {
        if sessions.count > 1000 { sessions = sessions.filter { $0.value.expiresAt > now } }
    }
}

/// Slows down password guessing: after 3 failed attempts for an account (or from one client),
/// each further attempt must wait twice as long as the one before (5 s, 10 s, 20 s, … up to 15 min);
/// an attempt that comes too early is refused without checking the password. A success clears
/// the account's count.
public actor LoginThrottle {
    struct Record {
        var failures = 0
        var blockedUntil: Int64 = 0
    }
    private var records: [String: Record] = [:]
    public static let freeAttempts = 3

    public init() {}

    /// Milliseconds to wait before `keys` may try again (0: now).
    public func wait(for keys: [String], now: Int64) -> Int64 {
        keys.compactMap { records[$0] }.map { max(0, $0.blockedUntil - now) }.max() ?? 0
    }

    public func failed(_ keys: [String], now: Int64) {
        if records.count > 10_000 { records = records.filter { $0.value.blockedUntil > now } }
        for key in keys {
            var record = records[key] ?? Record()
            record.failures += 1
            if record.failures >= Self.freeAttempts {
                let doublings = min(record.failures - Self.freeAttempts, 10)
                record.blockedUntil = now + min(Int64(5_000) << doublings, 900_000)
            }
            records[key] = record
        }
    }

    public func succeeded(_ key: String) { records[key] = nil }
}

/// Constant-time comparison of two tokens (a CSRF token is compared without telling how much matched).
func tokensEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count, !x.isEmpty else { return false }
    var difference: UInt8 = 0
    for i in 0..<x.count { difference |= x[i] ^ y[i] }
    return difference == 0
}
