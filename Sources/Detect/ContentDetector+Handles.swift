import Normalize
import Rules

/// Messenger handles after the names people use for the app — by its nicknames (`绿泡泡`,
/// `企鹅`, `纸飞机`) or by any characters that sound like it (`螱噺 abc123` for WeChat) — with the
/// words people put between (`找我`, `联系我`, `号是`). The detectors' own patterns catch the plain
/// forms; this catches what they cannot read, and says how it read it.
extension ContentDetector {
    /// Names of messengers as written (light view: lower case, full width folded), by detector.
    static let messengerNames: [(name: String, rule: String)] = [
        ("微信", "contact.wechat"), ("v信", "contact.wechat"), ("vx", "contact.wechat"), ("wx", "contact.wechat"),
        ("v❤", "contact.wechat"), ("威❤", "contact.wechat"), ("薇❤", "contact.wechat"), ("微❤", "contact.wechat"),
        ("绿泡泡", "contact.wechat"), ("卫星号", "contact.wechat"), ("wechat", "contact.wechat"),
        ("weixin", "contact.wechat"),
        ("qq", "contact.qq"), ("扣扣", "contact.qq"), ("企鹅", "contact.qq"), ("球球", "contact.qq"),
        ("飞机", "contact.telegram"), ("电报", "contact.telegram"), ("tg", "contact.telegram"),
        ("telegram", "contact.telegram"),
    ]

    /// Messenger names by sound: any two characters read like this are the app's name.
    static let messengerSounds: [(syllables: [String], name: String, rule: String)] = [
        (["wei", "xin"], "微信", "contact.wechat"), (["kou", "kou"], "扣扣", "contact.qq"),
    ]

    /// What people write between the name and the id.
    static let handleFillers = [
        "号码", "号", "是", "为", "叫", "找我", "加我", "联系我", "联系", "私我", "搜", "搜索", "账号", "id", "就行", "的",
        "发你了", "发你", "给你", "了", "上", "上面",
    ]

    func readHandles(_ result: inout Detection, light: BorrowedView, text: (Range<Int>) -> String) {
        let wanted = Set(detectors.map(\.id))
        guard !wanted.isDisjoint(with: ["contact.wechat", "contact.qq", "contact.telegram"]) else { return }
        let bytes = light.bytes
        let known = Set(
            result.findings.filter { $0.category == ContactDetectors.categoryID }.map { $0.normalized.lowercased() })
        var i = 0
        while i < bytes.count {
            // An id: a letter, then letters, digits, '_' or '-' (6–20 long), standing alone.
            guard Self.isIDStart(bytes[i]), i == 0 || !Self.isIDByte(bytes[i - 1]) else {
                i += 1
                continue
            }
            var end = i + 1
            while end < bytes.count && Self.isIDByte(bytes[end]) { end += 1 }
            defer { i = end }
            guard (6...20).contains(end - i) else { continue }
            let id = light.text(i..<end)
            guard !known.contains(id), let (rule, how) = messengerBefore(light.text(0..<i)), wanted.contains(rule),
                let detector = detectors.first(where: { $0.id == rule })
            else { continue }
            let evidence = light.originalRange(of: i..<end)
            var finding = Finding(
                rule: rule, category: ContactDetectors.categoryID, severity: detector.severity, term: detector.title,
                range: evidence, matched: text(evidence), normalized: id, view: .light, origin: "built-in")
            finding.explanation = how
            result.findings.append(finding)
        }
    }

    /// The messenger named just before an id (after the usual words between), and how it was read.
    func messengerBefore(_ before: String) -> (rule: String, how: [String])? {
        var tail = Substring(String(before.suffix(16)))
        // Drop what people put between the name and the id, from the end, until a name shows.
        while true {
            while let last = tail.last, last.isWhitespace || last.isPunctuation || "：:@#＃".contains(last) {
                tail = tail.dropLast()
            }
            if let found = Self.messengerNames.first(where: { tail.hasSuffix($0.name) }) { return (found.rule, []) }
            guard let filler = Self.handleFillers.first(where: { tail.hasSuffix($0) }) else { break }
            tail = tail.dropLast(filler.count)
        }
        // Two characters that sound like a messenger's name.
        let scalars = Array(tail.unicodeScalars.suffix(2))
        guard scalars.count == 2 else { return nil }
        let pronunciation = Pronunciation.shared
        let heard = scalars.map { pronunciation.syllables[Int(pronunciation.syllable($0.value))] }
        for (syllables, name, rule) in Self.messengerSounds where heard == syllables {
            let written = String(String.UnicodeScalarView(scalars))
            return (rule, [written, syllables.joined(separator: " "), name])
        }
        return nil
    }

    static func isIDStart(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    static func isIDByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
    }
}
