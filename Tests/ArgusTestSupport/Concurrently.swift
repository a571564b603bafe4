/// Runs `body(0) … body(count - 1)` at once and reports which of them threw: index → succeeded.
public func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async -> [Int: Bool] {
    await withTaskGroup(of: (Int, Bool).self) { group in
        for i in 0..<count {
            group.addTask {
                do {
                    try await body(i)
                    return (i, true)
                } catch {
                    return (i, false)
                }
            }
        }
        var out: [Int: Bool] = [:]
        for await (i, ok) in group { out[i] = ok }
        return out
    }
}
