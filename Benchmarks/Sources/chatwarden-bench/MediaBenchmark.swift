import Foundation
import Media

/// `make bench BENCH=media`: the image path (issue 21). QR decoding rate (read + decode, in
/// process) on images made with qrencode at two sizes; OCR rate and recall on rendered
/// screenshots (ScreenshotBenchmark); and, through the release daemon, the
/// append-to-alert latency of text messages at a steady rate without and with a burst of image
/// messages arriving at the same time (the image worker runs beside the ingest loop).
enum MediaBenchmark {
    static func run(
        binary: String, data: String, screenshotsOnly: Bool = false, rate: Int = 500, seconds: Int = 10,
        images: Int = 2_000
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/qrencode") else {
            throw BenchError("qrencode is missing (apt-get install qrencode)")
        }
        let dir = NSTemporaryDirectory() + "cw-media-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/media", withIntermediateDirectories: true)
        // CHATWARDEN_BENCH_KEEP=1 keeps the images, archives and stores to look at afterwards.
        let keep = ProcessInfo.processInfo.environment["CHATWARDEN_BENCH_KEEP"] != nil
        defer { if keep { print("kept: \(dir)") } else { try? FileManager.default.removeItem(atPath: dir) } }
        // Images: payment codes at 8 and 24 pixels per module (about 300 and 900 pixels wide).
        var samples: [(String, [UInt8])] = []
        for (i, scale) in [8, 24].enumerated() {
            let path = dir + "/sample\(i).png"
            _ = Bench.shell("/usr/bin/qrencode -s \(scale) -o \(path) 'wxp://f2f0Bench\(i)PaymentCode0123456789'")
            samples.append(("\(scale) px/module", [UInt8](FileManager.default.contents(atPath: path) ?? Data())))
        }
        var rows: [[String]] = []
        for (name, bytes) in samples {
            let image = try ImageReader.read(bytes: bytes)
            let (seconds, found) = Bench.best {
                var found = 0
                for _ in 0..<50 { found += QRDecoder.decode(try! ImageReader.read(bytes: bytes)).count }
                return found
            }
            rows.append([name, "\(image.width)×\(image.height)", Bench.f(50 / seconds, 0), "\(found / 50)"])
        }
        Bench.table(["QR image", "pixels", "images/s (read + decode)", "codes"], rows)

        // Text in images: real conversation lines (LCCC, KdConv) rendered as screenshots.
        let corpus =
            (Bench.lines(data + "/corpus/lccc/lccc_toy_utterances.despaced.txt")
            + Bench.lines(data + "/corpus/kdconv/kdconv_dev_test_utterances.txt"))
            .filter { (6...24).contains($0.count) }
        guard !corpus.isEmpty else { throw BenchError("no conversation lines under \(data)/corpus") }
        try ScreenshotBenchmark.rate(dir: dir, corpus: corpus)
        try ScreenshotBenchmark.quality(binary: binary, dir: dir, corpus: corpus)
        if screenshotsOnly { return }

        // The daemon: text at `rate` messages/s for `seconds`, then again with `images` image
        // messages appended at the start.
        for i in 0..<images {
            let source = dir + "/sample\(i % 2).png"
            try FileManager.default.copyItem(atPath: source, toPath: dir + "/media/m\(i).png")
        }
        try FileManager.default.createDirectory(atPath: dir + "/archive", withIntermediateDirectories: true)
        let process = try Bench.daemon(
            binary: binary, directory: dir, extra: "[media]\ndir = \"\(dir)/media\"\npaths = [\"{md5sum}.png\"]\n")
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let archive = dir + "/archive/chat.jsonl"
        _ = FileManager.default.createFile(atPath: archive, contents: nil)
        let writer = FileHandle(forWritingAtPath: archive)!
        let shared = Shared()
        let reader = Bench.alertLogReader(path: dir + "/state/alerts.jsonl", shared: shared)
        reader.start()
        usleep(500_000)
        func text(_ i: Int, _ prefix: String) -> String {
            #"{"msgid":"\#(prefix)\#(i)","action":"send","from":"zhangwei","tolist":["wmCustomer000000000001"],"roomid":"","msgtime":\#(1_795_136_400_000 + Int64(i)),"msgtype":"text","text":{"content":"亲，加我微信详聊，第\#(i)号"}}"#
                + "\n"
        }
        func image(_ i: Int) -> String {
            #"{"msgid":"img\#(i)","action":"send","from":"liuyang01","tolist":["wmCustomer000000000002"],"roomid":"","msgtime":\#(1_795_136_400_000 + Int64(i)),"msgtype":"image","image":{"md5sum":"m\#(i)","filesize":1000,"sdkfileid":"x"}}"#
                + "\n"
        }
        func steady(_ prefix: String, burst: String?) -> (latencies: [Double], imagesDone: Double?) {
            var written: [String: Double] = [:]
            let start = Bench.now()
            if let burst { writer.write(Data(burst.utf8)) }
            let perTick = rate / 100
            var i = 0
            while i < rate * seconds {
                let wait = start + Double(i / perTick) * 0.01 - Bench.now()
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                writer.write(Data((i..<i + perTick).map { text($0, prefix) }.joined().utf8))
                let t = Bench.now()
                for k in i..<i + perTick { written["\(prefix)\(k)"] = t }
                i += perTick
            }
            let deadline = Bench.now() + 120
            var imagesDone: Double? = nil
            while Bench.now() < deadline {
                shared.lock.lock()
                let texts = written.keys.filter { shared.seen[$0] != nil }.count
                let imageTimes = (0..<images).compactMap { shared.seen["img\($0)"] }
                shared.lock.unlock()
                if burst != nil, imageTimes.count == images, imagesDone == nil {
                    imagesDone = imageTimes.max()! - start
                }
                if texts == written.count && (burst == nil || imagesDone != nil) { break }
                usleep(50_000)
            }
            shared.lock.lock()
            let latencies = written.compactMap { id, t in shared.seen[id].map { ($0 - t) * 1000 } }.sorted()
            shared.lock.unlock()
            return (latencies, imagesDone)
        }
        let quiet = steady("q", burst: nil)
        let busy = steady("b", burst: (0..<images).map(image).joined())
        shared.lock.lock()
        shared.stop = true
        shared.lock.unlock()
        writer.closeFile()
        func describe(_ l: [Double]) -> String {
            "p50 \(Bench.f(Bench.percentile(l, 50))) ms, p99 \(Bench.f(Bench.percentile(l, 99))) ms (\(l.count) alerts)"
        }
        print("text alerts at \(rate) messages/s for \(seconds) s, no images: \(describe(quiet.latencies))")
        print(
            "the same with \(images) image messages (each a payment code) arriving at once: \(describe(busy.latencies)); all \(images) images' alerts in \(busy.imagesDone.map { Bench.f($0) + " s = " + Bench.f(Double(images) / $0, 0) + " images/s" } ?? "— (not all within 120 s)")"
        )
    }
}
