import ArgusCore

/// The storage of the evaluator's simulated browsers (`../shared/eval`, `TokenStore`), played
/// for offline replays through the engine alone: `argus replay` and the population test
/// (`PopulationReplayTests`). A visit's storage mode says what the browser keeps:
/// - `kept`: it sends its token and keeps the one it gets back;
/// - `cleared`: it lost its storage just before this visit, sends nothing, keeps the new token;
/// - anything else (`private`, `disabled`): it sends nothing and keeps nothing.
public struct EvaluatorBrowsers: Sendable {
    private var tokens: [Int64: TokenClaim] = [:]
    private var instances: UInt64 = 0

    public init() {}

    /// Whether a browser with this storage mode keeps the token it gets back.
    public static func keeps(_ storage: String) -> Bool { storage == "kept" || storage == "cleared" }

    /// The token the browser sends at a visit with this storage mode.
    public mutating func outgoing(device: Int64, storage: String) -> TokenClaim? {
        if storage == "cleared" { tokens[device] = nil }
        return Self.keeps(storage) ? tokens[device] : nil
    }

    /// Identifies the visit with `token` (from `outgoing`) and keeps what a browser with this
    /// storage mode would keep of the answer.
    public mutating func identify(
        _ observation: Observation, device: Int64, storage: String, token: TokenClaim?, at time: Int64,
        engine: inout IdentificationEngine
    ) -> Decision {
        let d = engine.identify(
            observation, token: token, at: time, newVisitorID: Identifiers.visitorID,
            newInstance: {
                instances += 1
                return instances
            })
        if Self.keeps(storage) { tokens[device] = TokenClaim(visitorID: d.visitorID, instance: d.instance) }
        return d
    }
}
