import HummingbirdBcrypt

/// Account passwords: bcrypt (hummingbird-auth's), cost 12 — about a quarter of a second per
/// hash on one core of the machines we measured, which is what makes guessing slow.
public enum Passwords {
    public static let cost: UInt8 = 12
    public static let minimumLength = 10

    public static func hash(_ password: String, cost: UInt8 = Passwords.cost) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    public static func verify(_ password: String, hash: String) -> Bool {
        guard hash.hasPrefix("$2") else { return false }
        return Bcrypt.verify(password, hash: hash)
    }

    /// Why a new password is refused, or nil.
    public static func problem(_ password: String, account: String) -> String? {
        if password.count < minimumLength { return "a password needs at least \(minimumLength) characters" }
        if password.lowercased().contains(account.lowercased()) {
            return "a password must not contain the account name"
        }
        return nil
    }
}
