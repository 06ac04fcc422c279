import Foundation
import Media
import Support

/// The OCR half of `make bench BENCH=media` (issue 21): how many screenshots per second the
/// text path reads (in process, one thread), and how well contact details planted in screenshots
/// of real conversation lines come back out of the product (the release binary: `scan`, then
/// `media run`, then the alerts) — recall per kind of planted detail, and alerts on the
/// screenshots that hold none.
enum ScreenshotBenchmark {
    /// Renders jobs (`out`, `lines`, `style`, `size`, `width`) with scripts/render-text.py.
    static func render(_ jobs: [[String: Any]], in dir: String) throws {
        let list = dir + "/render-jobs.jsonl"
        let text = try jobs.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        try (text.joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)
        let script = FileManager.default.currentDirectoryPath + "/scripts/render-text.py"
        let (_, status) = Bench.shell("/usr/bin/python3 \(script) --batch \(list)")
        guard status == 0 else {
            throw BenchError("rendering screenshots failed (apt-get install python3-pil fonts-wqy-microhei)")
        }
    }

    static func rate(dir: String, corpus: [String]) throws {
        let reader = try TextRecognizer()
        var rng = SeededGenerator(seed: 21)
        func lines(_ n: Int) -> [String] { (0..<n).map { _ in corpus[Int(rng.next() % UInt64(corpus.count))] } }
        let kinds: [(String, [String: Any])] = [
            ("chat screenshot, 6 bubbles", ["lines": lines(6), "style": "bubble", "size": 30, "width": 720]),
            ("phone screenshot, 16 bubbles", ["lines": lines(16), "style": "bubble", "size": 40, "width": 1080]),
            ("page of 60 lines", ["lines": lines(60), "style": "plain", "size": 28, "width": 1400]),
        ]
        try render(
            kinds.enumerated().map { i, k in k.1.merging(["out": dir + "/rate\(i).png"]) { a, _ in a } }, in: dir)
        var rows: [[String]] = []
        for (i, kind) in kinds.enumerated() {
            let bytes = [UInt8](FileManager.default.contents(atPath: dir + "/rate\(i).png") ?? Data())
            let image = try ImageReader.read(bytes: bytes)
            let runs = i == 2 ? 2 : 8
            let (seconds, read) = Bench.best(runs: 2) {
                var read = ImageText(lines: [])
                for _ in 0..<runs { read = reader.read(try! ImageReader.read(bytes: bytes), milliseconds: 60_000) }
                return read
            }
            rows.append([
                kind.0, "\(image.width)×\(image.height)", Bench.f(Double(runs) / seconds, 2),
                Bench.f(seconds / Double(runs) * 1000, 0), "\(read.lines.count)",
            ])
        }
        Bench.table(
            ["screenshot (real corpus lines)", "pixels", "images/s (read + OCR)", "ms each", "lines read"], rows)
    }

    /// A detail planted in a screenshot, and the rule that should find it.
    struct Plant {
        var kind: String
        var rule: String
        var line: String
    }

    static func plant(_ kind: Int, _ rng: inout SeededGenerator) -> Plant {
        func digits(_ n: Int) -> String { (0..<n).map { _ in String(rng.next() % 10) }.joined() }
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        switch kind {
        case 0:
            let number = pick(["138", "139", "186", "159", "177"]) + digits(8)
            let a = number.prefix(3), b = number.dropFirst(3).prefix(4), c = number.suffix(4)
            let written = pick(["\(a) \(b) \(c)", "\(a)-\(b)-\(c)", number, "\(a) \(b)\(c)"])
            return Plant(
                kind: "phone", rule: "contact.phone",
                line: pick(["有事打我电话 \(written)", "手机：\(written) 随时联系", "我的号码\(written)，加一下"]))
        case 1:
            var card = pick(["622202", "621700", "622848", "436742"]) + digits(pick([9, 12]))
            card += String(luhnDigit(card))
            let grouped = stride(from: 0, to: card.count, by: 4).map {
                let s = card.index(card.startIndex, offsetBy: $0)
                return String(card[s..<(card.index(s, offsetBy: 4, limitedBy: card.endIndex) ?? card.endIndex)])
            }.joined(separator: " ")
            return Plant(
                kind: "bank card", rule: "contact.bankcard",
                line: pick(["转到这张卡 \(grouped)", "卡号：\(grouped) 户名王芳", "打款账户 \(card)"]))
        default:
            let id = pick(["zhang", "wx_", "li", "mei", "abc"]) + pick(["_", ""]) + digits(pick([4, 6]))
            return Plant(
                kind: "WeChat id", rule: "contact.wechat",
                line: pick(["加我微信 \(id) 详聊", "微信号：\(id)", "vx：\(id) 私聊我"]))
        }
    }

    static func luhnDigit(_ body: String) -> Int {
        let sum = body.reversed().enumerated().reduce(0) { total, item in
            let d = Int(String(item.element))!
            return total + (item.offset % 2 == 0 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d)
        }
        return (10 - sum % 10) % 10
    }

    static func quality(binary: String, dir: String, corpus: [String], count: Int = 240) throws {
        let media = dir + "/quality-media"
        try FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 2026)
        var jobs: [[String: Any]] = []
        var plants: [String: Plant] = [:]
        var archive = ""
        let styles = ["bubble", "plain", "dark", "noisy"]
        for i in 0..<count {
            var lines = (0..<(3 + Int(rng.next() % 4))).map { _ in corpus[Int(rng.next() % UInt64(corpus.count))] }
            if i % 2 == 0 {
                let p = plant(i / 2 % 3, &rng)
                plants["shot\(i)"] = p
                lines.insert(p.line, at: Int(rng.next() % UInt64(lines.count + 1)))
            }
            let style = styles[i % styles.count]
            let file = "q\(i)." + (style == "noisy" ? "jpg" : "png")
            jobs.append(["out": media + "/" + file, "lines": lines, "style": style, "size": 28 + Int(rng.next() % 10)])
            archive +=
                #"{"msgid":"shot\#(i)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(1_795_136_400_000 + Int64(i) * 600_000),"msgtype":"image","image":{"md5sum":"q\#(i)","filesize":1000,"sdkfileid":"x"}}"#
                + "\n"
        }
        try render(jobs, in: dir)
        let state = dir + "/quality-state"
        let config = dir + "/quality.toml"
        try """
        state_dir = "\(state)"
        [rules]
        wordlists = ["\(FileManager.default.currentDirectoryPath)/wordlists"]
        [media]
        dir = "\(media)"
        paths = ["{md5sum}.png", "{md5sum}.jpg"]
        """.write(toFile: config, atomically: true, encoding: .utf8)
        try archive.write(toFile: dir + "/quality.jsonl", atomically: true, encoding: .utf8)
        _ = Bench.shell("\(binary) scan --quiet --config \(config) \(dir)/quality.jsonl")
        let (seconds, _) = Bench.shell("\(binary) media run --config \(config)")
        var rules: [String: Set<String>] = [:]
        for line in Bench.output("\(binary) alerts list --format json --limit 100000 --config \(config)")
            .split(separator: "\n")
        {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let msgid = object["msgid"] as? String, let rule = object["rule"] as? String
            else { continue }
            rules[msgid, default: []].insert(rule)
        }
        var rows: [[String]] = []
        for kind in ["phone", "bank card", "WeChat id"] {
            let planted = plants.filter { $0.value.kind == kind }
            let found = planted.filter { rules[$0.key]?.contains($0.value.rule) == true }.count
            let flagged = planted.filter { !(rules[$0.key]?.isEmpty ?? true) }.count
            rows.append([
                kind, "\(planted.count)", "\(found)", Bench.f(100 * Double(found) / Double(max(1, planted.count))),
                "\(flagged)",
            ])
        }
        Bench.table(
            ["planted in a screenshot", "screenshots", "found by its rule", "recall %", "with any alert"], rows)
        let clean = (0..<count).filter { plants["shot\($0)"] == nil }.map { "shot\($0)" }
        let falseContact = clean.filter { rules[$0]?.contains { $0.hasPrefix("contact.") } == true }
        let anyAlert = clean.filter { !(rules[$0]?.isEmpty ?? true) }
        print(
            "screenshots of real conversation lines with nothing planted: \(clean.count); with a contact alert: \(falseContact.count); with any alert: \(anyAlert.count) (\(Set(clean.flatMap { rules[$0] ?? [] }).sorted().joined(separator: ", ")))"
        )
        print(
            "the product's image path (`media run`, release binary): \(count) screenshots in \(Bench.f(seconds)) s = \(Bench.f(Double(count) / seconds, 1)) images/s"
        )
    }
}
