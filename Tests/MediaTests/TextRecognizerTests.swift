import Foundation
import Testing
@testable import Media

/// Text in images through Tesseract, on screenshots the tests render with a CJK font
/// (`scripts/render-text.py`: Debian's python3-pil and fonts-wqy-microhei, installed by
/// `make test` with tesseract-ocr-chi-sim).
@Suite("Media: text in images", .serialized)
struct TextRecognizerTests {
    /// One recogniser for the suite: loading the models is the slow part, as in the worker.
    nonisolated(unsafe) static let recognizer = Result { try TextRecognizer() }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/render-text.py").path

    /// Renders `lines` in `style` and reads the image back.
    func render(
        _ lines: [String], style: String = "plain", size: Int = 30, width: Int = 720, ext: String = "png"
    )
        throws -> GrayImage
    {
        let out = NSTemporaryDirectory() + "cw-ocr-" + UUID().uuidString + "." + ext
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments =
            [Self.script, out, "--style", style, "--size", String(size), "--width", String(width)] + lines
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let why = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(
            process.terminationStatus == 0,
            "rendering needs Debian's python3-pil and fonts-wqy-microhei (`make test` installs them): \(why)")
        return try ImageReader.read(out)
    }

    func recognizer() throws -> TextRecognizer {
        try #require(
            try? Self.recognizer.get(),
            "Tesseract's Chinese data is missing: `make test` installs tesseract-ocr-chi-sim and tesseract-ocr-eng")
    }

    @Test(
        "a phone number, a bank card and Chinese words are read from screenshots of several kinds",
        arguments: ["plain", "bubble", "dark", "noisy"])
    func screenshots(_ style: String) throws {
        let reader = try recognizer()
        // Ordinary lines around the evidence, as in a real conversation (a dark-mode page of a few
        // lines once read as nothing at all: Tesseract took the dark page for a picture).
        let image = try render(
            [
                "那去此参观要多长时间？", "加我微信 hack_zw88 详聊", "是的呀，看来你也知道呀？", "手机 138 1234 5678 随时联系",
                "辛苦啊，最近很忙么", "私下转账到我的支付宝",
            ], style: style, ext: style == "noisy" ? "jpg" : "png")
        let read = reader.read(image, milliseconds: 20_000)
        let digits = read.text.filter { !$0.isWhitespace }
        #expect(digits.contains("13812345678"), "\(style): \(read.text)")
        #expect(read.text.contains("hack_zw88"), "\(style): \(read.text)")
        #expect(read.text.contains("私下转账"), "\(style): \(read.text)")
        #expect(!read.stoppedAtDeadline)
        // Every line has a box inside the image, one below the other.
        for line in read.lines {
            #expect(line.box.x >= 0 && line.box.y >= 0 && line.box.width > 0 && line.box.height > 0)
            #expect(line.box.x + line.box.width <= image.width && line.box.y + line.box.height <= image.height)
        }
        let tops = read.lines.map(\.box.y)
        #expect(tops == tops.sorted(), "lines in reading order: \(read.lines)")
    }

    @Test("a finding's place in the text maps to the boxes of the lines it lies on")
    func boxes() throws {
        let reader = try recognizer()
        let read = reader.read(try render(["第一行 你好", "电话 138 1234 5678", "第三行 再见"]), milliseconds: 20_000)
        try #require(read.lines.count == 3, "\(read.lines)")
        let text = read.text
        let phone = try #require(text.range(of: "138"))
        let start = text.utf8.distance(from: text.startIndex, to: phone.lowerBound)
        #expect(read.boxes(utf8: start..<(start + 3)) == [read.lines[1].box])
        #expect(read.boxes(utf8: 0..<text.utf8.count) == read.lines.map(\.box))
    }

    @Test("recognition stops at its deadline and keeps what it read")
    func deadline() throws {
        let reader = try recognizer()
        let lines = (0..<60).map { "第\($0)行 客户您好，这是一段很长的说明文字 电话 1380013\(String(format: "%04d", $0))" }
        let image = try render(lines, size: 28, width: 1400)
        let started = Date()
        let stopped = reader.read(image, milliseconds: 1)
        let quick = Date().timeIntervalSince(started)
        let full = reader.read(image, milliseconds: 60_000)
        let whole = Date().timeIntervalSince(started) - quick
        #expect(stopped.stoppedAtDeadline, "1 ms is not enough for 60 lines")
        #expect(stopped.lines.filter { !$0.text.isEmpty }.count < full.lines.count)
        #expect(!full.stoppedAtDeadline && full.lines.count >= 55, "\(full.lines.count) lines")
        #expect(quick < whole, "stopped after \(quick) s, the whole page takes \(whole) s")
    }

    @Test("a mostly dark image is inverted for reading; a light one is left as it is")
    func darkOnLight() {
        let dark = GrayImage(width: 4, height: 1, pixels: [20, 30, 240, 25])
        #expect(TextRecognizer.darkOnLight(dark).pixels == [235, 225, 15, 230])
        let light = GrayImage(width: 4, height: 1, pixels: [250, 240, 10, 245])
        #expect(TextRecognizer.darkOnLight(light).pixels == light.pixels)
    }

    @Test("blank and tiny images read as no text")
    func nothing() throws {
        let reader = try recognizer()
        #expect(reader.read(GrayImage(width: 1, height: 1, pixels: [255]), milliseconds: 1_000).lines.isEmpty)
        #expect(
            reader.read(
                GrayImage(width: 300, height: 200, pixels: .init(repeating: 255, count: 60_000)), milliseconds: 1_000
            )
            .lines.isEmpty)
        #expect(reader.read(GrayImage(width: 10, height: 10, pixels: []), milliseconds: 1_000).lines.isEmpty)
    }

    @Test("languages that are not installed are refused with what to install")
    func missingLanguage() {
        #expect {
            _ = try TextRecognizer(languages: "xx_nosuchlanguage")
        } throws: {
            "\($0)".contains("tesseract-ocr-chi-sim") && "\($0)".contains("xx_nosuchlanguage")
        }
        #expect(throws: OCRUnavailable.self) { _ = try TextRecognizer(languages: "chi_sim; rm -rf /") }
    }

    @Test("OCR's look-alike letters are put back in a second reading, one character for one")
    func lookAlikes() {
        #expect(ImageText.lookAlikeReading("vx: 1i_9929 私聊我") == "vx: li_9929 私聊我")
        #expect(ImageText.lookAlikeReading("加我微信1i662742 详聊") == "加我微信li662742 详聊")
        #expect(ImageText.lookAlikeReading("微信 heIlo88") == "微信 hello88")
        // Numbers, amounts, all-capital words and ordinary ordinals stay as they are.
        #expect(ImageText.lookAlikeReading("电话 138 1234 5678") == nil)
        #expect(ImageText.lookAlikeReading("第1名 100元 IPHONE 15") == nil)
        #expect(
            ImageText.lookAlikeReading("1st") == "lst", "a leading 1 before a letter in a lowercase run is read as l")
        let text = "vx: 1i_9929 私聊我"
        #expect(ImageText.lookAlikeReading(text)?.utf8.count == text.utf8.count, "spans carry over")
    }

    @Test("the spaces Tesseract puts between Han characters go; those between digits and Latin words stay")
    func tidy() {
        #expect(TextRecognizer.tidy("加 我 微 信 hack_zw88 详 聊\n") == "加我微信 hack_zw88 详聊")
        #expect(TextRecognizer.tidy("电话 138 1234 5678") == "电话 138 1234 5678")
        #expect(TextRecognizer.tidy("  好 的 ， 谢 谢  ") == "好的，谢谢")
        #expect(TextRecognizer.tidy("call me at 5 pm") == "call me at 5 pm")
    }
}

/// The helper process the image path decodes in: a crash, a hang and garbage each come back as
/// a failure with the reason, and the next image gets a fresh helper.
@Suite("Media: the isolated image decoder")
struct IsolatedImageExaminerTests {
    let request = ImageRequest(path: "/nonexistent/image.png")

    @Test("a helper that dies on an image is reported as a crash with its signal")
    func crash() {
        let examiner = IsolatedImageExaminer(command: ["/bin/sh", "-c", "read line; kill -SEGV $$"])
        #expect(examiner.examine(request, seconds: 10) == .failure(.crashed("signal 11")))
        // A new helper is started for the next image.
        #expect(examiner.examine(request, seconds: 10) == .failure(.crashed("signal 11")))
    }

    @Test("a helper still at it after the limit is killed")
    func hang() {
        let examiner = IsolatedImageExaminer(command: ["/bin/sh", "-c", "read line; exec sleep 60"])
        let started = Date()
        #expect(examiner.examine(request, seconds: 1) == .failure(.timedOut(seconds: 1)))
        #expect(Date().timeIntervalSince(started) < 10, "killed, not waited for")
    }

    @Test("a helper that ended between two images is replaced, and the image examined")
    func replaced() throws {
        let report = ImageReport(sha256: "cd")
        let line = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        let examiner = IsolatedImageExaminer(command: ["/bin/sh", "-c", "read line; printf '%s\\n' '\(line)'; exit 0"])
        #expect(examiner.examine(request, seconds: 10) == .success(report))
        usleep(300_000)  // the helper has exited by now; the next image must not pay for it
        #expect(examiner.examine(request, seconds: 10) == .success(report))
        let quitter = IsolatedImageExaminer(command: ["/bin/true"])
        guard case .failure = quitter.examine(request, seconds: 10) else {
            Issue.record("a helper that never answers is a failure")
            return
        }
    }

    @Test("an unreadable report and a helper that cannot start are failures with the reason")
    func garbage() {
        let examiner = IsolatedImageExaminer(command: ["/bin/sh", "-c", "read line; echo '{not json'; exec sleep 60"])
        #expect(examiner.examine(request, seconds: 10) == .failure(.crashed("an unreadable report")))
        let missing = IsolatedImageExaminer(command: ["/nonexistent/chatwarden", "media", "helper"])
        guard case .failure(.unavailable) = missing.examine(request, seconds: 10) else {
            Issue.record("a helper that cannot start is unavailable")
            return
        }
    }

    @Test("reports travel as JSON lines: what the helper writes is what the caller gets")
    func reports() throws {
        var report = ImageReport(sha256: "ab")
        report.codes = [FoundCode(payload: "wxp://x", box: "1,2,3,4")]
        report.text = ImageText(lines: [
            TextLine(text: "电话 138", box: ImageBox(x: 1, y: 2, width: 3, height: 4), confidence: 90)
        ])
        let line = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        let examiner = IsolatedImageExaminer(command: [
            "/bin/sh", "-c", "while read line; do printf '%s\\n' '\(line)'; done",
        ])
        #expect(examiner.examine(request, seconds: 10) == .success(report))
        #expect(examiner.examine(request, seconds: 10) == .success(report), "the helper serves image after image")
    }
}
