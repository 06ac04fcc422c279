import Foundation
import Testing

@Suite("End to end: the compliance report", .serialized)
struct ReportEndToEndTests {
    @Test("a self-contained HTML report with its charts, rendered by headless Chromium")
    func report() throws {
        let state = StateDir()
        let env = ["CHATWARDEN_STATE_DIR": state.path]
        try Binary.run(["scan", "--quiet", "samples/"], environment: env)
        // A hostile message must come out as text, never markup.
        let hostile = state.path + "/hostile.jsonl"
        try
            #"{"msgid":"x1","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":1795200000000,"msgtype":"text","text":{"content":"<script>alert(1)</script> 加我微信 <img src=http://evil/x>"}}"#
            .appending("\n").write(toFile: hostile, atomically: true, encoding: .utf8)
        try Binary.run(["scan", "--quiet", hostile], environment: env)
        let id =
            try Binary.jsonLines(
                Binary.run(["alerts", "list", "--format", "json", "--limit", "1"], environment: env).stdout)[0]["id"]
            as! String
        try Binary.run(["alerts", "ack", id], environment: env)

        let out = state.path + "/report.html"
        let result = try Binary.run(["report", "--out", out], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        for chart in ["chart-daily", "chart-staff", "chart-conversations", "chart-turnaround"] {
            #expect(html.contains("<svg id=\"\(chart)\""), "\(chart) is in the report")
        }
        #expect(html.contains("告警后撤回的消息 (1)"), "the report is in Chinese by default")
        #expect(!html.contains("<script"), "no script, and chat text is escaped")
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("src=\"http"), "nothing fetched from the network")
        let mode = (try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as! NSNumber).intValue
        #expect(mode & 0o007 == 0)

        // Headless Chromium renders it: the DOM it builds holds the charts' bars, and the
        // screenshot is a real image.
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let browser = try #require(chromium, "Chromium is missing: `make test` installs Debian's chromium package")
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2600"]
        let dom = try runTool(browser, flags + ["--dump-dom", "file://" + out])
        #expect(dom.status == 0)
        #expect(dom.stdout.components(separatedBy: "<rect").count > 10, "bars in the rendered DOM")
        let png = state.path + "/report.png"
        let shot = try runTool(browser, flags + ["--screenshot=" + png, "file://" + out])
        #expect(shot.status == 0, "\(shot.stderr.suffix(300))")
        let image = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
        #expect(image.count > 50_000, "a page with content, not a blank one (\(image.count) bytes)")
    }
}
