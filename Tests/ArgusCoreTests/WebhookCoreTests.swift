import ArgusCore
import Testing

@Suite struct WebhookSigningTests {
    @Test func specVector() {
        // spec §4: secret "secret", body "data".
        #expect(
            WebhookSigning.signature(body: Array("data".utf8), secret: "secret")
                == "v1=1b2c16b75bd2a870c114153ccda5bcfca63314bc722fa160d690de133ccbb9db")
        #expect(WebhookSigning.signature(body: Array("data ".utf8), secret: "secret").hasPrefix("v1="))
        #expect(
            WebhookSigning.signature(body: Array("data ".utf8), secret: "secret")
                != WebhookSigning.signature(body: Array("data".utf8), secret: "secret"))
    }
}

@Suite struct WebhookFilterTests {
    @Test func absentFieldsCountAsNotDetectedAndZero() throws {
        let plain = try JSONParser.parse(#"{"event_id":"1.a"}"#)
        let bad = try JSONParser.parse(#"{"bot":"bad","suspect_score":12}"#)
        #expect(WebhookFilter().matches(plain))
        #expect(WebhookFilter(bot: ["not_detected"]).matches(plain))
        #expect(!WebhookFilter(bot: ["bad"]).matches(plain))
        #expect(WebhookFilter(bot: ["bad", "good"]).matches(bad))
        #expect(!WebhookFilter(minSuspectScore: 1).matches(plain))
        #expect(WebhookFilter(minSuspectScore: 0).matches(plain))
        #expect(WebhookFilter(minSuspectScore: 12).matches(bad))
        #expect(!WebhookFilter(minSuspectScore: 13).matches(bad))
        #expect(!WebhookFilter(bot: ["bad"], minSuspectScore: 13).matches(bad))
    }

    @Test func parsesAndRefusesBadInput() throws {
        let ok = WebhookFilter.parse(try JSONParser.parse(#"{"bot":["bad","bad","good"],"minSuspectScore":5}"#))
        #expect(ok == .success(WebhookFilter(bot: ["bad", "good"], minSuspectScore: 5)))
        #expect(WebhookFilter.parse(.null) == .success(WebhookFilter()))
        for bad in [#"{"bot":"bad"}"#, #"{"bot":[]}"#, #"{"bot":["evil"]}"#, #"{"minSuspectScore":-1}"#, #"{"minSuspectScore":1.5}"#,
            #"{"score":1}"#, #"[]"#]
        {
            guard case .failure = WebhookFilter.parse(try JSONParser.parse(bad)) else {
                Issue.record("accepted \(bad)")
                continue
            }
        }
        // The stored form reads back as the same filter.
        let f = WebhookFilter(bot: ["good"], minSuspectScore: 3)
        #expect(WebhookFilter.parse(try JSONParser.parse(JSONWriter.bytes(f.json))) == .success(f))
    }
}

@Suite struct WebhookRetryPolicyTests {
    let policy = WebhookRetryPolicy()

    @Test func firstRetryWithinTwoSecondsThenDoublingCappedAtFifteenMinutes() {
        #expect(policy.ceilingMs(afterAttempt: 1) == 2_000)
        #expect(policy.ceilingMs(afterAttempt: 2) == 4_000)
        #expect(policy.ceilingMs(afterAttempt: 3) == 8_000)
        #expect(policy.ceilingMs(afterAttempt: 10) == 900_000)  // 2 s × 2⁹ = 1024 s > 15 min
        #expect(policy.ceilingMs(afterAttempt: 500) == 900_000)
        for unit in [0.0, 0.3, 0.999_999] {
            let d1 = policy.delayMs(afterAttempt: 1, unit: unit)
            #expect(d1 >= 1_000 && d1 <= 2_000)
            let d5 = policy.delayMs(afterAttempt: 5, unit: unit)
            #expect(d5 >= 16_000 && d5 <= 32_000)
            #expect(policy.delayMs(afterAttempt: 60, unit: unit) <= 900_000)
        }
        // Jitter spreads: different units, different delays.
        #expect(policy.delayMs(afterAttempt: 4, unit: 0.1) != policy.delayMs(afterAttempt: 4, unit: 0.9))
    }

    @Test func keepsTryingForTwentyFourHoursThenGivesUp() {
        let queued: Int64 = 1_000_000
        #expect(policy.afterFailure(attempt: 1, nowMs: queued, queuedAtMs: queued, unit: 0.5) == .retry(atMs: queued + 1_500))
        let almost = queued + 24 * 3_600_000 - 1
        guard case .retry(let at) = policy.afterFailure(attempt: 90, nowMs: almost, queuedAtMs: queued, unit: 1) else {
            Issue.record("gave up before 24 h")
            return
        }
        #expect(at - almost <= 900_000)
        #expect(policy.afterFailure(attempt: 91, nowMs: queued + 24 * 3_600_000, queuedAtMs: queued, unit: 0.5) == .giveUp)
    }
}

@Suite struct OutboundAddressPolicyTests {
    func forbidden(_ s: String) -> Bool {
        if case .forbidden = OutboundAddressPolicy.classify(s) { return true }
        return false
    }

    @Test func ipv4() {
        for s in [
            "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.10",
        ] {
            #expect(forbidden(s), "\(s) should be forbidden")
        }
        for s in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1", "93.184.216.34"] {
            #expect(!forbidden(s), "\(s) should be allowed")
        }
    }

    @Test func ipv6AndEmbeddedIPv4() {
        for s in [
            "::1", "::", "fe80::1", "febf::1", "fc00::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "::ffff:169.254.169.254", "::ffff:7f00:1", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:c0a8:101::1",
            "2001:db8::1", "fec0::1",
        ] {
            #expect(forbidden(s), "\(s) should be forbidden")
        }
        for s in ["2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            #expect(!forbidden(s), "\(s) should be allowed")
        }
        #expect(forbidden("example.com"))  // not an address: refused, names are resolved first
        #expect(IPAddress.bytes("::ffff:127.0.0.1") == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1])
    }
}
