/// Category ids that the engine itself gives alerts (wordlists name the others).
///
/// Categories are open: each wordlist file declares its own. These are the ones code refers to,
/// spelled once.
public enum AlertCategory {
    /// A pattern stopped at its PCRE2 limit on a message: the message was not fully checked.
    public static let engine = "engine"
    /// The archive contradicts itself (a message id reused with another text).
    public static let integrity = "integrity"
    /// Floods, blasts, links posted by customers in groups.
    public static let spam = "spam"
    /// One sender raising content alerts again and again.
    public static let escalation = "escalation"
    /// A recall of a message that raised an alert.
    public static let evidenceHiding = "evidence-hiding"
    /// Money outside the company's books (also a shipped wordlist's category).
    public static let offplatformMoney = "offplatform-money"
}
