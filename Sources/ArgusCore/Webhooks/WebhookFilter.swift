/// Which events an endpoint receives, evaluated on the v4 event document.
/// Absent fields count as `bot: "not_detected"` and `suspect_score: 0`.
/// An empty filter lets every event through.
public struct WebhookFilter: Sendable, Equatable {
    /// Values of the event's `bot` field to deliver ("not_detected", "good", "bad"); nil: any.
    public var bot: [String]?
    /// Deliver only events whose `suspect_score` is at least this; nil: any.
    public var minSuspectScore: Int64?

    public static let botValues = ["not_detected", "good", "bad"]

    public init(bot: [String]? = nil, minSuspectScore: Int64? = nil) {
        self.bot = bot
        self.minSuspectScore = minSuspectScore
    }

    public var isEmpty: Bool { bot == nil && minSuspectScore == nil }

    public func matches(_ event: JSON) -> Bool {
        if let bot {
            let value = event["bot"]?.stringValue ?? "not_detected"
            if !bot.contains(value) { return false }
        }
        if let minSuspectScore {
            let score = event["suspect_score"]?.intValue ?? 0
            if score < minSuspectScore { return false }
        }
        return true
    }

    /// `{"bot": ["bad"], "minSuspectScore": 10}` (both optional).
    public var json: JSON {
        var o = JSONObject()
        if let bot { o.append("bot", JSON(strings: bot)) }
        if let minSuspectScore { o.append("minSuspectScore", .int(minSuspectScore)) }
        return .object(o)
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let s): return s }
        }
    }

    /// Parses and validates the `json` form; unknown keys are refused.
    public static func parse(_ value: JSON) -> Result<WebhookFilter, ParseError> {
        if value.isNull { return .success(WebhookFilter()) }
        guard let o = value.objectValue else { return .failure(.invalid("filter must be an object")) }
        var filter = WebhookFilter()
        for (key, v) in o.entries {
            switch key {
            case "bot":
                guard let items = v.arrayValue, !items.isEmpty else {
                    return .failure(.invalid("filter.bot must be a non-empty array of \(botValues.joined(separator: ", "))"))
                }
                var values: [String] = []
                for item in items {
                    guard let s = item.stringValue, botValues.contains(s) else {
                        return .failure(.invalid("filter.bot values must be among \(botValues.joined(separator: ", "))"))
                    }
                    if !values.contains(s) { values.append(s) }
                }
                filter.bot = values
            case "minSuspectScore":
                guard let n = v.intValue, n >= 0, n <= 1_000_000 else {
                    return .failure(.invalid("filter.minSuspectScore must be an integer from 0"))
                }
                filter.minSuspectScore = n
            default:
                return .failure(.invalid("unknown filter field '\(key)' (expected bot, minSuspectScore)"))
            }
        }
        return .success(filter)
    }
}
