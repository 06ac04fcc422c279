import Testing
import Support
import Vocabulary
@testable import Archive

@Suite("WeCom archive decoding")
struct DecoderTests {
    let decoder = WeComDecoder()
    let position = SourcePosition(file: "a.jsonl", line: 7, offset: 1234, length: 0)

    func decode(_ line: String) -> Result<ArchiveMessage, DecodeError> { decoder.decode(line, at: position) }

    func message(_ line: String) throws -> ArchiveMessage {
        switch decode(line) {
        case .success(let m): return m
        case .failure(let e): throw e
        }
    }

    func envelope(_ type: String, _ payload: String, action: String = "send", room: String = "") -> String {
        #"{"msgid":"m1","action":"\#(action)","from":"zhangwei","tolist":["wmAAAABBBBCCCCDDDDEEEE"],"roomid":"\#(room)","msgtime":1795136400123,"msgtype":"\#(type)","\#(type)":\#(payload)}"#
    }

    @Test("a text message keeps every envelope field and its position")
    func text() throws {
        let m = try message(envelope("text", #"{"content":"你好\n加我"}"#))
        #expect(m.msgid == "m1")
        #expect(m.action == .send)
        #expect(m.from == "zhangwei")
        #expect(m.tolist == ["wmAAAABBBBCCCCDDDDEEEE"])
        #expect(m.roomid == "")
        #expect(m.msgtime == 1_795_136_400_123)
        #expect(m.content == .text("你好\n加我"))
        #expect(m.source == position)
        #expect(m.senderKind == .staff)
        #expect(ParticipantKind(id: "wmAAAABBBBCCCCDDDDEEEE") == .customer)
        #expect(ParticipantKind(id: "wbAAAABBBBCCCCDDDDEEEE") == .robot)
        #expect(!m.isGroup)
    }

    @Test("every listed message type decodes to its payload")
    func allTypes() throws {
        #expect(
            try message(envelope("revoke", #"{"pre_msgid":"old1"}"#, action: "recall")).content
                == .revoke(preMsgid: "old1"))
        #expect(try message(envelope("revoke", #"{"pre_msgid":"old1"}"#, action: "recall")).action == .recall)
        #expect(
            try message(envelope("image", #"{"md5sum":"abc","filesize":4777,"sdkfileid":"x"}"#)).content
                == .image(md5: "abc", size: 4777, sdkfileid: "x"))
        #expect(
            try message(envelope("voice", #"{"md5sum":"v","voice_size":100,"play_length":12}"#)).content
                == .voice(md5: "v", seconds: 12))
        #expect(
            try message(envelope("video", #"{"md5sum":"v","filesize":100,"play_length":30}"#)).content
                == .video(md5: "v", seconds: 30))
        #expect(try message(envelope("emotion", #"{"type":1,"md5sum":"e"}"#)).content == .emotion(md5: "e"))
        #expect(
            try message(envelope("file", #"{"md5sum":"f","filename":"报价单.xlsx","fileext":"xlsx","filesize":2048}"#))
                .content
                == .file(name: "报价单.xlsx", ext: "xlsx", size: 2048))
        #expect(
            try message(envelope("card", #"{"corpname":"某公司","userid":"lisi"}"#)).content
                == .card(corpName: "某公司", userID: "lisi"))
        #expect(
            try message(
                envelope("link", #"{"title":"T","description":"D","link_url":"https://x.cn/a","image_url":"i"}"#)
            ).content
                == .link(title: "T", description: "D", url: "https://x.cn/a"))
        #expect(
            try message(envelope("weapp", #"{"title":"T","description":"D","username":"gh_1@app","displayname":"商城"}"#))
                .content
                == .weapp(title: "T", description: "D", appName: "商城"))
        #expect(
            try message(
                envelope("location", #"{"longitude":1.5,"latitude":2.5,"address":"人民路","title":"店","zoom":15}"#)
            ).content
                == .location(title: "店", address: "人民路"))
        #expect(
            try message(envelope("redpacket", #"{"type":1,"wish":"恭喜发财","totalcnt":3,"totalamount":3000}"#)).content
                == .redPacket(wish: "恭喜发财", totalCount: 3, totalAmountCents: 3000))
        #expect(
            try message(envelope("external_redpacket", #"{"type":1,"wish":"w","totalcnt":1,"totalamount":88}"#)).content
                == .redPacket(wish: "w", totalCount: 1, totalAmountCents: 88))
        #expect(
            try message(envelope("agree", #"{"userid":"wmX","agree_time":1}"#)).content
                == .consent(agreed: true, userID: "wmX"))
        let record = try message(
            envelope(
                "chatrecord", #"{"title":"聊天记录","item":[{"type":"ChatRecordText","content":"{\"content\":\"加我微信\"}"}]}"#
            ))
        #expect(record.content == .chatRecord(title: "聊天记录", text: "加我微信"))
        #expect(record.scannableText.contains("加我微信"))
    }

    @Test("a switch record has time and user and no msgtype")
    func switchRecord() throws {
        let m = try message(#"{"msgid":"s1","action":"switch","time":1554119421840,"user":"XuJinSheng"}"#)
        #expect(m.action == .switchEnterprise)
        #expect(m.from == "XuJinSheng")
        #expect(m.msgtime == 1_554_119_421_840)
        #expect(m.content == .none)
    }

    @Test("an unknown type is kept with its raw JSON, never dropped")
    func unknownType() throws {
        let m = try message(envelope("sphfeed", #"{"feed_type":4,"sph_name":"视频号"}"#))
        #expect(m.msgtype == "sphfeed")
        #expect(m.content == .other(rawJSON: #"{"feed_type":4,"sph_name":"视频号"}"#))
    }

    @Test("group messages carry the room, and a conversation key independent of direction")
    func conversation() throws {
        let g = try message(envelope("text", #"{"content":"hi"}"#, room: "wrRoom1"))
        #expect(g.isGroup)
        #expect(g.conversationKey == "wrRoom1")
        let a = try message(
            #"{"msgid":"1","action":"send","from":"a","tolist":["b"],"roomid":"","msgtime":1,"msgtype":"text","text":{"content":"x"}}"#
        )
        let b = try message(
            #"{"msgid":"2","action":"send","from":"b","tolist":["a"],"roomid":"","msgtime":2,"msgtype":"text","text":{"content":"y"}}"#
        )
        #expect(a.conversationKey == b.conversationKey)
    }

    @Test(
        "malformed lines fail with a reason, the field and the column",
        arguments: [
            (#"{"msgid":"m1","action":"send""#, "invalid JSON", nil as String?),
            (
                #"{"action":"send","from":"a","msgtime":1,"msgtype":"text","text":{"content":"x"}}"#, "message id",
                "msgid"
            ),
            (
                #"{"msgid":"m","action":"send","from":"a","msgtime":"soon","msgtype":"text","text":{"content":"x"}}"#,
                "milliseconds", "msgtime"
            ),
            (
                #"{"msgid":"m","action":"send","from":"a","msgtime":1,"msgtype":"text","text":{}}"#, "text.content",
                "text.content"
            ),
            (
                #"{"msgid":"m","action":"send","from":"a","msgtime":1,"msgtype":"revoke","revoke":{}}"#, "pre_msgid",
                "revoke.pre_msgid"
            ),
            (
                #"{"msgid":"m","action":"send","from":"a","tolist":"b","msgtime":1,"msgtype":"text","text":{"content":"x"}}"#,
                "not a list", "tolist"
            ),
            (#"[1,2,3]"#, "not an object", nil),
            (#"{"seq":1,"msgid":"","encrypt_random_key":"k","encrypt_chat_msg":"c"}"#, "encrypted", "encrypt_chat_msg"),
        ])
    func malformed(line: String, reason: String, field: String?) {
        guard case .failure(let error) = decode(line) else {
            Issue.record("\(line) must not decode")
            return
        }
        #expect(error.reason.contains(reason), "\(error)")
        #expect(error.field == field)
    }

    @Test("JSON errors give the byte column")
    func jsonColumn() {
        guard case .failure(let error) = decode(#"{"msgid":"m1",,}"#) else {
            Issue.record("must fail")
            return
        }
        #expect(error.column == 15)
    }

    @Test("invalid UTF-8 inside a string is rejected with its column")
    func invalidUTF8() {
        var bytes = Array(
            #"{"msgid":"m1","action":"send","from":"a","msgtime":1,"msgtype":"text","text":{"content":"ab"#.utf8)
        let column = bytes.count + 1
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}}"#.utf8)
        let result = bytes.withUnsafeBufferPointer { decoder.decode($0, at: position) }
        guard case .failure(let error) = result else {
            Issue.record("invalid UTF-8 must not decode")
            return
        }
        #expect(error.reason.contains("invalid UTF-8"))
        #expect(error.column == column)
    }

    @Test("nesting is bounded: a hostile line cannot exhaust the stack")
    func nestingBound() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let line = #"{"msgid":"m","x":"# + deep + "}"
        guard case .failure(let error) = decode(line) else {
            Issue.record("100,000 levels of nesting must be rejected")
            return
        }
        #expect(error.reason.contains("nesting"))
    }

    @Test("escapes, surrogate pairs and numbers parse as JSON says")
    func jsonDetails() throws {
        let value = try JSONParser.parse(
            #"{"a":"\u52a0\ud83d\ude00\n\"x\"","b":-12,"c":1.5e3,"d":[true,false,null],"e":9223372036854775807}"#)
        #expect(value["a"] == .string("加😀\n\"x\""))
        #expect(value["b"] == .integer(-12))
        #expect(value["c"] == .double(1500))
        #expect(value["d"] == .array([.bool(true), .bool(false), .null]))
        #expect(value["e"] == .integer(Int64.max))
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":01}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"a\":\"tab\there\"}") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1} x"#) }
    }

    @Test("writing JSON escapes control characters and round-trips")
    func jsonWrite() throws {
        let value = JSONValue.object([("t", .string("a\u{1B}[31m\n\u{2028}\"")), ("n", .integer(5))])
        let text = value.jsonText
        #expect(!text.contains("\u{1B}"))
        #expect(!text.contains("\n"))
        #expect(try JSONParser.parse(text) == value)
    }
}

@Suite("Generic JSONL through a field mapping")
struct MappedDecoderTests {
    @Test("mapped fields, nested paths, seconds converted to milliseconds")
    func mapped() throws {
        let mapping = FieldMapping(
            msgid: "id", from: "user.id", text: "body", msgtime: "ts", tolist: "to", roomid: "chat.id",
            timeInSeconds: true)
        let decoder = MappedDecoder(mapping: mapping)
        let line =
            #"{"id":42,"user":{"id":"wmCustomer0000000001"},"body":"加我微信","ts":1795136400,"to":"zhangwei","chat":{"id":"wrRoom"}}"#
        guard case .success(let m) = decoder.decode(line, at: SourcePosition(file: "x", line: 1, offset: 0, length: 0))
        else {
            Issue.record("must decode")
            return
        }
        #expect(m.msgid == "42")
        #expect(m.from == "wmCustomer0000000001")
        #expect(m.content == .text("加我微信"))
        #expect(m.msgtime == 1_795_136_400_000)
        #expect(m.tolist == ["zhangwei"])
        #expect(m.roomid == "wrRoom")
        #expect(m.senderKind == .customer)
    }

    @Test("a mapped line without the id field names the mapped path")
    func missing() {
        let decoder = MappedDecoder(mapping: FieldMapping(msgid: "meta.id"))
        guard
            case .failure(let e) = decoder.decode(
                #"{"from":"a","time":1,"text":"x"}"#, at: SourcePosition(file: "x", line: 1, offset: 0, length: 0))
        else {
            Issue.record("must fail")
            return
        }
        #expect(e.field == "meta.id")
    }
}
