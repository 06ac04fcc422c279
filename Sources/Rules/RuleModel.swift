public import PCRE2
public import Vocabulary

/// Whose messages a rule looks at.
public enum SenderScope: String, Sendable, Hashable, CaseIterable {
    case any, staff, customer
}

/// Which conversations a rule looks at.
public enum ChatScope: String, Sendable, Hashable, CaseIterable {
    case any
    /// Group chats (a `roomid` is set).
    case group
    /// One-to-one chats.
    case `private`
}

/// Where a rule applies.
public struct Scope: Sendable, Hashable {
    public var sender: SenderScope
    public var chat: ChatScope

    public init(sender: SenderScope = .any, chat: ChatScope = .any) {
        self.sender = sender
        self.chat = chat
    }

    public static let everywhere = Scope()

    /// Whether a message from a sender of `kind`, in a group or not, is in scope.
    public func includes(senderKind kind: ParticipantKind, isGroup: Bool) -> Bool {
        switch sender {
        case .any: break
        case .staff: if kind != .staff { return false }
        case .customer: if kind != .customer { return false }
        }
        switch chat {
        case .any: return true
        case .group: return isGroup
        case .private: return !isGroup
        }
    }

    public var description: String { "sender=\(sender.rawValue) chat=\(chat.rawValue)" }
}

/// A category of violation: what a wordlist file declares in its header.
public struct Category: Sendable, Hashable {
    /// Stable id, used as the rule id of its alerts (`luring`, `absolute-terms`, ...).
    public var id: String
    /// A title for people.
    public var title: String
    public var severity: Severity
    /// What a reviewer should do about an alert of this category.
    public var action: String
    public var scope: Scope
    /// The file that declared it.
    public var file: String
    /// Phrases that, right before a hit in the same clause, make it a warning or a refusal
    /// rather than a violation (`@not-after 请勿 不要`: `请勿私下转账`), each with where it was
    /// declared; in their dense form.
    public var notAfter: [ContextPhrase] = []
    /// The same, right after the hit (`@not-before 一律无效`: `私下转账一律无效`).
    public var notBefore: [ContextPhrase] = []
    /// The context a `?word` needs: its hit counts only in a message that also holds one of these
    /// phrases (`@needs 产品 价格 效果`: `?最佳` is a claim about what is sold, not `最佳人选`).
    public var needs: [ContextPhrase] = []

    public init(id: String, title: String, severity: Severity, action: String, scope: Scope, file: String) {
        self.id = id
        self.title = title
        self.severity = severity
        self.action = action
        self.scope = scope
        self.file = file
    }
}

/// A phrase of a category's warning context (`@not-after`, `@not-before`).
public struct ContextPhrase: Sendable, Hashable {
    /// As written, and its dense form (what is compared).
    public var text: String
    public var dense: String
    public var location: SourceLocation
}

/// Where a rule entry was written: file, 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A plain word of a wordlist.
public struct WordEntry: Sendable, Hashable {
    /// As written in the wordlist.
    public var text: String
    /// Its dense normal form: what is searched for in the dense view of messages.
    public var dense: String
    /// Index into ``RuleSet/categories``.
    public var category: Int
    public var location: SourceLocation
    /// Written `~word`: also caught when written with other characters that sound the same
    /// (`~微信` catches `威信`, `薇芯`), by its pinyin.
    public var soundAlike = false
    /// Written `?word`: an everyday word that is a violation only in the category's context
    /// (`@needs`): `?最佳` is a claim in `我们的产品效果最佳`, not in `最佳人选`.
    public var needsContext = false
    /// For a form derived from a `~` word rather than written in a list (its pinyin initials,
    /// `加wx` for `加微信`): how it was derived, for the reviewer. Empty for written words.
    public var derivation = ""

    public init(
        text: String, dense: String, category: Int, location: SourceLocation, soundAlike: Bool = false,
        needsContext: Bool = false
    ) {
        self.text = text
        self.dense = dense
        self.category = category
        self.location = location
        self.soundAlike = soundAlike
        self.needsContext = needsContext
    }
}

/// Which normalised view a pattern runs on.
public enum TextView: String, Sendable, Hashable {
    /// Width, case, script and digit variants folded; punctuation kept.
    case light
    /// Also without punctuation, spaces and emoji, and with repeats collapsed.
    case dense
}

/// A PCRE2 pattern entry (`re:` lines).
public struct PatternEntry: Sendable, Hashable {
    public var pattern: String
    public var category: Int
    public var view: TextView
    public var location: SourceLocation
}

/// An allowed phrase (`allow:` lines): a hit it covers is suppressed.
public struct AllowEntry: Sendable, Hashable {
    public var text: String
    public var dense: String
    public var category: Int
    public var location: SourceLocation
}

/// An allowed pattern (`allow-re:` lines), on the light view: a hit of its category that a match
/// covers is suppressed (`allow-re:第\d+[次部届]` keeps ordinals from reading as claims).
public struct CompiledAllowPattern: Sendable {
    public var pattern: String
    public var regex: Regex
    public var category: Int
    public var location: SourceLocation
}

/// A problem found while loading rules, with its place.
public struct RuleDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Level: String, Sendable, Hashable { case error, warning }

    public var level: Level
    public var code: RuleError.Code
    public var location: SourceLocation
    public var message: String

    public var description: String { "\(location): \(level.rawValue): \(message)" }
}

/// A rule file that cannot be used, with file, line and column.
public struct RuleError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let unreadable = Code("unreadable")
        public static let badDirective = Code("badDirective")
        public static let badPattern = Code("badPattern")
        public static let patternTooLarge = Code("patternTooLarge")
        public static let controlCharacter = Code("controlCharacter")
        public static let invalidUTF8 = Code("invalidUTF8")
        public static let emptyAfterNormalisation = Code("emptyAfterNormalisation")
        public static let duplicateCategory = Code("duplicateCategory")
        public static let tooBroad = Code("tooBroad")
        public static let riskyPattern = Code("riskyPattern")
        public static let badConfig = Code("badConfig")
    }

    public var code: Code
    public var location: SourceLocation
    public var message: String

    public init(code: Code, location: SourceLocation, message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}
