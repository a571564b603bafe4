import ArgumentParser
import ArgusCore
import ArgusServer
import Foundation

@main
struct Argus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "argus",
        abstract: "Argus: self-hosted device intelligence.",
        subcommands: [
            Serve.self, Bootstrap.self, Environments.self, Keys.self, EncryptionKeysCommand.self, OpenResponseCommand.self,
            WebhooksCommand.self, BenchmarkWebhookSink.self,
            Replay.self, BenchmarkEngine.self, BenchmarkSeal.self, BenchmarkSignals.self, BenchmarkBIN.self, BenchmarkPipeline.self, BenchmarkStore.self, SeedVisitors.self,
        ])
}

/// Options every command takes (spec §9).
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory of the embedded SQLite database (default ./argus-data, or ARGUS_DATA_DIR).")
    var dataDirectory: String?

    func config() -> ArgusConfig {
        var config = ArgusConfig.fromEnvironment()
        if let dataDirectory { config.dataDirectory = dataDirectory }
        return config
    }
}

/// Runs `body`; prints an error to stderr and exits non-zero instead of a stack of Swift errors.
func runCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("argus: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints exactly one JSON object on stdout.
func printJSON(_ value: JSON) {
    FileHandle.standardOutput.write(Data(JSONWriter.bytes(value) + [0x0A]))
}
