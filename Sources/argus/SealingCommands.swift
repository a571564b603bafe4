import ArgumentParser
import ArgusCore
import ArgusServer
import ArgusStorage

struct EncryptionKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encryption-keys", abstract: "Manage an environment's keys for sealed client results.",
        subcommands: [List.self, Activate.self, Rotate.self, Revert.self, Deactivate.self, Delete.self])

    struct Target: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "Environment name.") var environment: String
        @Flag(help: "Print one JSON object.") var json = false
    }

    static func run(
        _ target: Target, _ body: @Sendable (EncryptionKeys, EnvironmentRecord) async throws -> EncryptionKeys.Shown
    ) async throws {
        try await runCommand {
            let p = try await provisioning(target.store)
            let environment = try await p.environment(named: target.environment)
            let shown = try await body(EncryptionKeys(runtime: p.runtime), environment)
            if target.json {
                printJSON(shown.json)
            } else {
                print("\(shown.record.id)\t\(shown.record.status.rawValue)\t\(shown.base64)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (with their material and seal counts).")
        @OptionGroup var target: Target
        func run() async throws {
            try await runCommand {
                let p = try await provisioning(target.store)
                let keys = try await EncryptionKeys(runtime: p.runtime).list(try await p.environment(named: target.environment))
                if target.json {
                    printJSON(["keys": .array(keys.map(\.json))])
                } else {
                    for k in keys { print("\(k.record.id)\t\(k.record.status.rawValue)\t\(k.record.sealCount) seals\t\(k.base64)") }
                }
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start sealing results (idempotent).")
        @OptionGroup var target: Target
        func run() async throws { try await EncryptionKeysCommand.run(target) { try await $0.activate($1) } }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the next key; with --confirm make it the only active key (the old one is deactivated).")
        @OptionGroup var target: Target
        @Flag(help: "Complete the rotation.") var confirm = false
        func run() async throws {
            let confirm = self.confirm
            try await EncryptionKeysCommand.run(target) { try await $0.rotate($1, confirm: confirm) }
        }
    }

    struct Revert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Go back to the key active before the current one.")
        @OptionGroup var target: Target
        func run() async throws { try await EncryptionKeysCommand.run(target) { try await $0.revert($1) } }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop sealing results.")
        @OptionGroup var target: Target
        func run() async throws { try await EncryptionKeysCommand.run(target) { try await $0.deactivate($1) } }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an inactive key, or a deactivated one 72 hours after its deactivation.")
        @OptionGroup var target: Target
        @Option(help: "The key id (ek_…).") var id: String
        func run() async throws {
            try await runCommand {
                let p = try await provisioning(target.store)
                try await EncryptionKeys(runtime: p.runtime).delete(try await p.environment(named: target.environment), id: id)
                if target.json { printJSON(["id": .string(id), "deleted": true]) } else { print("deleted \(id)") }
            }
        }
    }
}

struct OpenResponseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open-response",
        abstract: "Let proxy integrations (valid FPJS-Proxy-Secret) receive the open client response.",
        subcommands: [Enable.self, Disable.self])

    static func set(_ target: EncryptionKeysCommand.Target, _ enabled: Bool) async throws {
        try await runCommand {
            let p = try await provisioning(target.store)
            let environment = try await p.environment(named: target.environment)
            try await p.setOpenResponse(environment: environment, enabled: enabled)
            if target.json {
                printJSON(["environment": .string(environment.name), "openResponse": .bool(enabled)])
            } else {
                print("open client response \(enabled ? "enabled" : "disabled") for \(environment.name)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        @OptionGroup var target: EncryptionKeysCommand.Target
        func run() async throws { try await OpenResponseCommand.set(target, true) }
    }

    struct Disable: AsyncParsableCommand {
        @OptionGroup var target: EncryptionKeysCommand.Target
        func run() async throws { try await OpenResponseCommand.set(target, false) }
    }
}
