#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The language of what a person reads: Simplified Chinese (the people who review alerts) or
/// English. Labels of the shared vocabulary are here, spelled once for the CLI, the console,
/// the report and robot messages.
public enum Language: String, Sendable, CaseIterable, Hashable {
    case zh = "zh-CN"
    case en = "en"

    /// From the environment as POSIX orders it (`LC_ALL`, `LC_MESSAGES`, `LANG`): Chinese when
    /// the first one set starts `zh`, English otherwise.
    public static func fromEnvironment() -> Language {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { continue }
            return value.lowercased().hasPrefix("zh") ? .zh : .en
        }
        return .en
    }

    /// From a request's `Accept-Language` or a `lang` choice: Chinese unless English is asked for.
    public init(choice: String?) {
        self = choice.map { $0.lowercased().hasPrefix("en") } == true ? .en : .zh
    }

    /// Picks the text of this language.
    public func pick(_ zh: String, _ en: String) -> String { self == .zh ? zh : en }

    /// The part of a bilingual title (`引导私下联系 / Luring a customer off-platform`) in this
    /// language: parts with Chinese characters for zh, the others for en; the whole when none fits.
    public func part(ofBilingual title: String) -> String {
        let parts = title.split(separator: " / ").map(String.init)
        guard parts.count > 1 else { return title }
        let chinese = parts.filter { $0.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } }
        let chosen = self == .zh ? chinese : parts.filter { !chinese.contains($0) }
        return chosen.isEmpty ? title : chosen.joined(separator: " / ")
    }
}

extension Severity {
    public func label(_ language: Language) -> String {
        switch self {
        case .low: return language.pick("低", "low")
        case .medium: return language.pick("中", "medium")
        case .high: return language.pick("高", "high")
        case .critical: return language.pick("严重", "critical")
        }
    }
}

extension AlertStatus {
    public func label(_ language: Language) -> String {
        switch self {
        case .new: return language.pick("待处理", "new")
        case .acknowledged: return language.pick("处理中", "acknowledged")
        case .dismissed: return language.pick("已排除", "dismissed")
        case .escalated: return language.pick("已上报", "escalated")
        case .pendingDismissal: return language.pick("排除待复核", "dismissal pending")
        }
    }
}

extension ReviewAction {
    public func label(_ language: Language) -> String {
        switch self {
        case .acknowledge: return language.pick("确认处理", "acknowledge")
        case .dismiss: return language.pick("排除", "dismiss")
        case .escalate: return language.pick("上报", "escalate")
        case .reopen: return language.pick("重新打开", "reopen")
        case .claim: return language.pick("认领", "claim")
        case .assign: return language.pick("分配", "assign")
        case .confirm: return language.pick("复核通过", "confirm dismissal")
        case .reject: return language.pick("复核驳回", "reject dismissal")
        }
    }
}

extension Role {
    public func label(_ language: Language) -> String {
        switch self {
        case .reviewer: return language.pick("审查员", "reviewer")
        case .supervisor: return language.pick("主管", "supervisor")
        case .admin: return language.pick("管理员", "admin")
        case .auditor: return language.pick("审计员", "auditor")
        }
    }
}

/// Names of the categories and rules the engine raises itself (wordlists carry their own titles).
public enum BuiltInNames {
    public static func category(_ id: String, _ language: Language) -> String? {
        switch id {
        case "contact": return language.pick("私人联系方式", "Private contact details")
        case AlertCategory.spam: return language.pick("刷屏与广告", "Flooding and ad blasts")
        case AlertCategory.escalation: return language.pick("屡次违规", "Repeated violations")
        case AlertCategory.evidenceHiding: return language.pick("撤回消息隐藏证据", "Evidence hidden by recall")
        case AlertCategory.engine: return language.pick("未能完整检测", "Not fully checked")
        case AlertCategory.integrity: return language.pick("存档前后不一致", "Archive contradicts itself")
        case AlertCategory.offplatformMoney: return language.pick("私下资金往来", "Off-platform money")
        default: return nil
        }
    }

    public static func rule(_ id: String, _ language: Language) -> String? {
        switch id {
        case "contact.phone": return language.pick("手机号", "phone number")
        case "contact.bankcard": return language.pick("银行卡号", "bank card")
        case "contact.idcard": return language.pick("身份证号", "ID card number")
        case "contact.wechat": return language.pick("微信号", "WeChat id")
        case "contact.qq": return language.pick("QQ号", "QQ number")
        case "contact.telegram": return language.pick("Telegram", "Telegram")
        case "contact.email": return language.pick("邮箱", "email")
        case "contact.url": return language.pick("外部链接", "outside link")
        case "window.flood": return language.pick("群内刷屏", "group flooding")
        case "window.blast": return language.pick("群发广告", "ad blast")
        case "window.new-member-link": return language.pick("新成员发链接", "new member posting a link")
        case "window.recall-after-hit": return language.pick("违规后撤回", "recall after a hit")
        case "window.repeated-hits": return language.pick("同一人屡次违规", "repeated hits by one sender")
        case "group.customer-link": return language.pick("客户在群内发链接", "customer link in a group")
        case "money.staff-redpacket": return language.pick("员工发红包", "staff red packet")
        default: return nil
        }
    }
}
