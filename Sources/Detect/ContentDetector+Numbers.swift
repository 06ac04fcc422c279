import Normalize
import Rules

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

    /// Words before a number that make it a reference, not a person's number.
    static let referenceContext = [
        "订单", "单号", "编号", "运单", "快递", "物流", "流水", "工单", "发票", "交易", "合同", "批号", "序列号", "会员号",
        "卡号", "order", "no.", "#",
    ]

    /// QQ's names in chats.
    static let qqNames = ["qq", "扣扣", "抠抠", "企鹅", "q号", "球球", "扣号", "口口"]

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
        if let phoneDetector, Self.pieceWords.contains(where: { lightText.contains($0) }) {
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
                let before = String(lightText.utf8.prefix(run.range.lowerBound)) ?? ""
                let tail = String(before.suffix(8)).lowercased()
                guard Self.qqNames.contains(where: { tail.contains($0) }) else { continue }
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
        let text = light.text(0..<light.bytes.count)
        func isTail(_ run: NumberReader.Run) -> Bool {
            let before = String(String(text.utf8.prefix(run.range.lowerBound)) ?? "").suffix(6)
            return ["尾号", "后四位", "后4位", "后面", "后几位", "末尾"].contains { before.contains($0) }
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
        let text = light.text(0..<light.bytes.count)
        let before = (String(text.utf8.prefix(run.range.lowerBound)) ?? "").lowercased()
        let tail = String(before.suffix(10)).filter { !$0.isWhitespace && $0 != ":" && $0 != "：" }
        if Self.referenceContext.contains(where: { tail.hasSuffix($0) || tail.dropLast().hasSuffix($0) }) {
            return true
        }
        if let last = before.last, "¥￥$".contains(last) { return true }
        let after = String(text.utf8.dropFirst(run.range.upperBound)) ?? ""
        if let next = after.first, "元块万年月日".contains(next) { return true }
        return false
    }

    /// How a number was read, for the reviewer: as written → the readings used → the value.
    static func explain(_ run: NumberReader.Run, written: String, value: String) -> [String] {
        guard !run.readings.isEmpty || written.unicodeScalars.contains(where: { !("0"..."9").contains($0) }) else {
            return []
        }
        let shown = written.count > 14 ? String(written.prefix(12)) + "…" : written
        return [shown, run.readings.isEmpty ? "digits as written" : run.readings.joined(separator: ", "), value]
    }
}
