import Foundation
import Testing
@testable import Media

/// Images the tests make with Debian's `qrencode` (installed by `make test`): each payload kind
/// decoded and classified; corrupt, truncated and oversized images skipped with a reason.
@Suite("Media: QR codes in images")
struct MediaTests {
    static let qrencode = ["/usr/bin/qrencode", "/usr/local/bin/qrencode"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "cw-media-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A PNG of `payload` as a QR code (`size` pixels per module).
    func qr(_ payload: String, in dir: String, size: Int = 6) throws -> String {
        let tool = try #require(Self.qrencode, "qrencode is missing: `make test` installs Debian's qrencode")
        let path = dir + "/" + UUID().uuidString + ".png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-s", String(size), "-o", path, payload]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return path
    }

    @Test(
        "each payload kind is decoded and classified",
        arguments: [
            ("https://u.wechat.com/EAbCdEfGhIjKlMnOpQrStUv", QRPayloadKind.wechatContact),
            ("https://weixin.qq.com/g/AbCdEfGhIjKlMnOp", .wechatGroup),
            ("wxp://f2f0AbCdEfGhIjKlMnOpQrStUvWxYz0123456", .wechatPay),
            ("https://qr.alipay.com/fkx12345abcdefghij", .alipay),
            ("https://work.weixin.qq.com/u/vc1234567890abcdef", .wecomContact),
            ("https://example.com/活动?id=1", .url),
            ("加我微信 abc_12345 电话13800138000", .text),
        ])
    func payloads(_ payload: String, _ kind: QRPayloadKind) throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = try ImageReader.read(try qr(payload, in: dir))
        let codes = QRDecoder.decode(image)
        #expect(codes.map(\.payload) == [payload])
        #expect(codes.first?.kind == kind)
        #expect(codes.first?.points.count == 4, "where in the image")
        let box = codes.first?.box ?? ""
        #expect(box.split(separator: ",").count == 4, "where in the image: \(box)")
    }

    @Test("corrupt, truncated, oversized and missing images are skipped with a reason, nothing crashes")
    func badImages() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try qr("wxp://f2f0abc", in: dir, size: 10)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))

        let truncated = dir + "/truncated.png"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        do {
            let image = try ImageReader.read(truncated)
            #expect(QRDecoder.decode(image).isEmpty, "half an image decodes to nothing, or is refused")
        } catch {
            #expect(error.description.contains("not a readable image"))
        }

        let garbage = dir + "/garbage.jpg"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: ImageProblem.self) { try ImageReader.read(garbage) }

        let empty = dir + "/empty.png"
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: ImageProblem.self) { try ImageReader.read(empty) }

        #expect(throws: ImageProblem.missing(dir + "/nothing.png")) { try ImageReader.read(dir + "/nothing.png") }
        #expect(throws: ImageProblem.self) { try ImageReader.read(good, limits: ImageLimits(maxBytes: 10)) }
        do {
            _ = try ImageReader.read(good, limits: ImageLimits(maxPixels: 1_000))
            Issue.record("an image above the pixel limit was decoded")
        } catch {
            guard case .tooManyPixels(let w, let h, _) = error else {
                Issue.record("wrong reason: \(error)")
                return
            }
            #expect(w > 30 && h > 30, "the header's size is read before any decoding")
        }
        // Payloads without valid UTF-8 are read as GB 18030 (older Chinese generators).
        #expect(QRDecoder.text([0xCE, 0xA2, 0xD0, 0xC5]) == "微信")
        #expect(QRDecoder.text(Array("加微信".utf8)) == "加微信")
        // Random bytes in memory (as the fuzz target feeds them) are refused, never a crash.
        for seed in 0..<200 {
            var bytes = [UInt8](repeating: 0, count: 64 + seed)
            for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: (i &* 2_654_435_761) ^ (seed &* 97)) }
            if seed % 3 == 0 { bytes.replaceSubrange(0..<8, with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) }
            if let image = try? ImageReader.read(bytes: bytes) { _ = QRDecoder.decode(image) }
        }
        // A blank image holds no code.
        #expect(
            QRDecoder.decode(GrayImage(width: 64, height: 64, pixels: [UInt8](repeating: 255, count: 64 * 64))).isEmpty)
    }
}

@Suite("Media: finding the image files")
struct MediaLocatorTests {
    @Test("templates are filled from the message; hostile fields never leave the directory")
    func candidates() throws {
        let locator = MediaLocator(
            directory: "/srv/media", templates: ["{date}/{md5sum}.jpg", "{msgid}.png", "{sdkfileid}"])
        let at = Int64(1_795_136_435_901)  // 2026-11-20 in UTC and in Asia/Shanghai
        let paths = locator.candidates(md5sum: "0123abcd", sdkfileid: "Cgc2YT/k+Y=", msgid: "m_1", msgtime: at)
        #expect(paths.count == 3)
        #expect(paths[0].hasPrefix("/srv/media/2026-11-2") && paths[0].hasSuffix("/0123abcd.jpg"))
        #expect(paths[1] == "/srv/media/m_1.png")
        #expect(paths[2] == "/srv/media/Cgc2YT_k+Y=")
        let hostile = locator.candidates(md5sum: "../../etc/passwd", sdkfileid: "..", msgid: "a/../b", msgtime: at)
        #expect(hostile.allSatisfy { !$0.contains("..") })
        #expect(hostile.isEmpty, "\(hostile)")
    }

    @Test("the first existing file is found; a missing one is nil, not an error")
    func locate() throws {
        let dir = NSTemporaryDirectory() + "cw-locate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let locator = MediaLocator(directory: dir)
        #expect(locator.locate(md5sum: "feedbeef", sdkfileid: "", msgid: "m1", msgtime: 0) == nil)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/feedbeef.png"))
        #expect(locator.locate(md5sum: "feedbeef", sdkfileid: "", msgid: "m1", msgtime: 0) == dir + "/feedbeef.png")
    }
}
