import ArgusCore
import Testing

@Suite struct JSONTests {
    @Test func parsesAndWritesBackTheSameBytes() throws {
        let text = #"{"b":1,"a":[true,false,null,-0.5,1e-07,"x\"y\\z\n\u0001é😀"],"c":{"d":12345678901234}}"#
        let value = try JSONParser.parse(text)
        #expect(value["b"] == .int(1))
        #expect(value["c"]?["d"] == .int(12_345_678_901_234))
        let written = JSONWriter.string(value)
        #expect(written == #"{"b":1,"a":[true,false,null,-0.5,1e-07,"x\"y\\z\n\u0001é😀"],"c":{"d":12345678901234}}"#)
        #expect(try JSONParser.parse(written) == value)
    }

    @Test func keepsKeyOrderAndLastDuplicate() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"z":3}"#)
        #expect(value.objectValue?.keys == ["z", "a"])
        #expect(value["z"] == .int(3))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00 \u00e9 \/""#) == .string("😀 é /"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "NaN", "tru", "\"abc", "\"\u{01}\"", "{'a':1}",
        "[1] x", "\"\\ud800\"", "\"\\x\"", "1e", "{\"a\" 1}", "// c\n1",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(try JSONParser.parse(ok).arrayValue != nil)
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONParser.parse("42") == .int(42))
        #expect(try JSONParser.parse("42.5") == .double(42.5))
        #expect(try JSONParser.parse("124.04347527516074") == .double(124.04347527516074))
        #expect(JSONWriter.string(.double(124.04347527516074)) == "124.04347527516074")
        #expect(JSONWriter.string(.double(24.0)) == "24")
        #expect(try JSONParser.parse("99999999999999999999") == .double(1e20))
        #expect(JSONWriter.string(.double(.nan)) == "null")
    }
}
