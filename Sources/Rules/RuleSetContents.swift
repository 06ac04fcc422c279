import Vocabulary

/// What a rule set says, apart from where it was written: the text a rule version is the hash
/// of, and the entries per category that `rules history` compares between versions. Comments,
/// blank lines and file names do not change it; a word, a pattern, an allowed phrase, a
/// severity, a scope or a context phrase does.
extension RuleSet {
    /// Category id → its entries as written (`加微信`, `~加微信`, `?最佳`, `re:…`, `allow:…`,
    /// `allow-re:…`), sorted.
    public var entriesByCategory: [String: [String]] {
        var entries: [String: [String]] = [:]
        for category in categories { entries[category.id] = [] }
        func add(_ index: Int, _ text: String) {
            guard categories.indices.contains(index) else { return }
            entries[categories[index].id, default: []].append(text)
        }
        for word in words {
            add(word.category, (word.soundAlike ? "~" : "") + (word.needsContext ? "?" : "") + word.text)
        }
        for pattern in patterns { add(pattern.entry.category, "re:" + pattern.entry.pattern) }
        for allow in allows { add(allow.category, "allow:" + allow.text) }
        for allow in allowPatterns { add(allow.category, "allow-re:" + allow.pattern) }
        return entries.mapValues { Array(Set($0)).sorted() }
    }

    /// The canonical text of the rule set: one line per category setting and per entry, sorted.
    public var canonicalText: String {
        var lines: [String] = []
        for c in categories {
            lines.append(
                "category\t\(c.id)\t\(c.severity.rawValue)\t\(c.title)\t\(c.scope.sender)/\(c.scope.chat)\t\(c.action)")
            lines += c.notAfter.map { "not-after\t\(c.id)\t\($0.text)" }
            lines += c.notBefore.map { "not-before\t\(c.id)\t\($0.text)" }
            lines += c.needs.map { "needs\t\(c.id)\t\($0.text)" }
        }
        for (category, entries) in entriesByCategory { lines += entries.map { "entry\t\(category)\t\($0)" } }
        return lines.sorted().joined(separator: "\n")
    }
}
