import ArgusCore
import Foundation
import Testing

@testable import ArgusServer

/// What `ARGUS_DATABASE_URL` refuses before any connection is tried.
@Suite struct DatabaseURLTests {
    func openError(_ url: String, masterKey: String? = MasterKeyFormat.generate().text) async -> String {
        var config = ArgusConfig()
        config.databaseURL = url
        config.masterKey = masterKey
        config.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: config.dataDirectory) }
        do {
            _ = try await ArgusRuntime.open(config)
            return "opened"
        } catch {
            return "\(error)"
        }
    }

    @Test func otherSchemesAndTLSModesAreRefusedClearly() async {
        #expect(await openError("mysql://a@h/d").contains("ARGUS_DATABASE_URL must be a postgres:// or postgresql:// URL, not mysql://"))
        #expect(await openError("postgres://a@h/d?sslmode=require").contains("sslmode=require is not supported"))
    }

    @Test func theMasterKeyMustBeGivenWithADatabaseURL() async {
        let error = await openError("postgres://a:pw@127.0.0.1:1/d", masterKey: nil)
        #expect(error.contains("ARGUS_MASTER_KEY is required with ARGUS_DATABASE_URL"))
        #expect(!error.contains("pw"))
    }
}
