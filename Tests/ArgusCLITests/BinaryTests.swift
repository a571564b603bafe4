import ArgusCore
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the built `argus` executable as a user would.
@Suite(.serialized) struct BinaryTests {
    static func binaryPath() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["ARGUS_BINARY"] { return explicit }
        var candidates: [String] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent("argus").path)
        candidates.append(testBinary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("argus").path)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/argus").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("argus binary not found in \(candidates)")
        }
        return found
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Runs a command to completion; returns (status, stdout, stderr).
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binaryPath())
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A running `argus serve` on a free port.
    final class Server {
        let process = Process()
        let port: Int

        /// `environment`: extra variables over this process's.
        init(dataDir: String, environment: [String: String] = [:]) throws {
            process.executableURL = URL(fileURLWithPath: try BinaryTests.binaryPath())
            process.arguments = ["serve", "--data-dir", dataDir, "--port", "0"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(30)
            while !text.contains("\n"), Date() < deadline {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on http://"),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            else {
                process.terminate()
                throw Failure("server did not report its port: \(text)")
            }
            self.port = port
        }

        func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> (Int, JSON) {
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            r.httpMethod = method
            for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
            if let body { r.httpBody = Data(body.utf8) }
            let (data, response) = try await URLSession.shared.data(for: r)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return (status, (try? JSONParser.parse(Array(data))) ?? .null)
        }

        @discardableResult func signal(_ sig: Int32) -> Int32 {
            kill(process.processIdentifier, sig)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test func bootstrapServeIdentifyCrashRestartAndStop() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let (status, stdout, _) = try Self.run(["bootstrap", "--json", "--data-dir", dir])
        #expect(status == 0)
        let boot = try JSONParser.parse(stdout)
        #expect(boot.objectValue?.keys.sorted() == ["environment", "proxySecret", "publicKey", "secretKey"])
        let publicKey = try #require(boot["publicKey"]?.stringValue)
        let secretKey = try #require(boot["secretKey"]?.stringValue)
        #expect(publicKey.hasPrefix("pk_"))
        #expect(secretKey.hasPrefix("sk_"))
        // Idempotent: the same public key and proxy secret, a fresh secret key.
        let again = try JSONParser.parse(try Self.run(["bootstrap", "--json", "--data-dir", dir]).1)
        #expect(again["publicKey"] == boot["publicKey"])
        #expect(again["proxySecret"] == boot["proxySecret"])
        #expect(again["secretKey"] != boot["secretKey"])

        var server = try Server(dataDir: dir)
        let body = #"{"v":1,"publicKey":"\#(publicKey)","token":null,"components":{"userAgent":"Mozilla/5.0","platform":"Linux x86_64"}}"#
        let (identifyStatus, identified) = try await server.request(
            "POST", "/v1/identify", headers: ["Content-Type": "text/plain;charset=UTF-8"], body: body)
        #expect(identifyStatus == 200)
        let requestID = try #require(identified["requestId"]?.stringValue)

        // kill -9 right after the 200: the event must survive.
        #expect(server.signal(SIGKILL) != 0)
        server = try Server(dataDir: dir)
        let (getStatus, event) = try await server.request("GET", "/v4/events/\(requestID)", headers: ["Authorization": "Bearer \(secretKey)"])
        #expect(getStatus == 200)
        #expect(event["event_id"] == .string(requestID))
        #expect(event["identification"]?["visitor_id"] == identified["visitorId"])

        // A key made by the CLI works in the running server without a restart.
        let created = try JSONParser.parse(
            try Self.run(["keys", "create", "--environment", "default", "--kind", "secret", "--scopes", "read:events", "--json", "--data-dir", dir]).1)
        let newKey = try #require(created["key"]?.stringValue)
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await server.request("GET", "/v4/events/\(requestID)", headers: ["Authorization": "Bearer \(newKey)"]).0 == 200)

        // SIGTERM: a clean exit.
        #expect(server.signal(SIGTERM) == 0)
    }

    @Test func errorsGoToStderrWithNonZeroStatus() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (s1, out1, err1) = try Self.run(["keys", "create", "--environment", "nope", "--kind", "public", "--json", "--data-dir", dir])
        #expect(s1 != 0)
        #expect(out1.isEmpty)
        #expect(err1.contains("no environment named 'nope'"))
        let (s2, _, err2) = try Self.run(["keys", "create", "--kind", "secret", "--scopes", "read:everything", "--data-dir", dir])
        #expect(s2 != 0)
        #expect(err2.contains("unknown scope"))
        #expect(try Self.run(["bootstrap", "--json", "--data-dir", dir]).0 == 0)
        let (s3, out3, _) = try Self.run(["keys", "create", "--environment", "default", "--kind", "public", "--rate", "50", "--json", "--data-dir", dir])
        #expect(s3 == 0)
        #expect(try JSONParser.parse(out3)["rate"] == .int(50))
        let (s4, out4, err4) = try Self.run(["keys", "create", "--environment", "default", "--kind", "proxy", "--rate", "5", "--json", "--data-dir", dir])
        #expect(s4 != 0)
        #expect(out4.isEmpty)
        #expect(err4.contains("a rate applies to public and secret keys"))
        let created = try Self.run(["environments", "create", "staging", "--json", "--data-dir", dir])
        #expect(created.0 == 0)
        #expect(try JSONParser.parse(created.1)["name"] == "staging")
        let dup = try Self.run(["environments", "create", "staging", "--json", "--data-dir", dir])
        #expect(dup.0 != 0)
        #expect(dup.1.isEmpty)
    }

    @Test func retentionIsSetPerEnvironment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["environments", "create", "eu", "--json", "--data-dir", dir]).0 == 0)
        let set = try Self.run(["environments", "retention", "--environment", "eu", "--days", "30", "--json", "--data-dir", dir])
        #expect(set.0 == 0)
        #expect(try JSONParser.parse(set.1)["retentionDays"] == 30)
        let list = try JSONParser.parse(try Self.run(["environments", "list", "--json", "--data-dir", dir]).1)
        let eu = list["environments"]?.arrayValue?.first { $0["name"] == "eu" }
        #expect(eu?["retentionDays"] == 30)
        let bad = try Self.run(["environments", "retention", "--environment", "eu", "--days", "-3", "--json", "--data-dir", dir])
        #expect(bad.0 != 0)
        #expect(bad.1.isEmpty)
        let missing = try Self.run(["environments", "retention", "--environment", "nope", "--days", "3", "--json", "--data-dir", dir])
        #expect(missing.0 != 0)
        #expect(missing.2.contains("nope"))
    }
}
