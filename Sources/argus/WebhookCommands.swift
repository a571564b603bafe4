import ArgumentParser
import ArgusCore
import ArgusServer
import ArgusStorage

/// `argus webhooks …` (spec §4, §9). Changes reach a running server at once:
/// the server reads endpoints from the database inside each event's transaction.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Manage webhook endpoints and redeliver failed deliveries.",
        subcommands: [Create.self, List.self, Enable.self, Disable.self, Delete.self, Redeliver.self])

    struct Target: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "Environment name.") var environment: String
        @Flag(help: "Print one JSON object.") var json = false
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an endpoint; prints its id and signing secret.")
        @OptionGroup var target: Target
        @Option(help: "The receiver's http:// or https:// URL.") var url: String
        @Option(name: .customLong("basic-auth"), help: "USER:PASSWORD for HTTP Basic auth.") var basicAuth: String?
        @Option(help: "Deliver only events whose bot verdict is among these (comma-separated: not_detected,good,bad).")
        var bot: String?
        @Option(name: .customLong("min-suspect-score"), help: "Deliver only events with suspect_score at least this.")
        var minSuspectScore: Int?
        @Flag(help: "Create it disabled.") var disabled = false

        func run() async throws {
            try await runCommand {
                var filterJSON = JSONObject()
                if let bot { filterJSON.append("bot", JSON(strings: bot.split(separator: ",").map(String.init))) }
                if let minSuspectScore { filterJSON.append("minSuspectScore", .int(Int64(minSuspectScore))) }
                let filter: WebhookFilter
                switch WebhookFilter.parse(.object(filterJSON)) {
                case .success(let f): filter = f
                case .failure(let e): throw ValidationError(e.description)
                }
                var auth: Webhooks.BasicAuth?
                if let basicAuth {
                    let parts = basicAuth.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw ValidationError("--basic-auth must be USER:PASSWORD") }
                    auth = Webhooks.BasicAuth(username: String(parts[0]), password: String(parts[1]))
                }
                let p = try await provisioning(target.store)
                let env = try await p.environment(named: target.environment)
                let created = try await Webhooks(runtime: p.runtime).create(
                    environment: env, url: url, basicAuth: auth, filter: filter, enabled: !disabled)
                if target.json {
                    printJSON(["id": .string(created.record.id), "secret": .string(created.secret)])
                } else {
                    print("\(created.record.id)\t\(created.secret)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the environment's endpoints with delivery counts.")
        @OptionGroup var target: Target

        func run() async throws {
            try await runCommand {
                let p = try await provisioning(target.store)
                let env = try await p.environment(named: target.environment)
                var rows: [JSON] = []
                for w in try await Webhooks(runtime: p.runtime).list(env) {
                    let counts = try await p.runtime.store.webhookDeliveryCounts(endpointID: w.id)
                    guard case .object(var o) = w.json else { continue }
                    o.append(
                        "deliveries",
                        .object(JSONObject(WebhookDeliveryStatus.allCases.map { ($0.rawValue, .int(Int64(counts[$0] ?? 0))) })))
                    rows.append(.object(o))
                    if !target.json {
                        let c = WebhookDeliveryStatus.allCases.map { "\($0.rawValue)=\(counts[$0] ?? 0)" }.joined(separator: " ")
                        print("\(w.id)\t\(w.enabled ? "enabled" : "disabled")\t\(w.url)\t\(c)")
                    }
                }
                if target.json { printJSON(["webhooks": .array(rows)]) }
            }
        }
    }

    static func change(_ target: Target, id: String, _ change: Webhooks.Change) async throws {
        try await runCommand {
            let p = try await provisioning(target.store)
            let env = try await p.environment(named: target.environment)
            let w = try await Webhooks(runtime: p.runtime).update(env, id: id, change: change)
            if target.json { printJSON(w.json) } else { print("\(w.id)\t\(w.enabled ? "enabled" : "disabled")") }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable an endpoint.")
        @OptionGroup var target: Target
        @Argument(help: "The webhook id (wh_…).") var id: String
        func run() async throws { try await WebhooksCommand.change(target, id: id, .init(enabled: true)) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an endpoint: new events are not queued for it; queued deliveries wait until it is enabled.")
        @OptionGroup var target: Target
        @Argument(help: "The webhook id (wh_…).") var id: String
        func run() async throws { try await WebhooksCommand.change(target, id: id, .init(enabled: false)) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint with its queued deliveries and log.")
        @OptionGroup var target: Target
        @Argument(help: "The webhook id (wh_…).") var id: String

        func run() async throws {
            try await runCommand {
                let p = try await provisioning(target.store)
                let env = try await p.environment(named: target.environment)
                try await Webhooks(runtime: p.runtime).delete(env, id: id)
                if target.json { printJSON(["id": .string(id), "deleted": true]) } else { print("deleted \(id)") }
            }
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue an endpoint's failed deliveries again (or one delivery with --delivery).")
        @OptionGroup var target: Target
        @Argument(help: "The webhook id (wh_…).") var id: String
        @Option(help: "One delivery id (whd_…), failed or delivered.") var delivery: String?

        func run() async throws {
            try await runCommand {
                let p = try await provisioning(target.store)
                let env = try await p.environment(named: target.environment)
                let n = try await Webhooks(runtime: p.runtime).redeliver(env, id: id, deliveryID: delivery)
                if target.json { printJSON(["redelivered": .int(Int64(n))]) } else { print("redelivered \(n)") }
            }
        }
    }
}
