public import Normalize

/// What search sees of a text: the text as detection sees it, so a reviewer searching for a case
/// finds the messages written to hide it.
///
/// The search form of a text is its dense normalised view (``NormalizedText/dense``: width,
/// case, traditional → simplified, digit variants and Chinese numerals folded, invisible
/// characters, punctuation, spacing and emoji removed, repeats collapsed), kept to letters and
/// digits. A query goes through the same steps, so `私下转账` finds `私\u{200B}下转账`, `稳赚`
/// finds `穩賺` and `13800138000` finds `138 0013 8000`; results are shown in their original
/// characters with the match highlighted through the normaliser's offset map (``highlights``).
///
/// How it is indexed differs by store. SQLite: a contentless FTS5 table (`messages_search`, the
/// text itself is stored once, in `messages`) over the *bigrams* of the search form: `加我微信`
/// is indexed as the tokens `加我 我微 微信 信`, so a query of any length is one index lookup —
/// one character a prefix query, two a token, more a phrase of consecutive bigrams (a trigram
/// index cannot serve the two-character queries most Chinese words are). PostgreSQL: the search
/// form in a column (`search_text`) with a `pg_trgm` GIN index.
public enum SearchText {
    /// One character of the search form and the byte range of the dense view it came from.
    struct FormCharacter {
        var scalar: Unicode.Scalar
        var dense: Range<Int>
    }

    /// The characters of `text`'s search form, each with where it sits in the dense view, and
    /// that view (whose offset map takes a match back to the original text: highlighting).
    static func characters(
        _ text: String, buffers: NormalizationBuffers = NormalizationBuffers()
    ) -> (characters: [FormCharacter], view: NormalizedView) {
        var copy = text
        let view = copy.withUTF8 { bytes in
            Normalizer.standard.normalize(utf8: bytes, into: buffers, light: false, dense: true).dense.copy()
        }
        return (characters(ofDense: view.utf8), view)
    }

    /// The letters and digits of a dense view, with their byte ranges.
    static func characters(ofDense bytes: [UInt8]) -> [FormCharacter] {
        bytes.withUnsafeBufferPointer { bytes in
            var result: [FormCharacter] = []
            result.reserveCapacity(bytes.count / 2)
            forEachScalar(bytes) { scalar, range in
                if isTokenCharacter(scalar) { result.append(FormCharacter(scalar: scalar, dense: range)) }
            }
            return result
        }
    }

    /// The letters and digits of `text`'s dense view, read from the borrowed view (no copy: this
    /// runs for every message indexed).
    static func scalars(_ text: String, buffers: NormalizationBuffers) -> [Unicode.Scalar] {
        var copy = text
        return copy.withUTF8 { original in
            let dense = Normalizer.standard.normalize(utf8: original, into: buffers, light: false, dense: true).dense
            var result: [Unicode.Scalar] = []
            result.reserveCapacity(dense.bytes.count / 2)
            forEachScalar(dense.bytes) { scalar, _ in
                if isTokenCharacter(scalar) { result.append(scalar) }
            }
            return result
        }
    }

    /// The search form of `text` as the PostgreSQL column holds it (letters and digits only).
    public static func form(_ text: String, buffers: NormalizationBuffers = NormalizationBuffers()) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars(text, buffers: buffers))
        return String(out)
    }

    /// What the SQLite index holds for `text`: its overlapping bigrams, space-separated, and the
    /// last character alone (so a one-character prefix query finds a text's last character).
    /// Empty when the text has no letters or digits.
    public static func bigrams(_ text: String, buffers: NormalizationBuffers = NormalizationBuffers()) -> String {
        bigrams(of: scalars(text, buffers: buffers))
    }

    static func bigrams(of scalars: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        for (i, scalar) in scalars.enumerated() {
            if i > 0 { out.append(" ") }
            out.append(scalar)
            if i + 1 < scalars.count { out.append(scalars[i + 1]) }
        }
        return String(out)
    }

    /// FTS5's `unicode61` tokenizer keeps letters, digits and private-use characters in tokens
    /// and splits on everything else: the search form keeps exactly those, so every bigram is one
    /// token. Ideographs, the common case, are decided without a property lookup.
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A)
        }
        if v >= 0x4E00 && v <= 0x9FFF { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber,
            .letterNumber, .otherNumber, .privateUse:
            return true
        default:
            return false
        }
    }

    /// Each scalar of valid UTF-8 (the normaliser's output) with its byte range.
    static func forEachScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Unicode.Scalar, Range<Int>) -> Void) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = UInt32(bytes[i])
            func cont(_ k: Int) -> UInt32 { i + k < n ? UInt32(bytes[i + k]) & 0x3F : 0 }
            let value: UInt32
            let width: Int
            if b0 < 0x80 {
                (value, width) = (b0, 1)
            } else if b0 < 0xE0 {
                (value, width) = ((b0 & 0x1F) << 6 | cont(1), 2)
            } else if b0 < 0xF0 {
                (value, width) = ((b0 & 0x0F) << 12 | cont(1) << 6 | cont(2), 3)
            } else {
                (value, width) = ((b0 & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3), 4)
            }
            let end = min(i + width, n)
            body(Unicode.Scalar(value) ?? "\u{FFFD}", i..<end)
            i = end
        }
    }

    // MARK: - Queries

    /// A query's search form: its letters and digits after normalisation. Nil when it has none.
    public static func queryForm(_ query: String) -> [Unicode.Scalar]? {
        let form = scalars(query, buffers: NormalizationBuffers())
        return form.isEmpty ? nil : form
    }

    /// An FTS5 expression over the bigram index that finds `form` as a substring.
    static func matchExpression(_ form: [Unicode.Scalar]) -> String {
        if form.count == 1 { return "\"" + String(Character(form[0])) + "\"*" }
        var phrase = String.UnicodeScalarView()
        for i in 0..<(form.count - 1) {
            if i > 0 { phrase.append(" ") }
            phrase.append(form[i])
            phrase.append(form[i + 1])
        }
        return "\"" + String(phrase) + "\""
    }

    /// Why a search expression cannot be run, with what it supports.
    public struct ExpressionError: Error, CustomStringConvertible {
        public let description: String
    }

    /// An FTS5 query expression written by a person (`"加微信" OR "私聊"`, `返现 NOT 活动`,
    /// `(转账 OR 汇款) AND 私下`) over the bigram index: each phrase or bare word becomes its
    /// search form's match expression; `AND`, `OR`, `NOT` and parentheses are kept. Returns the
    /// expression and the search forms of its phrases (to highlight them).
    public static func expression(_ text: String) throws(ExpressionError) -> (fts: String, phrases: [[Unicode.Scalar]])
    {
        var out: [String] = []
        var phrases: [[Unicode.Scalar]] = []
        var chars = Array(text)
        chars.append(" ")
        var i = 0
        func phrase(_ words: String) throws(ExpressionError) {
            guard let form = queryForm(words) else {
                throw ExpressionError(description: "\"\(words)\" has no letters or digits to search for")
            }
            phrases.append(form)
            out.append(matchExpression(form))
        }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "(" || c == ")" {
                out.append(String(c))
                i += 1
            } else if c == "\"" {
                var words = ""
                var j = i + 1
                var closed = false
                while j < chars.count - 1 {
                    if chars[j] == "\"" {
                        if j + 1 < chars.count - 1 && chars[j + 1] == "\"" {
                            words.append("\"")
                            j += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    words.append(chars[j])
                    j += 1
                }
                guard closed else { throw ExpressionError(description: "a quoted phrase is not closed: \(text)") }
                try phrase(words)
                i = j + 1
            } else {
                var word = ""
                while i < chars.count, !chars[i].isWhitespace, chars[i] != "(", chars[i] != ")", chars[i] != "\"" {
                    word.append(chars[i])
                    i += 1
                }
                if word == "AND" || word == "OR" || word == "NOT" {
                    out.append(word)
                } else {
                    try phrase(word)
                }
            }
        }
        guard !phrases.isEmpty else {
            throw ExpressionError(
                description:
                    "nothing to search for in \(text): write phrases (\"加微信\"), joined by AND, OR, NOT and parentheses")
        }
        return (out.joined(separator: " "), phrases)
    }

    // MARK: - Highlighting

    /// The byte ranges of `text` (its original characters) where any of `forms` occurs in its
    /// search form, in order, not overlapping.
    public static func highlights(of forms: [[Unicode.Scalar]], in text: String) -> [Range<Int>] {
        let forms = forms.filter { !$0.isEmpty }
        guard !forms.isEmpty else { return [] }
        let (chars, view) = characters(text)
        var ranges: [Range<Int>] = []
        var i = 0
        while i < chars.count {
            var matched = 0
            for form in forms where form.count <= chars.count - i && form.count > matched {
                var k = 0
                while k < form.count && chars[i + k].scalar == form[k] { k += 1 }
                if k == form.count { matched = form.count }
            }
            if matched > 0 {
                let dense = chars[i].dense.lowerBound..<chars[i + matched - 1].dense.upperBound
                ranges.append(view.originalRange(of: dense))
                i += matched
            } else {
                i += 1
            }
        }
        return ranges
    }
}
