import ArgusCore
import Testing

@Suite struct IdentifyRequestTests {
    static let valid = #"""
        {"v":1,"publicKey":"pk_test","token":null,"linkedId":"user-1","tag":{"a":1},"url":"https://shop.example/x",
         "referrer":"","components":{"userAgent":"Mozilla/5.0","languages":["en-US","en"],
         "screen":{"width":1920,"height":1080,"colorDepth":24,"pixelRatio":1.25},"hardwareConcurrency":8,
         "deviceMemory":null,"audio":124.04,"webdriver":false,"somethingNew":{"x":[1,2]}}}
        """#

    func validate(_ text: String) throws -> Result<IdentifyRequest, IdentifyValidationError> {
        IdentifyRequest.validate(try JSONParser.parse(text))
    }

    @Test func acceptsTheProtocolExampleAndKeepsUnknownComponents() throws {
        let r = try validate(Self.valid).get()
        #expect(r.publicKey == "pk_test")
        #expect(r.token == nil)
        #expect(r.linkedID == "user-1")
        #expect(r.components.languages == ["en-US", "en"])
        #expect(r.components.deviceMemory == nil)
        #expect(r.components["somethingNew"]?["x"] == [1, 2])
    }

    @Test func namesEveryBadField() throws {
        let text = #"""
            {"v":1,"publicKey":7,"linkedId":"\#(String(repeating: "x", count: 257))","tag":[],
             "components":{"screen":{"width":"wide"},"hardwareConcurrency":1.5,"languages":["en",3],"webdriver":"no"}}
            """#
        guard case .failure(let e) = try validate(text) else {
            Issue.record("expected a failure")
            return
        }
        #expect(
            Set(e.fields) == [
                "publicKey", "linkedId", "tag", "components.screen.width", "components.hardwareConcurrency",
                "components.languages", "components.webdriver",
            ])
    }

    @Test func requiresPublicKeyComponentsAndVersion() throws {
        guard case .failure(let e) = try validate(#"{"token":"x"}"#) else {
            Issue.record("expected a failure")
            return
        }
        #expect(Set(e.fields) == ["v", "publicKey", "components"])
        guard case .failure(let e2) = try validate(#"{"v":2,"publicKey":"pk","components":{}}"#) else {
            Issue.record("expected a failure")
            return
        }
        #expect(e2.fields == ["v"])
    }

    @Test func refusesOversizedTags() throws {
        let big = String(repeating: "y", count: IdentifyRequest.maxTagBytes)
        guard case .failure(let e) = try validate(#"{"v":1,"publicKey":"pk","components":{},"tag":{"k":"\#(big)"}}"#) else {
            Issue.record("expected a failure")
            return
        }
        #expect(e.fields == ["tag"])
    }

    @Test func bodyMustBeAnObject() throws {
        guard case .failure(let e) = try validate("[1]") else {
            Issue.record("expected a failure")
            return
        }
        #expect(e.fields == ["body"])
    }
}
