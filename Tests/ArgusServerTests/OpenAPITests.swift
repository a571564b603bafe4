import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

/// The served OpenAPI document names exactly the routes that exist.
@Suite struct OpenAPITests {
    /// "METHOD /path" pairs from the document's `paths` (two-space path keys, four-space method keys).
    static func documented(_ yaml: String) -> Set<String> {
        var out: Set<String> = []
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "post", "put", "patch", "delete", "options", "head"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.hasPrefix(" ") && !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.dropFirst(4).split(separator: ":").first.map(String.init) ?? ""
                if methods.contains(key) { out.insert("\(key.uppercased()) \(path)") }
            }
        }
        return out
    }

    @Test func documentAndRouterAgree() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let router = buildRouter(h.runtime)
        let routes = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(r.status == .ok)
            let documented = Self.documented(String(buffer: r.body))
            #expect(documented.count > 15)
            #expect(documented.subtracting(routes).sorted() == [], "documented but not routed")
            #expect(routes.subtracting(documented).sorted() == [], "routed but not documented")
        }
    }
}
