import ArgusCore
import ArgusSQLite
import ArgusStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

@testable import ArgusServer

/// A clock the test moves by hand.
final class TestClock: Sendable {
    let now: Mutex<Int64>
    init(_ start: Int64 = 1_760_000_000_000) { now = Mutex(start) }
    func advance(ms: Int64) { now.withLock { $0 += ms } }
    var clock: ArgusClock { ArgusClock { [self] in now.withLock { $0 } } }
}

/// A runtime on a fresh SQLite file in a temporary directory, with a bootstrapped `default` environment.
struct Harness {
    let runtime: ArgusRuntime
    let directory: String
    let boot: Provisioning.Bootstrap
    let clock: TestClock

    static func make(config: ArgusConfig = ArgusConfig(), resolver: (any CrawlerResolver)? = nil) async throws -> Harness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-test-\(UUID().uuidString)").path
        var config = config
        config.dataDirectory = directory
        let clock = TestClock()
        var logger = Logger(label: "argus-test")
        logger.logLevel = .critical
        let runtime = try await ArgusRuntime.open(config, clock: clock.clock, logger: logger, resolver: resolver)
        let boot = try await Provisioning(runtime: runtime).bootstrap()
        return Harness(runtime: runtime, directory: directory, boot: boot, clock: clock)
    }

    var app: some ApplicationProtocol { Application(router: buildRouter(runtime)) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func identifyBody(
        token: String? = nil, linkedID: String? = nil, components: String = Harness.desktopComponents, publicKey: String? = nil,
        referrer: String = "https://shop.example/cart"
    ) -> ByteBuffer {
        let tokenJSON = token.map { "\"\($0)\"" } ?? "null"
        let linked = linkedID.map { ",\"linkedId\":\"\($0)\"" } ?? ""
        return ByteBuffer(
            string: #"{"v":1,"publicKey":"\#(publicKey ?? boot.publicKey)","token":\#(tokenJSON)\#(linked),"url":"https://shop.example/checkout","referrer":"\#(referrer)","tag":{"cart":3},"components":\#(components)}"#
        )
    }

    static let desktopComponents = #"""
        {"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
         "platform":"Win32","vendor":"Google Inc.","languages":["en-US","en"],"timezone":"Europe/Berlin","timezoneOffset":-60,
         "screen":{"width":1920,"height":1080,"colorDepth":24,"pixelRatio":1},"hardwareConcurrency":8,"deviceMemory":8,
         "maxTouchPoints":0,"canvas":"a1b2c3","webglVendor":"Google Inc. (NVIDIA)","webglRenderer":"ANGLE (NVIDIA GeForce RTX 3060)",
         "audio":124.04347527516074,"fonts":["Arial","Calibri"],"storageQuota":296630877388,"cookiesEnabled":true,"webdriver":false}
        """#

    static let otherComponents = desktopComponents.replacingOccurrences(of: "a1b2c3", with: "ffeedd")
        .replacingOccurrences(of: "RTX 3060", with: "GTX 1080")
}

extension TestResponse {
    var json: JSON { (try? JSONParser.parse(body.readableBytesView)) ?? .null }
    var errorCode: String? { json["error"]?["code"]?.stringValue }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }
