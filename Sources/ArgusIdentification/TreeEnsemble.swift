import Foundation

/// A boosted ensemble of binary regression trees over a feature vector: the raw score is
/// `base` plus one leaf value per tree, and the probability its logistic. Used by
/// `DecisionModel` for P(the best candidate is this browser), where it replaced a single
/// logistic term per feature: the evaluator's cases hinge on interactions (a lone exact look at
/// an address of its own is one thing in a household and another in an office; a WebKit
/// browser's silence means one thing with a known address and another without) that a sum of
/// per-feature terms cannot express.
///
/// Text form (written by tools/fit_trees.py), whitespace-separated numbers:
///
///     argus-trees 1 <features> <base> <trees>
///     <nodes>   then, per node:  <feature> <threshold or leaf value> <left> <right>
///
/// A node with feature −1 is a leaf; otherwise a value `x[feature] <= threshold` goes to
/// `left`, anything else (NaN included) to `right`. Child indices count within the tree.
public struct TreeEnsemble: Sendable, Equatable {
    /// Flattened nodes of every tree.
    struct Node: Sendable, Equatable {
        var feature: Int32
        var left: Int32
        var right: Int32
        /// The split threshold, or the leaf's value.
        var value: Double
    }

    public let base: Double
    /// How many features a vector must have.
    public let features: Int
    let nodes: [Node]
    /// Where each tree's root is in `nodes`.
    let roots: [Int32]

    public var treeCount: Int { roots.count }

    public init?(text: String) {
        var words = text.split(whereSeparator: \.isWhitespace)[...]
        func next() -> Substring? { words.popFirst() }
        func int() -> Int? { next().flatMap { Int($0) } }
        func double() -> Double? { next().flatMap { Double($0) } }
        guard next() == "argus-trees", int() == 1, let features = int(), features > 0, let base = double(),
            let trees = int(), trees >= 0
        else { return nil }
        var nodes: [Node] = []
        var roots: [Int32] = []
        for _ in 0..<trees {
            guard let count = int(), count > 0 else { return nil }
            let start = nodes.count
            roots.append(Int32(start))
            for _ in 0..<count {
                guard let feature = int(), let value = double(), let left = int(), let right = int() else { return nil }
                if feature < 0 {
                    nodes.append(Node(feature: -1, left: -1, right: -1, value: value))
                } else {
                    // Children must exist within this tree and lie after their parent: no cycles.
                    let here = nodes.count - start
                    guard feature < features, left > here, right > here, left < count, right < count else { return nil }
                    nodes.append(Node(feature: Int32(feature), left: Int32(start + left), right: Int32(start + right), value: value))
                }
            }
        }
        guard words.isEmpty else { return nil }
        self.base = base
        self.features = features
        self.nodes = nodes
        self.roots = roots
    }

    /// The raw score (log-odds) of a vector of at least `features` values.
    public func raw(_ x: [Double]) -> Double {
        precondition(x.count >= features, "a vector of \(x.count) values for \(features) features")
        var sum = base
        nodes.withUnsafeBufferPointer { nodes in
            x.withUnsafeBufferPointer { x in
                for root in roots {
                    var i = Int(root)
                    while nodes[i].feature >= 0 {
                        let n = nodes[i]
                        i = Int(x[Int(n.feature)] <= n.value ? n.left : n.right)
                    }
                    sum += nodes[i].value
                }
            }
        }
        return sum
    }

    /// The logistic of `raw`.
    public func probability(_ x: [Double]) -> Double {
        1 / (1 + exp(-raw(x)))
    }
}
