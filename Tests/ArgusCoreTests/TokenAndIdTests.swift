import ArgusCore
import Crypto
import Foundation
import Testing

@Suite struct TokenAndIdTests {
    let signer = VisitorTokenSigner(masterKey: SymmetricKey(size: .bits256))

    @Test func signedTokensVerify() {
        let token = VisitorToken(environmentID: "env_1", visitorID: "abcdefghij0123456789", issuedAtMs: 1_708_102_555_327, instance: 0xDEAD_BEEF_0042)
        let text = signer.sign(token)
        #expect(signer.verify(text) == token)
    }

    @Test func forgedOrAlteredTokensFail() {
        let text = signer.sign(VisitorToken(environmentID: "env_1", visitorID: "victim", issuedAtMs: 1, instance: 7))
        let parts = text.split(separator: ".").map(String.init)
        let forgedPayload = Base64URL.encode(Array("env_1|attacker|1|7".utf8))
        #expect(signer.verify("\(parts[0]).\(forgedPayload).\(parts[2])") == nil)
        var flipped = Array(text.utf8)
        flipped[flipped.count - 3] = flipped[flipped.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(signer.verify(String(decoding: flipped, as: UTF8.self)) == nil)
        let other = VisitorTokenSigner(masterKey: SymmetricKey(size: .bits256))
        #expect(other.verify(text) == nil)
        #expect(signer.verify("garbage") == nil)
        #expect(signer.verify("") == nil)
    }

    @Test func eventIDsHaveTheFingerprintFormat() {
        let id = Identifiers.eventID(timestampMs: 1_708_102_555_327)
        #expect(id.hasPrefix("1708102555327."))
        #expect(id.count == 20)
        #expect(Identifiers.isEventID(id))
        #expect(Identifiers.isEventID("1708102555327.NLOjmg"))
        #expect(!Identifiers.isEventID("1708102555327"))
        #expect(!Identifiers.isEventID("abc.def"))
        #expect(!Identifiers.isEventID("1708102555327.NL'jmg"))
    }

    @Test func visitorIDsAreTwentyRandomCharacters() {
        let ids = (0..<1000).map { _ in Identifiers.visitorID() }
        #expect(ids.allSatisfy { $0.count == 20 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        #expect(Set(ids).count == ids.count)
    }

    @Test func secretComparisonIsExact() {
        #expect(SecretHash.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!SecretHash.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!SecretHash.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(SecretHash.sha256Hex("data") == "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7")
    }

    @Test func ipAddressesAreValidatedAndCanonical() {
        #expect(IPAddress.canonical("61.127.217.15") == "61.127.217.15")
        #expect(IPAddress.canonical(" 2001:DB8:0:0:0:0:0:1 ") == "2001:db8::1")
        #expect(IPAddress.canonical("999.1.1.1") == nil)
        #expect(IPAddress.canonical("evil; DROP") == nil)
        #expect(IPAddress.canonical("") == nil)
        #expect(IPAddress.canonical(" \t ") == nil)
        #expect(IPAddress.canonical("\t81.2.69.160 ") == "81.2.69.160")
        #expect(IPAddress.canonical(Substring("1.2.3.4, 5.6.7.8").split(separator: ",")[1]) == "5.6.7.8")
        #expect(IPAddress.canonical("1.2.3.4 5") == nil)  // inner spaces are not trimmed
        #expect(IPAddress.canonical(String(repeating: "1", count: 46)) == nil)
        #expect(IPAddress.bytes(" ::ffff:1.2.3.4") == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4])
    }

    @Test func secretBoxRoundTripsAndRejectsTampering() throws {
        let box = SecretBox(masterKey: SymmetricKey(size: .bits256))
        var sealed = try box.seal(Array("proxy secret".utf8))
        #expect(try box.open(sealed) == Array("proxy secret".utf8))
        sealed[14] ^= 1
        #expect(throws: (any Error).self) { try box.open(sealed) }
    }
}

@Suite struct Base64URLTests {
    @Test func roundTripsAndMatchesFoundation() {
        var rng = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let encoded = Base64URL.encode(bytes)
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(encoded == foundation)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test func rejectsWhatIsNotCanonicalBase64URL() {
        #expect(Base64URL.decode("ab+c") == nil)
        #expect(Base64URL.decode("abc=") == nil)
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("AB") == nil)  // trailing bits set
        #expect(Base64URL.decode("AA") == [0])
    }
}
