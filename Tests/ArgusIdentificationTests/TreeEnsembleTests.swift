@testable import ArgusIdentification
import Foundation
import Testing

@Suite struct TreeEnsembleTests {
    /// Two trees over three features: the first splits on x[1] then x[2], the second is one leaf.
    static let small = """
        argus-trees 1 3 0.5 2
        5
        1 2.5 1 2
        -1 -1.0 -1 -1
        2 0.0 3 4
        -1 0.25 -1 -1
        -1 2.0 -1 -1
        1
        -1 0.125 -1 -1
        """

    @Test func aVectorFollowsItsBranchesAndTheLeavesAddUp() throws {
        let trees = try #require(TreeEnsemble(text: Self.small))
        #expect(trees.treeCount == 2)
        #expect(trees.features == 3)
        #expect(trees.raw([9, 2.5, 7]) == 0.5 - 1.0 + 0.125)  // equal to the threshold: left
        #expect(trees.raw([9, 2.6, 0]) == 0.5 + 0.25 + 0.125)
        #expect(trees.raw([9, 2.6, 0.1]) == 0.5 + 2.0 + 0.125)
        #expect(trees.raw([9, .nan, -5]) == 0.5 + 0.25 + 0.125)  // NaN is not <= anything: right
        #expect(abs(trees.probability([9, 2.6, 0.1]) - 1 / (1 + exp(-2.625))) < 1e-12)
    }

    /// Trees are walked eight at a time: groups mixing single leaves with deep chains, and a
    /// last group of three, give what one tree at a time gives.
    @Test func treesWalkedSideBySideGiveWhatOneAtATimeGives() throws {
        // Tree t: a chain of t % 6 splits down its left side on feature t % 4 (thresholds
        // 0, 1, 2, …), each right child a leaf; t % 6 == 0 is a single leaf.
        var text = "argus-trees 1 4 -0.5 19\n"
        var reference: [(splits: Int, feature: Int, leaves: [Double])] = []
        for t in 0..<19 {
            let splits = t % 6, feature = t % 4
            let leaves = (0...splits).map { Double(t * 10 + $0) / 64 }
            reference.append((splits, feature, leaves))
            text += "\(2 * splits + 1)\n"
            for d in 0..<splits {  // node 2d splits; 2d+1 is its right leaf; 2d+2 the next split
                text += "\(feature) \(d).0 \(2 * d + 2) \(2 * d + 1)\n-1 \(leaves[d]) -1 -1\n"
            }
            text += "-1 \(leaves[splits]) -1 -1\n"
        }
        let trees = try #require(TreeEnsemble(text: text))
        for x in [[-1.0, -1, -1, -1], [0.5, 1.5, 2.5, 3.5], [5, 5, 5, 5], [2, .nan, 0, 4]] {
            var expected = -0.5
            for tree in reference {
                // x goes right at the first threshold it exceeds (NaN: at once), else to the deepest leaf.
                let first = (0..<tree.splits).first { !(x[tree.feature] <= Double($0)) }
                expected += tree.leaves[first ?? tree.splits]
            }
            #expect(trees.raw(x) == expected)
        }
    }

    /// Several vectors at once (a visit's close candidates) get, each, what it gets alone, bit
    /// for bit: every group of trees is walked for all of them, the sums kept apart.
    @Test func vectorsWeighedTogetherGetWhatEachGetsAlone() throws {
        let trees = try #require(TreeEnsemble.fittedDecision)
        let checks = FittedTreesCheck.decision.map(\.vector)
        #expect(checks.count >= 3)
        let together = trees.raw(checks)
        #expect(together.count == checks.count)
        for (x, raw) in zip(checks, together) { #expect(raw == trees.raw(x)) }
        #expect(trees.raw([[Double]]()) == [])
        // The model's batch: a homecoming candidate (no trees) among others keeps its own answer.
        let model = DecisionModel(policy: .household)
        let plain = DecisionFeatures(
            top: 5, gap: 1, rivals: 1, address: 1, drift: 0, twins: 2, exact: true, model: 3, crowd: 4, webkit: false,
            privateMode: false, cookiesDisabled: false)
        let home = DecisionFeatures(
            top: 7, gap: 8, rivals: 0, address: 3, drift: 0, twins: 0, exact: true, model: 1, crowd: 1, webkit: false,
            privateMode: false, cookiesDisabled: false)
        #expect(home.homecoming && !plain.homecoming)
        #expect(model.probabilities([plain, home, plain]) == [model.probability(plain), model.probability(home), model.probability(plain)])
    }

    /// A node packs its feature into 8 bits: an ensemble over more than 256 features is refused.
    @Test func moreFeaturesThanTheLayoutHoldsAreRefused() {
        #expect(TreeEnsemble(text: "argus-trees 1 256 0 1\n3\n255 0.5 1 2\n-1 1 -1 -1\n-1 2 -1 -1")?.raw(Array(repeating: 0, count: 255) + [1]) == 2)
        #expect(TreeEnsemble(text: "argus-trees 1 257 0 1\n3\n256 0.5 1 2\n-1 1 -1 -1\n-1 2 -1 -1") == nil)
    }

    @Test(arguments: [
        "argus-trees 2 3 0.5 0",  // another version
        "argus-trees 1 3 0.5 1\n3\n1 2.5 0 2\n-1 1 -1 -1\n-1 2 -1 -1",  // a child that is its own parent
        "argus-trees 1 3 0.5 1\n3\n1 2.5 1 3\n-1 1 -1 -1\n-1 2 -1 -1",  // a child outside the tree
        "argus-trees 1 3 0.5 1\n3\n3 2.5 1 2\n-1 1 -1 -1\n-1 2 -1 -1",  // a feature beyond the vector
        "argus-trees 1 3 0.5 1\n3\n1 2.5 1 2\n-1 1 -1 -1",  // cut short
        "argus-trees 1 3 0.5 1\n1\n-1 1 -1 -1\n7",  // something after the last tree
        "argus-trees 1 3 x 0",
        "",
    ])
    func malformedTextIsRefused(_ text: String) {
        #expect(TreeEnsemble(text: text) == nil)
    }

    /// The committed ensembles evaluate as the library that fitted them did (vectors and raw
    /// scores written by tools/fit_trees.py next to the trees, `FittedTreesCheck`).
    @Test func theFittedTreesGiveTheScoresTheyWereFittedWith() throws {
        for (name, trees, checks) in [
            ("decision", TreeEnsemble.fittedDecision, FittedTreesCheck.decision),
            ("join", TreeEnsemble.fittedJoin, FittedTreesCheck.join),
        ] {
            guard let trees else {
                #expect(checks.isEmpty, "\(name): checks without trees")
                continue
            }
            #expect(checks.count >= 10, "\(name)")
            for check in checks {
                #expect(abs(trees.raw(check.vector) - check.raw) < 1e-9, "\(name): \(check.vector)")
            }
        }
        #expect(TreeEnsemble.fittedDecision.map { $0.features == DecisionFeatures.names.count } ?? true)
        #expect(TreeEnsemble.fittedJoin.map { $0.features == JoinFeatures.names.count } ?? true)
    }

    /// Where the match policy decides (a lone browser back at its own address), the trees do not.
    @Test func theHomecomingSituationIsLeftToTheLogisticModel() throws {
        var model = DecisionModel(policy: .household)
        var f = DecisionFeatures(
            top: 7, gap: 8, rivals: 0, address: 3, drift: 0, twins: 0, exact: true, model: 1, crowd: 1, webkit: false,
            privateMode: false, cookiesDisabled: false)
        #expect(f.homecoming)
        let corrected = model.probability(f)
        let alone = 1 / (1 + exp(-model.logisticScore(f.vector)))
        #expect(abs(corrected - alone) < 1e-12)
        // Elsewhere the correction applies: a constant tree moves the probability.
        model.trees = TreeEnsemble(text: "argus-trees 1 1 -2.0 0")
        f.crowd = 3
        #expect(!f.homecoming)
        let lowered = model.probability(f)
        #expect(abs(lowered - 1 / (1 + exp(-(model.logisticScore(f.vector) - 2)))) < 1e-12)
        model.trees = nil
        #expect(model.probability(f) > lowered)
    }

    /// Identical twins score alike: the engine weighs each close candidate with the model and
    /// takes the likeliest, whichever the index found first. Here a tree that prefers the
    /// candidate silent for most of the environment's history (`quietShare`).
    @Test func theModelPicksAmongCloseCandidates() throws {
        let quiet = try #require(DecisionFeatures.names.firstIndex(of: "quietShare"))
        let tree = "argus-trees 1 \(quiet + 1) 0 1\n3\n\(quiet) 0.5 1 2\n-1 -6 -1 -1\n-1 6 -1 -1"
        let ensemble = try #require(TreeEnsemble(text: tree))
        let o = Browser().observation(ip: "70.0.0.1")
        for order in [["silent", "recent"], ["recent", "silent"]] {
            for limit in [4, 1] {
                var model = DecisionModel(policy: .fleet)
                model.trees = ensemble
                model.rerankLimit = limit
                var engine = IdentificationEngine(model: model)
                for id in order {
                    engine.load(Profile(visitorID: id, observation: o, at: id == "silent" ? 1_000 : 999_000))
                }
                let d = engine.identify(
                    o, token: nil, at: 1_000_000, newVisitorID: { "new" }, newInstance: { 7 })
                #expect(d.weighed.count == min(limit, 2))
                if limit == 4 {
                    #expect(d.topCandidate == "silent", "loaded \(order)")
                    #expect(d.weighed.map(\.visitorID).sorted() == ["recent", "silent"])
                } else {
                    #expect(d.topCandidate == d.weighed.first?.visitorID)  // the first of equal scores
                }
            }
        }
    }
}
