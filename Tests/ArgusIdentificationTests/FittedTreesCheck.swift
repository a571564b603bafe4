/// What tools/fit_trees.py wrote next to the committed trees (`Fitted*TreesCheck.swift`).
enum FittedTreesCheck {
    typealias Check = (vector: [Double], raw: Double)
}
