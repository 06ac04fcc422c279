import Normalize
import Rules
import Support

/// Numbers however they are written (``NumberReader``): mobile numbers in colloquial, mixed,
/// English or look-alike digits, with any separators, or given in pieces within one message
/// (a head and a tail, or three parts, each introduced by words); QQ numbers after the names
/// people use for QQ. What is plainly not a person's number is left alone: order, tracking,
/// invoice and transaction numbers, prices, dates, service lines (400/800/95xxx are not mobile
/// numbers at all).
extension ContentDetector {
    /// Words that introduce a part of a number or say a number is coming.
    static let pieceWords = [
        "尾号", "后四位", "后4位", "后面", "后几位", "末尾", "前三位", "前3位", "前面", "前几位", "开头", "中间", "电话", "手机",
        "号码", "联系", "打我", "加我", "call", "tel",
    ]

    /// QQ's names in chats.
    static let qqNames = ["qq", "扣扣", "抠抠", "企鹅", "q号", "球球", "扣号", "口口"]

    /// Words that introduce the tail of a number (moved last when pieces are assembled).
    static let tailWords = ["尾号", "后四位", "后4位", "后面", "后几位", "末尾"]

    // The word lists as scalars: they are looked for near every run of digits, on scalars of
    // the light view (Foundation's and the standard library's string search cost far more).
    static let qqNameScalars = qqNames.map { Array($0.unicodeScalars) }
    static let tailWordScalars = tailWords.map { Array($0.unicodeScalars) }

    /// Adds phone and QQ findings that the detectors' own patterns could not read.
    func readNumbers(_ result: inout Detection, light: BorrowedView, text: (Range<Int>) -> String) {
        let wantsPhone = detectors.contains { $0.id == "contact.phone" }
        let wantsQQ = detectors.contains { $0.id == "contact.qq" }
        guard wantsPhone || wantsQQ else { return }
        let runs = NumberReader.runs(in: light.bytes)
        guard !runs.isEmpty else { return }
        let lightText = light.text(0..<light.bytes.count)
        let known = Set(result.findings.filter { $0.rule == "contact.phone" || $0.rule == "contact.qq" }.map(\.detail))
        var used = Set<Int>()
        func add(
            _ rule: String, _ detector: ContactDetector, _ value: String, _ parts: [NumberReader.Run], _ how: [String]
        ) {
            guard !known.contains(value) else { return }
            let evidence = light.originalRange(of: parts.first!.range.lowerBound..<parts.last!.range.upperBound)
            var finding = Finding(
                rule: rule, category: ContactDetectors.categoryID, severity: detector.severity, term: detector.title,
                range: evidence, matched: text(evidence), normalized: value, view: .light, origin: "built-in",
                detail: value)
            finding.explanation = how
            result.findings.append(finding)
        }
        let phoneDetector = detectors.first { $0.id == "contact.phone" }
        let qqDetector = detectors.first { $0.id == "contact.qq" }
        // One run holding a mobile number.
        for (index, run) in runs.enumerated() {
            guard let phoneDetector, let mobile = Self.mobile(run.text), !isReference(run, in: light) else { continue }
            used.insert(index)
            add(
                "contact.phone", phoneDetector, mobile, [run],
                Self.explain(run, written: text(light.originalRange(of: run.range)), value: mobile))
        }
        // A number in pieces: two or three parts in a row, introduced by words.
        if let phoneDetector, Self.pieceWords.contains(where: { lightText.utf8Contains($0) }) {
            let pieces = runs.indices.filter {
                !used.contains($0) && (3...8).contains(runs[$0].digits.count) && !isReference(runs[$0], in: light)
            }
            if let (parts, mobile) = Self.assemble(pieces.map { runs[$0] }, light: light) {
                add(
                    "contact.phone", phoneDetector, mobile, parts,
                    ["\(parts.count) parts " + parts.map(\.text).joined(separator: " + "), "assembled → \(mobile)"])
            }
        }
        // QQ numbers after QQ's names, however their digits are written.
        if let qqDetector {
            for (index, run) in runs.enumerated()
            where !used.contains(index) && (5...11).contains(run.digits.count) && run.digits.first != 0x30 {
                let tail = light.scalars(before: run.range.lowerBound, count: 8)
                guard Self.qqNameScalars.contains(where: { tail.contains($0) }) else { continue }
                add(
                    "contact.qq", qqDetector, run.text, [run],
                    Self.explain(run, written: text(light.originalRange(of: run.range)), value: run.text))
            }
        }
    }

    /// The 11-digit mainland mobile number in `digits` (with a leading 86 or 0086 dropped), or nil.
    static func mobile(_ digits: String) -> String? {
        var d = Substring(digits)
        if d.count == 13 && d.hasPrefix("86") { d = d.dropFirst(2) }
        if d.count == 15 && d.hasPrefix("0086") { d = d.dropFirst(4) }
        guard d.count == 11, d.first == "1", let second = d.dropFirst().first, ("3"..."9").contains(second) else {
            return nil
        }
        return String(d)
    }

    /// Two or three parts whose digits, head first, make a mobile number: in the order written,
    /// or with a part introduced as the tail (`尾号`, `后四位`) moved last.
    static func assemble(_ parts: [NumberReader.Run], light: BorrowedView) -> ([NumberReader.Run], String)? {
        guard parts.count >= 2 else { return nil }
        func isTail(_ run: NumberReader.Run) -> Bool {
            let before = light.scalars(before: run.range.lowerBound, count: 6)
            return tailWordScalars.contains { before.contains($0) }
        }
        for size in [2, 3] where parts.count >= size {
            for start in 0...(parts.count - size) {
                var group = Array(parts[start..<(start + size)])
                if let mobile = mobile(group.map(\.text).joined()) { return (group, mobile) }
                if let tail = group.firstIndex(where: isTail), tail != group.count - 1 {
                    let moved = group.remove(at: tail)
                    group.append(moved)
                    if let mobile = mobile(group.map(\.text).joined()) {
                        return (group.sorted { $0.range.lowerBound < $1.range.lowerBound }, mobile)
                    }
                }
            }
        }
        return nil
    }

    /// Whether a number is a reference (order, tracking, invoice …), a price or part of a date.
    func isReference(_ run: NumberReader.Run, in light: BorrowedView) -> Bool {
        if ContactDetectors.isReferenceContext(light.scalars(before: run.range.lowerBound, count: 12)) { return true }
        if let next = light.scalars(after: run.range.upperBound, count: 1).first, "元块万年月日".unicodeScalars.contains(next)
        {
            return true
        }
        return false
    }

    /// How the normaliser read the digits of a number as written (`幺三八` → colloquial digits,
    /// Chinese numerals), for the reviewer; nil when they are plain ASCII digits.
    static func digitForms(_ written: String) -> String? {
        var forms: [String] = []
        func note(_ form: String) { if !forms.contains(form) { forms.append(form) } }
        for scalar in written.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39, 0x20, 0x2D, 0x2E, 0x2B: continue
            case _ where "幺洞拐勾两".unicodeScalars.contains(scalar): note("colloquial digits")
            case _ where "零〇一二三四五六七八九".unicodeScalars.contains(scalar): note("Chinese numerals")
            case _ where "壹贰叁肆伍陆柒捌玖".unicodeScalars.contains(scalar): note("formal numerals")
            case 0xFF10...0xFF19: note("full-width digits")
            case 0x2460...0x24FF, 0x2776...0x2793, 0x3251...0x32BF: note("circled digits")
            case 0x1D7CE...0x1D7FF: note("styled digits")
            case 0xFE0F, 0x20E3: note("keycaps")
            default: continue
            }
        }
        return forms.isEmpty ? nil : forms.joined(separator: ", ")
    }

    /// How a number was read, for the reviewer: as written → the readings used → the value.
    static func explain(_ run: NumberReader.Run, written: String, value: String) -> [String] {
        guard !run.readings.isEmpty || written.unicodeScalars.contains(where: { !("0"..."9").contains($0) }) else {
            return []
        }
        let shown = written.count > 14 ? String(written.prefix(12)) + "…" : written
        let readings = run.readings + (digitForms(written).map { [$0] } ?? [])
        return [shown, readings.isEmpty ? "digits as written" : readings.joined(separator: ", "), value]
    }
}

extension BorrowedView {
    /// Up to `count` Unicode scalars of the view ending at byte offset `end`.
    func scalars(before end: Int, count: Int) -> [Unicode.Scalar] {
        var start = min(end, bytes.count)
        var seen = 0
        while start > 0 && seen < count {
            start -= 1
            if bytes[start] & 0xC0 != 0x80 { seen += 1 }
        }
        return Array(text(start..<min(end, bytes.count)).unicodeScalars)
    }

    /// Up to `count` Unicode scalars of the view from byte offset `start`.
    func scalars(after start: Int, count: Int) -> [Unicode.Scalar] {
        guard start < bytes.count else { return [] }
        var end = start
        var seen = 0
        while end < bytes.count && (seen < count || bytes[end] & 0xC0 == 0x80) {
            if bytes[end] & 0xC0 != 0x80 { seen += 1 }
            end += 1
        }
        return Array(text(start..<end).unicodeScalars)
    }
}

extension Array where Element == Unicode.Scalar {
    /// Whether the scalars end with `suffix`.
    func hasSuffix(_ suffix: [Unicode.Scalar]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }

    /// Whether `needle` occurs in the scalars.
    func contains(_ needle: [Unicode.Scalar]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
