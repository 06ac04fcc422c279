import Support
import Testing

@Suite("Byte search")
struct ByteSearchTests {
    @Test("finds the first and the last occurrence by byte offset, in ASCII and in Chinese")
    func offsets() {
        #expect("加我微信，加我".utf8Range(of: "加我") == 0..<6)
        #expect("加我微信，加我".utf8Range(of: "加我", backwards: true) == 15..<21)
        #expect("abcabc".utf8Range(of: "bc") == 1..<3)
        #expect("abcabc".utf8Range(of: "bc", backwards: true) == 4..<6)
        #expect("abc".utf8Range(of: "abc") == 0..<3)
    }

    @Test("absent, longer and empty needles")
    func edges() {
        #expect("加我微信".utf8Range(of: "微博") == nil)
        #expect("ab".utf8Range(of: "abc") == nil)
        #expect("".utf8Range(of: "a") == nil)
        #expect("ab".utf8Range(of: "") == 0..<0)
        #expect(!"保本保息".utf8Contains("稳赚"))
        #expect("保本保息".utf8Contains("保息"))
    }

    @Test("compares bytes: a full-width letter is not the ASCII one")
    func noPartialCharacters() {
        // Normalised texts are compared byte for byte: a full-width letter is not its ASCII form.
        #expect("微信".utf8Range(of: "信") == 3..<6)
        #expect("ａ".utf8Range(of: "a") == nil)
    }
}
