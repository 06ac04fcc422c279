import Foundation

/// The company's own contact channels: its hotlines, web domains and e-mail addresses, its
/// corporate (对公) bank accounts, its official WeChat, QQ or Telegram accounts. A contact detail
/// that is one of them is the company talking, not a lure off the platform: never flagged.
public struct CompanyChannels: Sendable, Equatable {
    /// Phone numbers, digits only (`400-820-8820` → `4008208820`).
    public var phones: Set<String> = []
    /// Domains: a URL or e-mail address on one of them, or a subdomain, is the company's.
    public var domains: [String] = []
    /// Whole e-mail addresses (lower case).
    public var emails: Set<String> = []
    /// Bank account and card numbers, digits only.
    public var accounts: Set<String> = []
    /// Account ids on messengers (WeChat, QQ, Telegram), lower case.
    public var handles: Set<String> = []

    public init() {}

    public var isEmpty: Bool {
        phones.isEmpty && domains.isEmpty && emails.isEmpty && accounts.isEmpty && handles.isEmpty
    }

    /// Whether a contact finding names one of the company's channels.
    func covers(_ finding: Finding) -> Bool {
        let value = (finding.detail.isEmpty ? finding.normalized : finding.detail).lowercased()
        switch finding.rule {
        case "contact.phone": return phones.contains(Self.digits(value))
        case "contact.bankcard": return accounts.contains(Self.digits(value))
        case "contact.email":
            if emails.contains(value) { return true }
            return value.split(separator: "@").last.map { isCompanyDomain(String($0)) } ?? false
        case "contact.url": return isCompanyDomain(Self.host(of: value))
        case "contact.wechat", "contact.qq", "contact.telegram": return handles.contains(value)
        default: return false
        }
    }

    func isCompanyDomain(_ host: String) -> Bool {
        domains.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    static func digits(_ text: String) -> String { String(text.filter(\.isASCIIDigit)) }

    /// The host of a URL as written (`https://shop.example.com/x` → `shop.example.com`).
    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != ":" })
    }
}
