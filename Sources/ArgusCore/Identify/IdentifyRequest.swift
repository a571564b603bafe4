/// A validated `POST /v1/identify` body (agent protocol v1).
public struct IdentifyRequest: Sendable {
    public var publicKey: String
    public var token: String?
    public var linkedID: String?
    public var tag: JSONObject?
    public var url: String?
    public var referrer: String?
    public var components: Components

    public static let maxBodyBytes = 64 * 1024
    public static let maxLinkedIDLength = 256
    public static let maxTagBytes = 16 * 1024
    public static let maxURLLength = 8 * 1024
}

/// One reason a request body was refused, named by its JSON path.
public struct FieldProblem: Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let problem: String
    public var description: String { "\(field): \(problem)" }
}

public struct IdentifyValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let problems: [FieldProblem]
    public var fields: [String] { problems.map(\.field) }
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

extension IdentifyRequest {
    /// Validates a parsed body. Every problem is reported, not only the first.
    public static func validate(_ body: JSON) -> Result<IdentifyRequest, IdentifyValidationError> {
        guard case .object(let o) = body else {
            return .failure(.init(problems: [.init(field: "body", problem: "expected a JSON object, got \(body.typeName)")]))
        }
        var problems: [FieldProblem] = []
        func fail(_ field: String, _ problem: String) { problems.append(.init(field: field, problem: problem)) }

        switch o["v"] {
        case nil: fail("v", "required (protocol version 1)")
        case .some(let v) where v.intValue == 1: break
        case .some(let v): fail("v", v.intValue != nil ? "unsupported protocol version" : "expected the integer 1, got \(v.typeName)")
        }

        var publicKey = ""
        switch o["publicKey"] {
        case .string(let s) where !s.isEmpty && s.utf8.count <= 128: publicKey = s
        case .string: fail("publicKey", "must be 1 to 128 characters")
        case nil, .null?: fail("publicKey", "required")
        case .some(let v): fail("publicKey", "expected a string, got \(v.typeName)")
        }

        func optionalString(_ key: String, maxLength: Int) -> String? {
            switch o[key] {
            case nil, .null?: return nil
            case .string(let s):
                if s.count > maxLength { fail(key, "longer than \(maxLength) characters") }
                return s
            case .some(let v):
                fail(key, "expected a string or null, got \(v.typeName)")
                return nil
            }
        }
        let token = optionalString("token", maxLength: 4096)
        let linkedID = optionalString("linkedId", maxLength: maxLinkedIDLength)
        let url = optionalString("url", maxLength: maxURLLength)
        let referrer = optionalString("referrer", maxLength: maxURLLength)

        var tag: JSONObject?
        switch o["tag"] {
        case nil, .null?: break
        case .object(let t):
            if JSONWriter.bytes(.object(t)).count > maxTagBytes { fail("tag", "larger than \(maxTagBytes) bytes") }
            tag = t
        case .some(let v): fail("tag", "expected an object or null, got \(v.typeName)")
        }

        var components = Components(raw: JSONObject())
        switch o["components"] {
        case .object(let c):
            problems.append(contentsOf: Components.check(c))
            components = Components(raw: c)
        case nil, .null?: fail("components", "required")
        case .some(let v): fail("components", "expected an object, got \(v.typeName)")
        }

        if !problems.isEmpty { return .failure(.init(problems: problems)) }
        return .success(
            IdentifyRequest(
                publicKey: publicKey, token: token, linkedID: linkedID, tag: tag, url: url, referrer: referrer,
                components: components))
    }
}
