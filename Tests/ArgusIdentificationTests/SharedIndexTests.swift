import ArgusIdentification
import Testing

/// Two instances sharing a database: each keeps its own index and takes in the profiles the
/// other stored (`IdentificationEngine.apply(stored:)`).
@Suite struct SharedIndexTests {
    @Test func aVisitorStoredByOneInstanceIsFoundByTheOther() {
        var a = Harness()
        var b = Harness()
        b.counter = 100  // the two instances draw different new ids
        let browser = Browser()
        let first = a.visit(browser, ip: "203.0.113.7")
        #expect(first.basis == .new)

        // Before B has taken in A's write, B sees a new browser.
        var unaware = b
        let blind = unaware.visit(browser, ip: "203.0.113.7")
        #expect(blind.visitorID != first.visitorID)

        let taken = b.engine.apply(stored: first.profile)
        #expect(taken)
        let second = b.visit(browser, ip: "203.0.113.7")
        #expect(second.visitorID == first.visitorID)
        #expect(second.visitorFound)
        #expect(second.profile.eventCount == 2)
    }

    @Test func anOlderStateNeverReplacesANewerOne() {
        var a = Harness()
        let browser = Browser()
        let first = a.visit(browser, ip: "203.0.113.7")
        let second = a.visit(browser, ip: "203.0.113.7", token: first.visitorID)
        #expect(second.visitorID == first.visitorID)

        // A's own first write comes back through the feed after its second visit: ignored.
        let stale = a.engine.apply(stored: first.profile)
        #expect(!stale)
        #expect(a.engine.index.profile(first.visitorID)?.eventCount == 2)
        // The same state twice: taken once.
        var b = Harness()
        let once = b.engine.apply(stored: second.profile)
        let twice = b.engine.apply(stored: second.profile)
        #expect(once && !twice)
        #expect(b.engine.index.count == 1)
    }

    @Test func replacingAProfileKeepsTheEvidenceCountsOfItsNewStateOnly() {
        var a = Harness()
        let browser = Browser()
        let first = a.visit(browser, ip: "203.0.113.7")
        // Storage cleared: found again by fingerprint, the browser's new storage attached.
        let again = a.visit(browser, ip: "203.0.113.7")
        #expect(again.visitorID == first.visitorID)

        var b = Harness()
        b.engine.apply(stored: first.profile)
        b.engine.apply(stored: again.profile)
        var fresh = IdentificationEngine()
        fresh.load(again.profile)
        #expect(b.engine.evidence == fresh.evidence)
        #expect(b.engine.evidence.attachments > 0)
        #expect(b.engine.index.count == 1)
    }
}
