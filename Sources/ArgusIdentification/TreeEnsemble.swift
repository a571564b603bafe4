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
///
/// Evaluation walks `lanes` trees side by side: one tree's walk is a chain of dependent loads
/// (node, then feature, then the next node), and independent chains overlap in the processor.
/// A leaf points to itself both ways, so a lane that reached its leaf stays there while the
/// others finish their group's deepest path.
public struct TreeEnsemble: Sendable, Equatable {
    /// Flattened nodes of every tree, 16 bytes each (four to a cache line: the walk waits on
    /// memory more than on arithmetic once other requests have pushed the nodes out of cache).
    struct Node: Sendable, Equatable {
        /// The split threshold, or the leaf's value.
        var value: Double
        /// Children (absolute indices); a leaf's are itself.
        var left: Int32
        /// The right child (low 24 bits) and the feature a split reads (high 8 bits; 0 in a
        /// leaf: read, then ignored).
        var rightAndFeature: UInt32

        init(feature: Int32, left: Int32, right: Int32, value: Double) {
            self.value = value
            self.left = left
            rightAndFeature = UInt32(feature) << 24 | UInt32(right)
        }

        @inline(__always) var feature: Int { Int(rightAndFeature >> 24) }
        @inline(__always) var right: Int32 { Int32(rightAndFeature & 0xFF_FFFF) }
    }

    /// The most features and nodes the packed layout holds.
    static let maxFeatures = 256
    static let maxNodes = 1 << 24

    /// Trees walked side by side.
    static let lanes = 8

    public let base: Double
    /// How many features a vector must have.
    public let features: Int
    let nodes: [Node]
    /// Where each tree's root is in `nodes`.
    let roots: [Int32]
    /// Per group of `lanes` consecutive trees (the last may be shorter): the most splits on any
    /// path from one of its roots to a leaf.
    let groupDepths: [Int32]

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
                    let here = Int32(nodes.count)
                    nodes.append(Node(feature: 0, left: here, right: here, value: value))
                } else {
                    // Children must exist within this tree and lie after their parent: no cycles.
                    let here = nodes.count - start
                    guard feature < features, features <= Self.maxFeatures, left > here, right > here, left < count, right < count
                    else { return nil }
                    nodes.append(Node(feature: Int32(feature), left: Int32(start + left), right: Int32(start + right), value: value))
                }
            }
        }
        guard words.isEmpty, nodes.count <= Self.maxNodes else { return nil }
        self.base = base
        self.features = features
        self.nodes = nodes
        self.roots = roots
        // Children lie after their parent, so one backward pass gives every node's height.
        var height = [Int32](repeating: 0, count: nodes.count)
        for i in nodes.indices.reversed() where nodes[i].left != Int32(i) {
            height[i] = 1 + max(height[Int(nodes[i].left)], height[Int(nodes[i].right)])
        }
        groupDepths = stride(from: 0, to: roots.count, by: Self.lanes).map { start in
            roots[start..<min(roots.count, start + Self.lanes)].map { height[Int($0)] }.max() ?? 0
        }
    }

    /// Two ensembles are equal when they compute the same function the same way (the group
    /// depths follow from the nodes).
    public static func == (a: TreeEnsemble, b: TreeEnsemble) -> Bool {
        a.base == b.base && a.features == b.features && a.nodes == b.nodes && a.roots == b.roots
    }

    /// The raw score (log-odds) of a vector of at least `features` values. Leaf values are
    /// added in tree order, as a one-at-a-time walk would.
    public func raw(_ x: [Double]) -> Double { raw([x])[0] }

    /// The raw scores of several vectors, each as `raw(_:)` gives it. Each group of trees is
    /// walked for every vector before the next group, so its nodes are fetched from memory
    /// once for all of them (the close candidates of one visit are weighed together).
    public func raw(_ xs: [[Double]]) -> [Double] {
        for x in xs { precondition(x.count >= features, "a vector of \(x.count) values for \(features) features") }
        var sums = [Double](repeating: base, count: xs.count)
        nodes.withUnsafeBufferPointer { nodes in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Self.lanes) { lane in
                var start = 0
                for depth in groupDepths {
                    let width = min(Self.lanes, roots.count - start)
                    for (v, vector) in xs.enumerated() {
                        vector.withUnsafeBufferPointer { x in
                            for k in 0..<width { lane[k] = Int(roots[start + k]) }
                            if width == Self.lanes {
                                for _ in 0..<depth {
                                    for k in 0..<Self.lanes {
                                        lane[k] = Self.step(nodes[lane[k]], x)
                                    }
                                }
                            } else {
                                for k in 0..<width {
                                    var i = lane[k]
                                    while nodes[i].left != Int32(i) {
                                        let n = nodes[i]
                                        i = Int(x[n.feature] <= n.value ? n.left : n.right)
                                    }
                                    lane[k] = i
                                }
                            }
                            for k in 0..<width { sums[v] += nodes[lane[k]].value }
                        }
                    }
                    start += width
                }
            }
        }
        return sums
    }

    /// The child a vector goes to, chosen without a branch (a walk's turns are as good as
    /// random to a branch predictor).
    @inline(__always)
    static func step(_ n: Node, _ x: UnsafeBufferPointer<Double>) -> Int {
        let right = Int(unsafeBitCast(!(x[n.feature] <= n.value), to: UInt8.self))
        return Int(n.left) &+ ((Int(n.right) &- Int(n.left)) & (0 &- right))
    }

    /// The logistic of `raw`.
    public func probability(_ x: [Double]) -> Double {
        1 / (1 + exp(-raw(x)))
    }
}
