/// The signals the agent collected. Known components are type-checked;
/// unknown ones are kept as they came (the agent may send more than the
/// protocol lists) and every one may be missing or null.
public struct Components: Sendable, Equatable {
    public let raw: JSONObject

    public init(raw: JSONObject) { self.raw = raw }

    public subscript(key: String) -> JSON? {
        guard let v = raw[key], !v.isNull else { return nil }
        return v
    }

    public var userAgent: String? { self["userAgent"]?.stringValue }
    public var platform: String? { self["platform"]?.stringValue }
    public var vendor: String? { self["vendor"]?.stringValue }
    public var languages: [String]? { self["languages"]?.arrayValue?.compactMap(\.stringValue) }
    public var timezone: String? { self["timezone"]?.stringValue }
    public var timezoneOffset: Int64? { self["timezoneOffset"]?.intValue }
    public var screen: JSONObject? { self["screen"]?.objectValue }
    public var hardwareConcurrency: Int64? { self["hardwareConcurrency"]?.intValue }
    public var deviceMemory: Double? { self["deviceMemory"]?.doubleValue }
    public var maxTouchPoints: Int64? { self["maxTouchPoints"]?.intValue }
    public var canvas: String? { self["canvas"]?.stringValue }
    public var webglVendor: String? { self["webglVendor"]?.stringValue }
    public var webglRenderer: String? { self["webglRenderer"]?.stringValue }
    public var audio: Double? { self["audio"]?.doubleValue }
    public var fonts: [String]? { self["fonts"]?.arrayValue?.compactMap(\.stringValue) }
    public var storageQuota: Double? { self["storageQuota"]?.doubleValue }
    /// `cacheUsage` (`[before, afterFirst, afterSecond]`, Chromium's Cache Storage usage around
    /// two writes whose bodies differ by one byte) shows a backend that charges every byte: the
    /// in-memory one of an off-the-record (incognito) profile. On disk Chromium charges whole
    /// 256-byte blocks, so both writes cost the same. A disturbed reading gives false, never a
    /// false alarm (docs/signals.md, "Incognito").
    public var cacheUsageCountsBytes: Bool {
        guard let r = self["cacheUsage"]?.arrayValue, r.count == 3,
            let before = r[0].intValue, let first = r[1].intValue, let second = r[2].intValue
        else { return false }
        let one = first - before
        return one > 0 && second - first == one + 1
    }
    public var cookiesEnabled: Bool? { self["cookiesEnabled"]?.boolValue }
    public var webdriver: Bool? { self["webdriver"]?.boolValue }

    enum Kind {
        case string, integer, number, boolean, strings, screen
    }

    /// The protocol's typed components (agent-protocol.md, "Types").
    static let schema: [String: Kind] = [
        "userAgent": .string, "platform": .string, "vendor": .string, "timezone": .string,
        "canvas": .string, "webglVendor": .string, "webglRenderer": .string,
        "languages": .strings, "fonts": .strings,
        "timezoneOffset": .integer, "hardwareConcurrency": .integer, "maxTouchPoints": .integer,
        "deviceMemory": .number, "audio": .number, "storageQuota": .number,
        "cookiesEnabled": .boolean, "webdriver": .boolean,
        "screen": .screen,
    ]

    static let screenIntegers = ["width", "height", "colorDepth"]

    static func check(_ c: JSONObject) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        for (key, value) in c.entries {
            guard let kind = schema[key], !value.isNull else { continue }
            let path = "components.\(key)"
            if let problem = problem(value, kind) { problems.append(.init(field: path, problem: problem)) }
            if kind == .screen, case .object(let s) = value {
                for (k, v) in s.entries where !v.isNull {
                    let expected: Kind = screenIntegers.contains(k) ? .integer : (k == "pixelRatio" ? .number : .string)
                    if expected == .string { continue }  // unknown screen fields are kept as they are
                    if let problem = problem(v, expected) { problems.append(.init(field: "\(path).\(k)", problem: problem)) }
                }
            }
        }
        return problems
    }

    static func problem(_ v: JSON, _ kind: Kind) -> String? {
        switch kind {
        case .string:
            return v.stringValue == nil ? "expected a string or null, got \(v.typeName)" : nil
        case .integer:
            return v.intValue == nil ? "expected an integer or null, got \(describe(v))" : nil
        case .number:
            return v.doubleValue == nil ? "expected a number or null, got \(v.typeName)" : nil
        case .boolean:
            return v.boolValue == nil ? "expected a boolean or null, got \(v.typeName)" : nil
        case .strings:
            guard let a = v.arrayValue else { return "expected an array of strings or null, got \(v.typeName)" }
            return a.allSatisfy({ $0.stringValue != nil }) ? nil : "expected an array of strings"
        case .screen:
            return v.objectValue == nil ? "expected an object or null, got \(v.typeName)" : nil
        }
    }

    static func describe(_ v: JSON) -> String {
        if case .double = v { return "a fractional number" }
        return v.typeName
    }
}
