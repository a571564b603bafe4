import ArgusIdentification
import Testing

/// A browser whose first visit was private: its private visit made a visitor that fingerprint
/// matching never offers; its first ordinary visit takes that id back when nothing else could
/// own it (`IdentificationEngine.adoptPrivateOnly`, `adoptPrivateOnlyByLook`).
@Suite struct PrivateFirstTests {
    static let privateQuota = 1_200_000_000.0  // a private window's memory-backed quota
    static let home = "198.51.100.20"
    /// Another address of the home's network (its /22: a carrier pool, a new DHCP lease).
    static let sameNetwork = "198.51.101.7"

    /// A browser's first visit, private, at home; the browser as its ordinary windows show it.
    static func privateFirstVisit(_ h: inout Harness, _ browser: Browser = Browser()) -> (Browser, Decision) {
        var b = browser
        b.quota = privateQuota
        let privateVisit = h.visit(b, ip: home)
        b.quota = browser.quota
        return (b, privateVisit)
    }

    @Test func anOrdinaryVisitAfterAPrivateFirstVisitKeepsTheFirstId() {
        var h = Harness()
        var browser = Browser()
        browser.quota = Self.privateQuota
        let privateVisit = h.visit(browser, ip: Self.home)
        #expect(privateVisit.basis == .new)
        #expect(privateVisit.profile.ephemeral)

        browser.quota = Browser().quota
        let ordinary = h.visit(browser, ip: Self.home)
        #expect(ordinary.visitorID == privateVisit.visitorID)
        #expect(ordinary.visitorFound)
        #expect(ordinary.confidence == IdentificationEngine.adoptionConfidence)
        #expect(!ordinary.profile.ephemeral)
        // From then on it is an ordinary visitor, found by fingerprint.
        let again = h.visit(browser, ip: Self.home)
        #expect(again.visitorID == privateVisit.visitorID)
    }

    @Test func notWhenAnIdenticalMachineWasSeenOutsidePrivateBrowsing() {
        var h = Harness()
        let (a, privateVisit) = Self.privateFirstVisit(&h)
        let b = Browser()  // the same model, set up the same way: the same look as `a`
        let other = h.visit(b, ip: "203.0.113.5")  // elsewhere first: nothing private-only there
        #expect(other.visitorID != privateVisit.visitorID)

        // The control: nobody else seen at the address, so `a` takes its first id back.
        var control = h
        #expect(control.visit(a, ip: Self.home).visitorID == privateVisit.visitorID)

        // Once `b` has been seen at the address (with its token), the private visit there may as
        // well have been `b`'s: `a` is not given that id.
        _ = h.visit(b, ip: Self.home, token: other.visitorID)
        #expect(h.visit(a, ip: Self.home).visitorID != privateVisit.visitorID)
    }

    @Test func byItsLookOnlyFromAnotherAddressOfItsNetwork() {
        var h = Harness()
        let (a, privateVisit) = Self.privateFirstVisit(&h)
        var b = Browser()
        b.canvas = "another-machine"  // the same hardware, another rendering: not who browsed privately
        let other = h.visit(b, ip: "203.0.113.5")
        _ = h.visit(b, ip: Self.home, token: other.visitorID)

        // At the private visit's own address, with another browser of this hardware seen there,
        // neither rule adopts: a machine of the household that looks the same is likelier there.
        var atHome = h
        #expect(atHome.visit(a, ip: Self.home).visitorID != privateVisit.visitorID)
        // From another address of the network, the look alone finds it.
        let ordinary = h.visit(a, ip: Self.sameNetwork)
        #expect(ordinary.visitorID == privateVisit.visitorID)
        #expect(ordinary.confidence == IdentificationEngine.lookAdoptionConfidence)
    }

    @Test func theLookFindsTheBrowserOnAnotherAddressOfItsNetworkOnly() {
        var h = Harness()
        let (a, privateVisit) = Self.privateFirstVisit(&h)
        var elsewhere = h
        #expect(h.visit(a, ip: Self.sameNetwork).visitorID == privateVisit.visitorID)
        let away = elsewhere.visit(a, ip: "203.0.113.5")  // another network: nothing ties them
        #expect(away.visitorID != privateVisit.visitorID)
        #expect(away.basis == .new)
    }

    @Test func notWhenTwoPrivateVisitorsShowTheLook() {
        var h = Harness()
        let (a, first) = Self.privateFirstVisit(&h)
        // Another private window elsewhere, or an identical machine's.
        var elsewhere = a
        elsewhere.quota = Self.privateQuota
        let second = h.visit(elsewhere, ip: "203.0.113.5")
        #expect(first.visitorID != second.visitorID)
        let ordinary = h.visit(a, ip: Self.sameNetwork)
        #expect(ordinary.visitorID != first.visitorID)
        #expect(ordinary.visitorID != second.visitorID)
    }

    @Test func atACrowdedAddressOrUnderTheFleetPolicyOnlyANavigationCounts() {
        for policy in [MatchPolicy.auto, .fleet] {
            var h = Harness()
            h.engine = IdentificationEngine(model: DecisionModel(policy: policy))
            if policy == .auto {
                // An office: more browsers at the address than a household has.
                for i in 0..<(VisitorIndex.householdLimit + 1) {
                    var colleague = Browser()
                    colleague.renderer = "ANGLE (Office GPU \(i))"
                    _ = h.visit(colleague, ip: Self.sameNetwork)
                }
            }
            var cart = Browser()
            cart.url = "https://shop.example/cart"
            var (a, privateVisit) = Self.privateFirstVisit(&h, cart)

            var fromOutside = h
            a.url = "https://shop.example/"
            a.referrer = "https://www.search.example/?q=shop"
            #expect(fromOutside.visit(a, ip: Self.sameNetwork).visitorID != privateVisit.visitorID, "\(policy)")

            a.url = "https://shop.example/checkout"
            a.referrer = "https://shop.example/cart"
            #expect(h.visit(a, ip: Self.sameNetwork).visitorID == privateVisit.visitorID, "\(policy)")
        }
    }

    @Test func aSecondPrivateVisitAtTheAddressIsTheSameBrowserWhoseOrdinaryVisitTakesTheIdBack() {
        for policy in [MatchPolicy.auto, .fleet] {
            var h = Harness()
            h.engine = IdentificationEngine(model: DecisionModel(policy: policy))
            let (a, first) = Self.privateFirstVisit(&h)
            var again = a
            again.quota = Self.privateQuota
            let second = h.visit(again, ip: Self.home)
            #expect((second.visitorID == first.visitorID) == (policy != .fleet), "\(policy)")
            #expect(second.profile.ephemeral)
            let ordinary = h.visit(a, ip: Self.home)
            #expect((ordinary.visitorID == first.visitorID) == (policy != .fleet), "\(policy)")
        }
    }

    @Test func atThePrivateVisitsAddressEvenInAnOfficeUnlessThePolicyIsFleet() {
        for policy in [MatchPolicy.auto, .household, .fleet] {
            var h = Harness()
            h.engine = IdentificationEngine(model: DecisionModel(policy: policy))
            // An office: more browsers at the address than a household has, none of this model.
            for i in 0..<(VisitorIndex.householdLimit + 1) {
                var colleague = Browser()
                colleague.renderer = "ANGLE (Office GPU \(i))"
                _ = h.visit(colleague, ip: Self.home)
            }
            var (a, privateVisit) = Self.privateFirstVisit(&h)
            // Back in an ordinary window from a search, not from the private visit's page.
            a.url = "https://shop.example/"
            a.referrer = "https://www.search.example/?q=shop"
            let ordinary = h.visit(a, ip: Self.home)
            #expect((ordinary.visitorID == privateVisit.visitorID) == (policy != .fleet), "\(policy)")
        }
    }

    @Test func notForSafariWhosePrivateModeRandomisesRenderings() {
        var h = Harness()
        var safari = Browser()
        safari.userAgent =
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15"
        safari.quota = Self.privateQuota
        let privateVisit = h.visit(safari, ip: Self.home)
        safari.quota = Browser().quota
        let ordinary = h.visit(safari, ip: Self.home)
        #expect(ordinary.visitorID != privateVisit.visitorID)
        #expect(ordinary.basis == .new)
    }

    @Test func withFleetsOnlyANavigationFromThePrivateVisitsLastPageCounts() {
        var h = Harness()
        h.engine = IdentificationEngine(model: DecisionModel(policy: .fleet))
        var browser = Browser()
        browser.quota = Self.privateQuota
        browser.url = "https://shop.example/cart"
        let privateVisit = h.visit(browser, ip: Self.home)
        browser.quota = Browser().quota

        var fromOutside = h
        browser.url = "https://shop.example/"
        browser.referrer = "https://www.search.example/?q=shop"
        #expect(fromOutside.visit(browser, ip: Self.home).visitorID != privateVisit.visitorID)

        browser.url = "https://shop.example/checkout"
        browser.referrer = "https://shop.example/cart"
        let navigated = h.visit(browser, ip: Self.home)
        #expect(navigated.visitorID == privateVisit.visitorID)
    }
}
