import ArgusCore
import Crypto
import Foundation
import Testing

@Suite struct SealedResultTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sealed")
    /// Spec §3's vector key (its last base64 digit carries non-zero padding bits, which decoders ignore).
    static let vectorKey = SymmetricKey(data: Data(base64Encoded: "p2PA7MGy5tx56cnyJaFZMr96BCFwZeHjZV2EqMvTq50=")!)

    static func text(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String) throws -> JSON {
        try JSONParser.parse(Array(try Data(contentsOf: fixtures.appendingPathComponent(name))))
    }

    @Test(arguments: [("get_event_200.txt", "sealed_event.json"), ("python_valid.txt", "python_valid_expected.json")])
    func unsealsTheVectorsIntoTheExpectedEvents(sealed: String, expected: String) throws {
        let plaintext = try SealedResult.unseal(base64: try Self.text(sealed), keys: [Self.vectorKey])
        #expect(try JSONParser.parse(plaintext) == (try Self.json(expected)))
    }

    @Test func triesEveryKeyInOrder() throws {
        let wrong = SymmetricKey(size: .bits256)
        let plaintext = try SealedResult.unseal(base64: try Self.text("python_valid.txt"), keys: [wrong, Self.vectorKey])
        #expect(try JSONParser.parse(plaintext)["event_id"] != nil)
        #expect(throws: SealedResult.UnsealError.self) {
            try SealedResult.unseal(base64: try Self.text("python_valid.txt"), keys: [wrong])
        }
        let vector = try Self.text("python_valid.txt")
        do {
            _ = try SealedResult.unseal(base64: vector, keys: [wrong, SymmetricKey(size: .bits256)])
            Issue.record("unsealed with wrong keys")
        } catch {
            guard case .decryptionFailed(let errors) = error else {
                Issue.record("expected decryptionFailed, got \(error)")
                return
            }
            #expect(errors.count == 2)
        }
    }

    @Test(arguments: [
        ("invalid_header.txt", SealedResult.UnsealError.invalidHeader),
        ("invalid_compression.txt", .invalidCompression),
        ("invalid_json.txt", .invalidJSON),
    ])
    func invalidVectorsFailWithTheirError(file: String, expected: SealedResult.UnsealError) throws {
        let vector = try Self.text(file)
        do {
            _ = try SealedResult.unseal(base64: vector, keys: [Self.vectorKey])
            Issue.record("\(file) unsealed")
        } catch {
            #expect(error == expected)
        }
    }

    @Test func anyChangedByteOrTruncationFails() throws {
        let key = SymmetricKey(size: .bits256)
        let event = Array(#"{"event_id":"1708102555327.NLOjmg","timestamp":1708102555327}"#.utf8)
        let sealed = try SealedResult.seal(event, key: key)
        #expect(try SealedResult.unseal(sealed, keys: [key]) == event)
        for i in sealed.indices {
            var tampered = sealed
            tampered[i] ^= 0x01
            #expect(throws: SealedResult.UnsealError.self) { try SealedResult.unseal(tampered, keys: [key]) }
        }
        #expect(throws: SealedResult.UnsealError.self) { try SealedResult.unseal(Array(sealed.dropLast()), keys: [key]) }
        #expect(throws: SealedResult.UnsealError.self) { try SealedResult.unseal(Array(sealed.prefix(20)), keys: [key]) }
        #expect(throws: SealedResult.UnsealError.invalidHeader) { try SealedResult.unseal(base64: "not base64!", keys: [key]) }
    }

    @Test func everySealUsesAFreshNonce() throws {
        let key = SymmetricKey(size: .bits256)
        let nonces = try (0..<200).map { _ in Array(try SealedResult.seal([0x7B, 0x7D], key: key)[4..<16]) }
        #expect(Set(nonces.map { $0.hexString }).count == nonces.count)
    }

    @Test func inflationIsBounded() throws {
        let bomb = try RawDeflate.compress([UInt8](repeating: 0x41, count: 4 << 20))
        #expect(bomb.count < 10_000)
        #expect(throws: RawDeflate.Failure.tooLarge(limit: 1 << 20)) { try RawDeflate.decompress(bomb, maxSize: 1 << 20) }
        #expect(try RawDeflate.decompress(try RawDeflate.compress(Array("hello".utf8)), maxSize: 100) == Array("hello".utf8))
    }
}
