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

    /// Objects past a dozen keys find them through a hash table that grows as keys are added:
    /// every key is found at its place through each rebuild, an absent one is not, a key set
    /// again keeps its place, and one removed is gone while the rest stay found.
    @Test func largeObjectsFindEveryKeyThroughTheirGrowth() throws {
        var object = JSONObject()
        let keys = (0..<300).map { i in i % 3 == 0 ? "k\(i)" : i % 3 == 1 ? "a longer key, number \(i), é" : "\(i)" }
        for (i, key) in keys.enumerated() {
            object[key] = .int(Int64(i))
            for (j, earlier) in keys[...i].enumerated() where j % 17 == 0 || j == i { #expect(object[earlier] == .int(Int64(j))) }
            #expect(object["absent \(i)"] == nil)
        }
        object[keys[5]] = "again"
        #expect(object.keys == keys)
        #expect(object[keys[5]] == "again")
        object[keys[7]] = nil
        #expect(object.count == 299)
        #expect(object[keys[7]] == nil)
        for (i, key) in keys.enumerated() where i != 7 && i != 5 { #expect(object[key] == .int(Int64(i))) }
        // Down below the threshold and up again.
        for key in keys[20...] { object[key] = nil }
        #expect(object.count == 19)
        #expect(object[keys[19]] == .int(19))
        object["new"] = true
        #expect(object["new"] == true)
        // The parser's objects: 200 members and a duplicate past the threshold.
        let text = "{" + (0..<200).map { "\"m\($0)\":\($0)" }.joined(separator: ",") + ",\"m150\":-1}"
        let parsed = try JSONParser.parse(text)
        #expect(parsed.objectValue?.count == 200)
        #expect(parsed["m150"] == .int(-1))
        #expect(parsed["m199"] == .int(199))
        #expect(parsed["m200"] == nil)
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONParser.parse("42") == .int(42))
        #expect(try JSONParser.parse("-0") == .int(0))
        #expect(try JSONParser.parse("-123456789012345678") == .int(-123_456_789_012_345_678))
        #expect(try JSONParser.parse("9223372036854775807") == .int(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("42.5") == .double(42.5))
        #expect(try JSONParser.parse("124.04347527516074") == .double(124.04347527516074))
        #expect(JSONWriter.string(.double(124.04347527516074)) == "124.04347527516074")
        #expect(JSONWriter.string(.double(24.0)) == "24")
        #expect(try JSONParser.parse("99999999999999999999") == .double(1e20))
        #expect(JSONWriter.string(.double(.nan)) == "null")
    }
}
