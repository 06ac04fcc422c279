public import Config
public import Vocabulary

/// What a person reads for an id: a category's title from its wordlist, a rule's name, a staff
/// member's or customer's display name, in the reader's language.
public struct Labels: Sendable {
    public var language: Language
    public var names: NameDirectory
    /// Category id → its wordlist's (bilingual) title.
    public var categoryTitles: [String: String]
    /// Category id → what a reviewer should do (its wordlist's `@action`).
    public var guidance: [String: String]

    public init(
        language: Language, names: NameDirectory = NameDirectory(), categoryTitles: [String: String] = [:],
        guidance: [String: String] = [:]
    ) {
        self.language = language
        self.names = names
        self.categoryTitles = categoryTitles
        self.guidance = guidance
    }

    public func with(language: Language) -> Labels {
        var copy = self
        copy.language = language
        return copy
    }

    /// `引导私下联系` for `luring` (the id itself when nothing names it).
    public func category(_ id: String) -> String {
        if let title = categoryTitles[id] { return language.part(ofBilingual: title) }
        return BuiltInNames.category(id, language) ?? id
    }

    /// A rule's name: built-in rules by name, wordlist rules (`luring`, `luring.pattern`) by
    /// their category's title.
    public func rule(_ id: String) -> String {
        if let name = BuiltInNames.rule(id, language) { return name }
        if let title = categoryTitles[id] { return language.part(ofBilingual: title) }
        if let dot = id.firstIndex(of: "."), let title = categoryTitles[String(id[..<dot])] {
            return language.part(ofBilingual: title)
        }
        return id
    }

    /// `张三 (zhangsan)`, or the id alone.
    public func person(_ id: String) -> String { names.label(id) }

    /// The guidance of a category in this language (the part in it, when bilingual).
    public func guidance(for category: String) -> String? {
        guidance[category].map { language.part(ofBilingual: $0) }
    }
}
