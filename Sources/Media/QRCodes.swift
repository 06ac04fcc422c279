import Foundation
import CZBar

/// A code found in an image: its payload and where it is (the corners ZBar reports).
public struct DecodedCode: Sendable, Equatable {
    public var payload: String
    public var points: [(x: Int, y: Int)]
    public var kind: QRPayloadKind { QRPayloadKind(payload: payload) }

    public static func == (a: DecodedCode, b: DecodedCode) -> Bool {
        a.payload == b.payload && a.points.map(\.x) == b.points.map(\.x) && a.points.map(\.y) == b.points.map(\.y)
    }

    /// The bounding box of the code, as `x,y,w,h`.
    public var box: String {
        guard let minX = points.map(\.x).min(), let maxX = points.map(\.x).max(), let minY = points.map(\.y).min(),
            let maxY = points.map(\.y).max()
        else { return "" }
        return "\(minX),\(minY),\(maxX - minX),\(maxY - minY)"
    }
}

/// What a QR code leads to, from its payload: the cases that move a customer or money off the
/// platform, each a rule (`media.qr.<kind>`).
public enum QRPayloadKind: String, Sendable, CaseIterable {
    /// A personal WeChat contact card (`u.wechat.com`, `weixin.qq.com/r/`).
    case wechatContact = "wechat-contact"
    /// An invitation to a WeChat group (`weixin.qq.com/g/`).
    case wechatGroup = "wechat-group"
    /// A WeChat Pay payment code (`wxp://`).
    case wechatPay = "wechat-pay"
    /// An Alipay payment code (`qr.alipay.com`, `alipays://`).
    case alipay
    /// A WeCom contact, possibly of another company (`work.weixin.qq.com/u/`, `wxwork://`).
    case wecomContact = "wecom-contact"
    /// Any other web address.
    case url
    /// Anything else (text, numbers): it goes through the text detectors.
    case text

    public init(payload: String) {
        let p = payload.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        func host(_ prefix: String) -> Bool {
            p.hasPrefix("https://" + prefix) || p.hasPrefix("http://" + prefix)
        }
        if p.hasPrefix("wxp://") {
            self = .wechatPay
        } else if host("qr.alipay.com") || p.hasPrefix("alipays://") || p.hasPrefix("alipayqr://") {
            self = .alipay
        } else if host("u.wechat.com") || host("weixin.qq.com/r/") {
            self = .wechatContact
        } else if host("weixin.qq.com/g/") {
            self = .wechatGroup
        } else if host("work.weixin.qq.com/u/") || host("work.weixin.qq.com/ca/") || p.hasPrefix("wxwork://") {
            self = .wecomContact
        } else if p.hasPrefix("http://") || p.hasPrefix("https://") {
            self = .url
        } else {
            self = .text
        }
    }
}

/// QR codes through ZBar (the system's libzbar), from a grey image.
public enum QRDecoder {
    public static func decode(_ image: GrayImage) -> [DecodedCode] {
        guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height else { return [] }
        guard let scanner = zbar_image_scanner_create() else { return [] }
        defer { zbar_image_scanner_destroy(scanner) }
        // QR codes only: the other symbologies (bar codes on products) are not evidence here.
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        // The payload's bytes as they are: ZBar would otherwise guess an encoding (Shift-JIS for
        // Chinese without an ECI marker); Chinese payloads are UTF-8, else GB 18030 (below).
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1)
        guard let zimage = zbar_image_create() else { return [] }
        defer { zbar_image_destroy(zimage) }
        // 'Y800': 8-bit grey, the format ZBar scans natively.
        let y800 =
            UInt(UInt8(ascii: "Y")) | UInt(UInt8(ascii: "8")) << 8 | UInt(UInt8(ascii: "0")) << 16
            | UInt(UInt8(ascii: "0")) << 24
        zbar_image_set_format(zimage, y800)
        zbar_image_set_size(zimage, UInt32(image.width), UInt32(image.height))
        var codes: [DecodedCode] = []
        image.pixels.withUnsafeBufferPointer { buffer in
            zbar_image_set_data(zimage, buffer.baseAddress, UInt(buffer.count), nil)
            guard zbar_scan_image(scanner, zimage) > 0 else { return }
            var symbol = zbar_image_first_symbol(zimage)
            while let s = symbol {
                if let data = zbar_symbol_get_data(s) {
                    let length = Int(zbar_symbol_get_data_length(s))
                    let bytes = UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self)
                    let payload = Self.text(Array(UnsafeBufferPointer(start: bytes, count: length)))
                    let points = (0..<zbar_symbol_get_loc_size(s)).map {
                        (x: Int(zbar_symbol_get_loc_x(s, $0)), y: Int(zbar_symbol_get_loc_y(s, $0)))
                    }
                    codes.append(DecodedCode(payload: payload, points: points))
                }
                symbol = zbar_symbol_next(s)
            }
            zbar_image_set_data(zimage, nil, 0, nil)
        }
        return codes
    }

    /// A payload's text: UTF-8 when it is valid UTF-8, otherwise GB 18030 (older Chinese
    /// generators), otherwise UTF-8 with replacement characters.
    static func text(_ bytes: [UInt8]) -> String {
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        if let chinese = fromGB18030(bytes) { return chinese }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// GB 18030 → UTF-8 through the C library's iconv (nil when the bytes are not GB 18030).
    static func fromGB18030(_ bytes: [UInt8]) -> String? {
        let converter = iconv_open("UTF-8", "GB18030")
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 4)
        var inLeft = input.count, outLeft = output.count
        let ok = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                return iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1
            }
        }
        guard ok, inLeft == 0 else { return nil }
        return String(validating: output[0..<(output.count - outLeft)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
