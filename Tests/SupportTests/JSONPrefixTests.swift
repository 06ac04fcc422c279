import Foundation
import Testing
@testable import Support

/// A record cut anywhere after its first field is closed into JSON that parses, keeps what was
/// complete, and keeps the text up to the cut (issue 15: a violation in a record's first
/// megabyte is seen).
@Suite("JSON prefix closing")
struct JSONPrefixTests {
    static let record = Array(
        #"{"msgid":"m1","action":"send","from":"zhangwei","tolist":["a","b"],"roomid":"","msgtime":1795136400000,"msgtype":"text","text":{"content":"货款可以私下转账给我 \"引号\" \u52a0 end"},"n":[1,2.5,true,null]}"#
            .utf8)

    @Test("every cut after the first field closes into valid JSON that keeps the message id")
    func everyCut() throws {
        let firstField = Self.record.firstIndex(of: UInt8(ascii: ",")).map { $0 + 1 } ?? 0
        for length in firstField..<Self.record.count {
            let prefix = Array(Self.record[..<length])
            let closed = try #require(JSONPrefix.closing(prefix), "cut at \(length)")
            let value = try closed.withUnsafeBufferPointer { try JSONParser.parse($0) }
            #expect(value["msgid"]?.stringValue == "m1", "cut at \(length): \(String(decoding: closed, as: UTF8.self))")
        }
    }

    @Test("a text cut in the middle keeps what came before the cut, never half a character or half an escape")
    func textKept() throws {
        let full = String(decoding: Self.record, as: UTF8.self)
        let at = try #require(full.range(of: #"\"引号"#)).lowerBound
        let cut = Array(full[..<at].utf8)
        let closed = try #require(JSONPrefix.closing(cut))
        let value = try closed.withUnsafeBufferPointer { try JSONParser.parse($0) }
        let text = try #require(value["text"]?["content"]?.stringValue)
        #expect(text == "货款可以私下转账给我 ")
        // Cut inside a three-byte character and inside an escape: both dropped cleanly.
        let chinese = Array(#"{"msgid":"x","text":"私下转"#.utf8)
        #expect(
            try JSONPrefix.closing(Array(chinese.dropLast(1))).map {
                try $0.withUnsafeBufferPointer { try JSONParser.parse($0) }
            }?["text"]?.stringValue == "私下")
        let escape = Array(#"{"msgid":"x","text":"ab\u52"#.utf8)
        #expect(
            try JSONPrefix.closing(escape).map { try $0.withUnsafeBufferPointer { try JSONParser.parse($0) } }?["text"]?
                .stringValue == "ab")
    }

    @Test("what does not begin a JSON text is not made into one")
    func notJSON() {
        #expect(JSONPrefix.closing(Array("xxxx".utf8)) == nil)
        #expect(JSONPrefix.closing(Array("]".utf8)) == nil)
    }
}
