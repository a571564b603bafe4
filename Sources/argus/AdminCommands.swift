import ArgumentParser
import ArgusCore
import ArgusServer
import ArgusStorage
import Logging

/// Opens the store quietly for a one-shot admin command.
func provisioning(_ options: StoreOptions) async throws -> Provisioning {
    var logger = Logger(label: "argus")
    logger.logLevel = .warning
    return Provisioning(runtime: try await ArgusRuntime.open(options.config(), logger: logger))
}

struct Bootstrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ensure the 'default' environment with a public key and proxy secret; issue a new secret key.")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        try await runCommand {
            let b = try await provisioning(store).bootstrap()
            if json {
                printJSON([
                    "environment": .string(b.environment.name), "publicKey": .string(b.publicKey),
                    "secretKey": .string(b.secretKey), "proxySecret": .string(b.proxySecret),
                ])
            } else {
                print("environment:  \(b.environment.name)")
                print("public key:   \(b.publicKey)")
                print("secret key:   \(b.secretKey)   (shown once; stored only as a hash)")
                print("proxy secret: \(b.proxySecret)")
            }
        }
    }
}

struct Environments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "environments", abstract: "Manage environments.", subcommands: [Create.self, List.self, Retention.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an environment.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Name: 1-64 of [A-Za-z0-9_.-].") var name: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await runCommand {
                let e = try await provisioning(store).createEnvironment(name: name)
                if json {
                    printJSON(["id": .string(e.id), "name": .string(e.name), "createdAt": .int(e.createdAt)])
                } else {
                    print("created environment \(e.name) (\(e.id))")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List environments.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await runCommand {
                let all = try await provisioning(store).runtimeStore.environments()
                if json {
                    printJSON([
                        "environments": .array(
                            all.map {
                                [
                                    "id": .string($0.id), "name": .string($0.name), "createdAt": .int($0.createdAt),
                                    "retentionDays": .int(Int64($0.retentionDays)),
                                ]
                            })
                    ])
                } else {
                    for e in all { print("\(e.name)\t\(e.id)\tretention \(e.retentionDays) days") }
                }
            }
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set how many days an environment keeps events and devices (0: forever; default 365).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Environment name.") var environment: String
        @Option(help: "Days to keep (0-36500).") var days: Int
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (0...36_500).contains(days) else { throw ValidationError("--days must be between 0 and 36500") }
        }

        func run() async throws {
            try await runCommand {
                let s = try await provisioning(store).runtimeStore
                guard let e = try await s.environment(named: environment) else {
                    throw ConfigurationError("no environment named \(environment)")
                }
                try await s.setRetention(environmentID: e.id, days: days)
                if json {
                    printJSON(["environment": .string(e.name), "retentionDays": .int(Int64(days))])
                } else {
                    print("environment \(e.name) keeps events and devices for \(days == 0 ? "ever" : "\(days) days")")
                }
            }
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage public keys, secret keys and proxy secrets.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; a secret is shown once.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Environment name; omit for a workspace-wide secret key.") var environment: String?
        @Option(help: "public, secret or proxy.") var kind: String
        @Option(help: "Secret keys: comma-separated scopes (default: all).") var scopes: String?
        @Option(name: .customLong("allowed-origins"), help: "Public keys: comma-separated origins (default: any).")
        var allowedOrigins: String?
        @Option(help: "A label for the key.") var name: String = ""
        @Option(
            help:
                "Requests a second for this key instead of the server's default: public keys on /v1/identify (burst twice that; default ARGUS_PUBLIC_KEY_RATE), secret keys on the Server API (default ARGUS_SECRET_KEY_RATE)."
        )
        var rate: Int?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await runCommand {
                guard let kind = KeyKind(rawValue: kind) else {
                    throw ValidationError("--kind must be public, secret or proxy")
                }
                var scopeList: [Scope]?
                if let scopes {
                    switch Scope.parseList(scopes) {
                    case .success(let s): scopeList = s
                    case .failure(let e): throw ValidationError(e.description)
                    }
                }
                let p = try await provisioning(store)
                var env: EnvironmentRecord?
                if let environment { env = try await p.environment(named: environment) }
                if env == nil && kind != .secret {
                    throw ValidationError("--environment is required for \(kind.rawValue) keys")
                }
                let origins = (allowedOrigins ?? "").split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
                let created = try await p.createKey(
                    environment: env, kind: kind, scopes: scopeList, allowedOrigins: origins, name: name, rate: rate)
                if json {
                    var o: JSON = ["id": .string(created.record.id), "key": .string(created.key), "kind": .string(kind.rawValue)]
                    if case .object(var obj) = o {
                        obj["environment"] = env.map { .string($0.name) } ?? .null
                        if kind == .secret { obj["scopes"] = JSON(strings: created.record.scopes.map(\.rawValue)) }
                        if let rate = created.record.rateLimitPerSecond { obj["rate"] = .int(Int64(rate)) }
                        o = .object(obj)
                    }
                    printJSON(o)
                } else {
                    print("\(created.record.id)\t\(created.key)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id (takes effect within a second).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The key id (key_…).") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await runCommand {
                let p = try await provisioning(store)
                let revoked = try await p.revokeKey(id: id)
                guard revoked else { throw ValidationError("no active key with id \(id)") }
                if json { printJSON(["id": .string(id), "revoked": true]) } else { print("revoked \(id)") }
            }
        }
    }
}
