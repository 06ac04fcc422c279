import Foundation
import TestSupport
import Testing

/// The image path (issue 21) on the built binary, on SQLite and PostgreSQL: image messages wait
/// as media jobs; `media run` finds the files by [media] templates, decodes QR codes into alerts
/// with the image's SHA-256 and where in it, runs payloads through the text detectors; missing
/// and broken images are counted and skipped with a reason; running again adds nothing.
@Suite("End to end: QR codes in archived images", .serialized)
struct MediaEndToEndTests {
    @Test(
        "payment codes and contact cards in images raise alerts; missing and broken images do not stop anything",
        arguments: StoreUnderTest.allCases)
    func images(_ kind: StoreUnderTest) throws {
        let qrencode = try #require(
            ["/usr/bin/qrencode"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "qrencode is missing: `make test` installs Debian's qrencode")
        let state = StateDir()
        let store = try kind.storeArguments()
        let media = state.path + "/media"
        try FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true)
        for (md5, payload) in [("aaaa1111", "wxp://f2f0PaymentCode123"), ("bbbb2222", "加我微信 hidden_qr88 私聊")] {
            _ = try runTool(qrencode, ["-s", "6", "-o", media + "/\(md5).png", payload])
        }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: media + "/cccc3333.png"))
        // A chat screenshot: a phone number and a bank card number as text in the image.
        let rendered = try runTool(
            "/usr/bin/python3",
            [
                Binary.root + "/scripts/render-text.py", media + "/eeee5555.png", "--style", "bubble", "好的，下单前先核对一下",
                "直接打我手机 139 8765 4321", "转到卡号 6222 0212 3456 7890 128",
            ])
        try #require(
            rendered.status == 0,
            "rendering needs python3-pil and fonts-wqy-microhei (`make test` installs them): \(rendered.stderr)")
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let lines = [
            ("img1", "aaaa1111"), ("img2", "bbbb2222"), ("img3", "cccc3333"), ("img4", "dddd4444"),
            ("img5", "eeee5555"),
        ]
        .enumerated().map {
            i, item in
            #"{"msgid":"\#(item.0)","action":"send","from":"zhangwei","tolist":["wmCustomer00000000000001"],"roomid":"","msgtime":\#(now - Int64(5 - i) * 1000),"msgtype":"image","image":{"md5sum":"\#(item.1)","filesize":1000,"sdkfileid":"Cgc\#(i)"}}"#
        }
        let archive = state.path + "/archive.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: archive, atomically: true, encoding: .utf8)
        let config = state.path + "/chatwarden.toml"
        try "[media]\ndir = \"\(media)\"\npaths = [\"{md5sum}.png\"]\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        let common = ["--config", config] + store
        try Binary.run(["scan", "--quiet", archive] + common, environment: env)
        #expect(try Binary.run(["media", "status"] + common, environment: env).stdout.contains("pending: 5"))

        let run = try Binary.run(["media", "run"] + common, environment: env)
        #expect(run.status == 1, "alerts were raised: \(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.contains("3 examined") && run.stdout.contains("1 not found yet")
                && run.stdout.contains("1 skipped"), "\(run.stdout)")
        let alerts = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json"] + common, environment: env).stdout)
        let pay = try #require(alerts.first { $0["rule"] as? String == "media.qr.wechat-pay" })
        #expect(pay["severity"] as? String == "critical" && pay["msgid"] as? String == "img1")
        #expect(
            (pay["details"] as? String)?.contains("sha256 ") == true
                && (pay["details"] as? String)?.contains(media + "/aaaa1111.png") == true)
        let fromText = alerts.filter { $0["msgid"] as? String == "img2" }.compactMap { $0["rule"] as? String }
        #expect(
            fromText.contains("luring") && fromText.contains("contact.wechat"),
            "the payload went through the text detectors: \(fromText)")
        // The screenshot's text went through them too, each alert naming the line's box.
        let screenshot = alerts.filter { $0["msgid"] as? String == "img5" }
        let phone = try #require(
            screenshot.first { $0["rule"] as? String == "contact.phone" }, "\(screenshot.map { $0["rule"] ?? "" })")
        #expect(screenshot.contains { $0["rule"] as? String == "contact.bankcard" })
        let details = phone["details"] as? String ?? ""
        #expect(
            details.contains("text read in image \(media)/eeee5555.png (sha256 ")
                && details.range(of: #"\) at \d+,\d+,\d+,\d+: "#, options: .regularExpression) != nil, "\(details)")
        #expect((phone["text"] as? String)?.contains("直接打我手机") == true, "the text read is the evidence")
        let screenshotShow = try Binary.run(["alerts", "show", phone["id"] as! String] + common, environment: env)
            .stdout
        #expect(screenshotShow.contains("line(s) of text"), "\(screenshotShow)")
        let status = try Binary.run(["media", "status"] + common, environment: env).stdout
        #expect(
            status.contains("done: 3") && status.contains("missing: 1") && status.contains("skipped: 1"), "\(status)")

        let show = try Binary.run(["alerts", "show", pay["id"] as! String] + common, environment: env).stdout
        #expect(
            show.contains("image:    \(media)/aaaa1111.png  sha256 ")
                && show.contains("(done: 1 QR code(s): wechat-pay; "), "\(show)")
        let coverage = try Binary.run(["coverage", "--format", "json"] + common, environment: env).stdout
        #expect(coverage.contains("\"images_not_found\":1") && coverage.contains("\"images_skipped\":1"), "\(coverage)")

        let again = try Binary.run(["media", "run"] + common, environment: env)
        #expect(again.status == 0 && again.stdout.contains("0 new alert(s)"), "nothing twice: \(again.stdout)")
        #expect(try Binary.run(["verify"] + common, environment: env).status == 0)
    }
}

@Suite("End to end: an image that takes too long", .serialized)
struct RunawayImageTests {
    @Test("a decode past [media] decode_seconds is killed and the image skipped; the next image is examined")
    func runaway() throws {
        let state = StateDir()
        let media = state.path + "/media"
        try FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true)
        // 3000×3000 pixels of noise: the page layout analysis before Tesseract's own deadline
        // takes about 3 s on the machine this was written on (longer on slower ones).
        let noise = try runTool(
            "/usr/bin/python3",
            [
                "-c",
                "from PIL import Image; Image.effect_noise((3000, 3000), 60).convert('L').save('\(media)/aaaa0001.png')",
            ])
        try #require(noise.status == 0, "python3-pil is missing (`make test` installs it): \(noise.stderr)")
        let screenshot = try runTool(
            "/usr/bin/python3", [Binary.root + "/scripts/render-text.py", media + "/bbbb0002.png", "手机 139 8765 4321"])
        try #require(screenshot.status == 0, "\(screenshot.stderr)")
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let lines = ["aaaa0001", "bbbb0002"].enumerated().map { i, md5 in
            #"{"msgid":"run\#(i)","action":"send","from":"zhangwei","tolist":["wmCustomer00000000000001"],"roomid":"","msgtime":\#(now + Int64(i)),"msgtype":"image","image":{"md5sum":"\#(md5)","filesize":1000,"sdkfileid":"Cgc\#(i)"}}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: state.path + "/archive.jsonl", atomically: true, encoding: .utf8)
        let config = state.path + "/chatwarden.toml"
        try "[media]\ndir = \"\(media)\"\npaths = [\"{md5sum}.png\"]\nocr_seconds = 1\ndecode_seconds = 2\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        try Binary.run(["scan", "--quiet", state.path + "/archive.jsonl", "--config", config], environment: env)
        let started = Date()
        let run = try Binary.run(["media", "run", "--config", config], environment: env)
        #expect(Date().timeIntervalSince(started) < 20, "the runaway image was stopped at its limit")
        #expect(run.stdout.contains("1 examined") && run.stdout.contains("1 skipped"), "\(run.stdout)\(run.stderr)")
        let alerts = try Binary.jsonLines(
            Binary.run(["alerts", "list", "--format", "json", "--config", config], environment: env).stdout)
        #expect(alerts.contains { $0["msgid"] as? String == "run1" && $0["rule"] as? String == "contact.phone" })
        let show = try Binary.run(["coverage", "--format", "json", "--config", config], environment: env).stdout
        #expect(show.contains("\"images_skipped\":1"), "\(show)")
        // The reason is kept with the job and shown.
        let status = try Binary.run(["media", "status", "--config", config], environment: env).stdout
        #expect(
            status.contains("run0  \(media)/aaaa0001.png: decoding took longer than 2 s and was stopped"), "\(status)")
    }
}

@Suite("End to end: the daemon's image worker", .serialized)
struct DaemonMediaTests {
    @Test("the daemon examines images on its own worker, beside the ingest loop")
    func daemonWorker() throws {
        let qrencode = try #require(
            ["/usr/bin/qrencode"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "qrencode is missing: `make test` installs Debian's qrencode")
        let state = StateDir()
        let media = state.path + "/media"
        try FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true)
        _ = try runTool(qrencode, ["-s", "6", "-o", media + "/eeee5555.png", "https://qr.alipay.com/fkx0000payme"])
        let config = try writeDaemonConfig(
            state, watch: state.path + "/archive/*.jsonl",
            extra:
                "[media]\ndir = \"\(media)\"\npaths = [\"{md5sum}.png\"]\n\n[metrics]\nlisten = \"127.0.0.1:\(freeLoopbackPort())\"\n"
        )
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let line =
            #"{"msgid":"pay1","action":"send","from":"liuyang01","tolist":["wmCustomer00000000000007"],"roomid":"","msgtime":\#(now),"msgtype":"image","image":{"md5sum":"eeee5555","filesize":900,"sdkfileid":"Cgc1"}}"#
        try (line + "\n").write(toFile: state.path + "/archive/a.jsonl", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: state.path + "/daemon.log")
        defer {
            daemon.signal(SIGTERM)
            _ = daemon.wait()
        }
        func alerts() throws -> [[String: Any]] {
            try Binary.jsonLines(Binary.run(["alerts", "list", "--format", "json", "--config", config]).stdout)
        }
        #expect(
            try eventually(timeout: 30) { try alerts().contains { $0["rule"] as? String == "media.qr.alipay" } },
            "\(daemon.log)")
        #expect(daemon.log.contains("alerts from images"))
    }
}
