public import PCRE2
public import Rules
import Normalize
public import Vocabulary

/// A built-in detector for contact details and payment identifiers people use to take a customer
/// off the platform: a PCRE2 pattern on the light view, plus a validation of what it captured
/// (checksum, context) that keeps ordinary numbers out.
public struct ContactDetector: Sendable {
    /// Rule id of its alerts, e.g. `contact.phone`.
    public let id: String
    public let title: String
    public var severity: Severity
    public var scope: Scope
    let regex: Regex
    /// Which capture group holds the value (0: the whole match).
    let group: Int
    /// Accepts or rejects a candidate: the captured value (digits only for numeric detectors)
    /// and the light text before the match (for context words such as 订单号).
    let validate: @Sendable (_ value: String, _ before: Substring) -> String?
    /// Only typed text counts (not the URL of a shared link card or mini-program, which the
    /// window rules for customer-posted links look at).
    var typedTextOnly = false
    /// Whether the validated value (digits only, checksum verified) is worth reporting beside
    /// the evidence; for ids, addresses and links the evidence as written is the value.
    var reportsValue: Bool { ["contact.phone", "contact.bankcard", "contact.idcard", "contact.qq"].contains(id) }
    /// Position in the detector's list (set by ``ContentDetector``).
    var index = 0

    /// A cheap test on the text's clues: can this detector match at all? (Most messages hold no
    /// run of digits and no `@`; running seven regexes on them is wasted work.)
    func mayMatch(_ clues: Clues) -> Bool {
        switch id {
        case "contact.phone": return clues.digits >= 11
        case "contact.bankcard": return clues.digits >= 16
        case "contact.idcard": return clues.digits >= 17
        case "contact.qq": return clues.digits >= 5
        case "contact.email": return clues.hasAt
        case "contact.url": return clues.hasDot
        default: return true
        }
    }

    /// The reviewer guidance shared by all contact detectors.
    public static let action =
        "Check whether contact details were shared to move the customer off WeCom; "
        + "confirm with the staff member and record the outcome."
}

/// The built-in detectors and their defaults.
public enum ContactDetectors {
    /// Category id of every contact detector.
    public static let categoryID = "contact"

    /// Ids of all built-in detectors, in the order they run.
    public static let allIDs = [
        "contact.phone", "contact.email", "contact.wechat", "contact.qq", "contact.telegram", "contact.bankcard",
        "contact.idcard",
        "contact.url",
    ]

    /// Words before a number that make it a reference (order, tracking, invoice, transaction,
    /// contract, membership …), not a person's number; each may be followed by 号, 码 or 号码.
    static let referenceWords = [
        "订单", "单号", "编号", "运单", "快递", "物流", "流水", "工单", "发票", "交易", "合同", "批号", "序列号", "会员",
        "order", "no.", "#",
    ].map { Array($0.unicodeScalars) }

    /// What may stand between a reference word and its number (`订单号码：`).
    static let numberWords = ["号码", "号", "码"].map { Array($0.unicodeScalars) }

    /// Whether the text right before a number (light view, its last scalars) makes the number
    /// a reference or a price: a reference word, then perhaps 号/码/号码, spaces and a colon; or a
    /// currency sign.
    static func isReferenceContext<Scalars: BidirectionalCollection<Unicode.Scalar>>(_ before: Scalars) -> Bool {
        var tail = Array(before.suffix(12).filter { !$0.properties.isWhitespace && $0 != ":" && $0 != "：" })
        if let last = tail.last, "¥￥$".unicodeScalars.contains(last) { return true }
        if referenceWords.contains(where: { tail.hasSuffix($0) }) { return true }
        guard let number = numberWords.first(where: { tail.hasSuffix($0) }) else { return false }
        tail.removeLast(number.count)
        return referenceWords.contains { tail.hasSuffix($0) }
    }

    /// Builds the detectors named in `ids` (all when `nil`), under `limits`.
    public static func make(
        ids: [String]? = nil, limits: Limits = .default, jit: JITMode = .automatic
    ) throws(PCRE2Error) -> [ContactDetector] {
        let wanted = ids ?? allIDs
        var result: [ContactDetector] = []
        for id in allIDs where wanted.contains(id) {
            result.append(try make(id: id, limits: limits, jit: jit))
        }
        return result
    }

    static func make(id: String, limits: Limits, jit: JITMode) throws(PCRE2Error) -> ContactDetector {
        func regex(_ pattern: String) throws(PCRE2Error) -> Regex {
            try Regex(pattern, options: .caseless, limits: limits, jit: jit)
        }
        switch id {
        case "contact.phone":
            // Mainland mobile numbers: 1[3-9] and nine more digits, optionally +86/0086, with spaces,
            // dashes or dots between digits. The light view has already turned ①, １, 一 and 壹 into 1.
            return ContactDetector(
                id: id, title: "手机号 / mobile number", severity: .high, scope: .everywhere,
                regex: try regex(#"(?<![\d.])(?:(?:\+|00)?86[\s\-]*)?(1[3-9](?:[\s\-.]*\d){9})(?![\d])"#),
                group: 1,
                validate: { value, before in
                    let digits = value.filter(\.isASCIIDigit)
                    guard digits.count == 11 else { return nil }
                    if ContactDetectors.endsWithReferenceWord(before) { return nil }
                    return digits
                })
        case "contact.email":
            return ContactDetector(
                id: id, title: "邮箱 / email address", severity: .medium, scope: .everywhere,
                regex: try regex(
                    #"(?<![\w.+\-])[a-z0-9][a-z0-9._%+\-]{0,63}@[a-z0-9](?:[a-z0-9\-]{0,62}\.)+[a-z]{2,12}(?![a-z0-9])"#
                ),
                group: 0,
                validate: { value, _ in value })
        case "contact.wechat":
            // A WeChat id (6–20 characters, a letter first) right after a word that announces one.
            return ContactDetector(
                id: id, title: "微信号 / WeChat id", severity: .high, scope: .everywhere,
                regex: try regex(
                    #"(?<![a-z0-9_])(?:(?:微|薇|威|徽|维|唯|危|v)\s*(?:信|芯|❤|♥|💚)|vx|wx|wechat|wei\s*xin|加\s*v|\+\s*v|微号|绿泡泡|绿色泡泡)\s*(?:号|id)?\s*(?:是|为|:|：|\s)*\s*([a-z][a-z0-9_\-]{5,19})(?![a-z0-9_\-])"#
                ),
                group: 1,
                validate: { value, _ in
                    // Words that often follow 微信 and are not ids.
                    let stopWords: Set<String> = ["wechat", "weixin", "friend", "friends", "account"]
                    return stopWords.contains(value) ? nil : value
                })
        case "contact.qq":
            return ContactDetector(
                id: id, title: "QQ号 / QQ number", severity: .high, scope: .everywhere,
                regex: try regex(#"(?:qq|扣扣|抠抠|企鹅|q号|球球|扣号)(?:号|号码)?\s*(?:是|为|:|：|\s)*\s*([1-9]\d{4,10})(?!\d)"#),
                group: 1,
                validate: { value, _ in value })
        case "contact.telegram":
            // A Telegram handle after the names people use for it (飞机, 纸飞机, 电报, TG).
            return ContactDetector(
                id: id, title: "Telegram 账号 / Telegram handle", severity: .high, scope: .everywhere,
                regex: try regex(
                    #"(?:纸飞机|小飞机|飞机|电报|telegram|tg)\s*(?:号|账号|id)?\s*(?:是|为|:|：|搜|\s)*\s*@?([a-z][a-z0-9_]{4,31})(?![a-z0-9_])"#
                ),
                group: 1,
                validate: { value, _ in
                    // Words that often follow 飞机 and are not handles.
                    let stopWords: Set<String> = ["ticket", "tickets", "airport", "flight", "group", "channel"]
                    return stopWords.contains(value) ? nil : value
                })
        case "contact.bankcard":
            // 16–19 digits in groups; accepted only with a valid Luhn check digit and a card prefix.
            return ContactDetector(
                id: id, title: "银行卡号 / bank card number", severity: .high, scope: .everywhere,
                regex: try regex(#"(?<![\d.])([2-6]\d{3}(?:[\s\-]?\d){12,15})(?![\d])"#),
                group: 1,
                validate: { value, before in
                    let digits = value.filter(\.isASCIIDigit)
                    guard (16...19).contains(digits.count), ContactDetectors.luhnValid(digits) else { return nil }
                    if ContactDetectors.endsWithReferenceWord(before) { return nil }
                    return digits
                })
        case "contact.idcard":
            return ContactDetector(
                id: id, title: "身份证号 / resident ID number", severity: .high, scope: .everywhere,
                regex: try regex(
                    #"(?<![\da-z])([1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dx])(?![\da-z])"#
                ),
                group: 1,
                validate: { value, _ in ContactDetectors.residentIDValid(value) ? value.uppercased() : nil })
        case "contact.url":
            return ContactDetector(
                id: id, title: "链接 / URL or short link", severity: .medium, scope: .everywhere,
                regex: try regex(
                    #"(?:https?://|www\.)[^\s<>"'，。！？、；）】]+|(?<![a-z0-9.\-])(?:t\.cn|dwz\.cn|url\.cn|suo\.im|sohu\.gg|bit\.ly|tinyurl\.com|is\.gd|t\.co|w\.url\.cn|u\.wechat\.com|qr\.alipay\.com)/[a-z0-9_\-]+"#
                ),
                group: 0,
                validate: { value, _ in value },
                typedTextOnly: true)
        default:
            throw PCRE2Error(code: .other, pcre2Code: 0, message: "unknown detector \(id)")
        }
    }

    static func endsWithReferenceWord(_ before: Substring) -> Bool {
        isReferenceContext(before.unicodeScalars)
    }

    /// The Luhn check used by payment cards.
    public static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (index, char) in digits.reversed().enumerated() {
            guard var d = char.wholeNumberValue else { return false }
            if index % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum % 10 == 0 && !digits.isEmpty
    }

    /// The GB 11643 check character of an 18-character resident ID number.
    public static func residentIDValid(_ id: String) -> Bool {
        let chars = Array(id.uppercased())
        guard chars.count == 18 else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let checks: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
        var sum = 0
        for i in 0..<17 {
            guard let d = chars[i].wholeNumberValue else { return false }
            sum += d * weights[i]
        }
        return checks[sum % 11] == chars[17]
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
