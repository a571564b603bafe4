import Foundation

/// What a secret key may do (spec §1).
public enum Scope: String, Sendable, CaseIterable, Codable {
    case readEvents = "read:events"
    case writeEvents = "write:events"
    case deleteVisitors = "delete:visitors"
    case readDevice = "read:device"
    case export
    case ingest
    case risk
    case admin

    /// Parses a comma-separated list; `nil` names the first unknown scope.
    public static func parseList(_ s: String) -> Result<[Scope], UnknownScope> {
        var scopes: [Scope] = []
        for part in s.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            guard let scope = Scope(rawValue: name) else { return .failure(UnknownScope(name: name)) }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return .success(scopes)
    }

    public struct UnknownScope: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "unknown scope '\(name)' (known: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}

/// The kinds of key an environment (or the workspace) holds.
public enum KeyKind: String, Sendable, CaseIterable, Codable {
    case `public`
    case secret
    case proxy
}
