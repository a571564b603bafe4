import ArgusCore
import Foundation

/// Test data under Fixtures/ (sources named in Fixtures/README.md).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The `components` object of an identify request body stored as a fixture.
    static func components(_ name: String) throws -> Components {
        let body = try JSONParser.parse(try bytes(name))
        return Components(raw: body.objectValue?["components"]?.objectValue ?? JSONObject())
    }

    /// Ordinary visits of the evaluator's simulated population: (private window?, components).
    static func evalVisits() throws -> [(isPrivate: Bool, components: Components)] {
        let data = try bytes("eval-visits-seed77.jsonl")
        return try data.split(separator: UInt8(ascii: "\n")).map { line in
            let o = try JSONParser.parse(Array(line)).objectValue!
            return (o["private"]?.boolValue == true, Components(raw: o["components"]!.objectValue!))
        }
    }
}
