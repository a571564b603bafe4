import ArgusCore
import ArgusStorage

/// Environments and keys: what `argus bootstrap`, `argus environments …`,
/// `argus keys …` and the admin API do.
public struct Provisioning: Sendable {
    public let runtime: ArgusRuntime
    var store: any ArgusStore { runtime.store }

    public init(runtime: ArgusRuntime) { self.runtime = runtime }

    public struct CreatedKey: Sendable {
        public let record: KeyRecord
        /// The key as the user must present it; shown once for secrets.
        public let key: String
    }

    public struct Bootstrap: Sendable {
        public let environment: EnvironmentRecord
        public let publicKey: String
        public let secretKey: String
        public let proxySecret: String
    }

    public enum ProvisioningError: Error, CustomStringConvertible {
        case environmentExists(String)
        case environmentNotFound(String)
        case invalidName(String)
        case scopesNotAllowed(KeyKind)
        case rateNotAllowed(KeyKind)
        case invalidRate(Int)
        case cannotRevealProxySecret

        public var description: String {
            switch self {
            case .environmentExists(let n): return "environment '\(n)' exists"
            case .environmentNotFound(let n): return "no environment named '\(n)'"
            case .invalidName(let n): return "invalid environment name '\(n)': use 1-64 of [A-Za-z0-9_.-]"
            case .scopesNotAllowed(let k): return "scopes apply to secret keys only, not \(k.rawValue) keys"
            case .rateNotAllowed(let k): return "a rate applies to public and secret keys, not \(k.rawValue) secrets"
            case .invalidRate(let r): return "invalid rate \(r): requests a second, 1 or more"
            case .cannotRevealProxySecret: return "the stored proxy secret cannot be decrypted with this master key"
            }
        }
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    public func createEnvironment(name: String) async throws -> EnvironmentRecord {
        guard Self.isValidName(name) else { throw ProvisioningError.invalidName(name) }
        let record = EnvironmentRecord(id: Identifiers.environmentID(), name: name, createdAt: runtime.clock.nowMs())
        do {
            try await store.createEnvironment(record)
        } catch StoreError.conflict {
            throw ProvisioningError.environmentExists(name)
        }
        _ = try await EncryptionKeys(runtime: runtime).list(record)  // a new environment has one inactive key
        return record
    }

    public func environment(named name: String) async throws -> EnvironmentRecord {
        guard let e = try await store.environment(named: name) else { throw ProvisioningError.environmentNotFound(name) }
        return e
    }

    /// Creates a key. `environment` nil: a workspace-wide key.
    /// `rate`: requests a second this key may make instead of the server's default: a public key
    /// on `/v1/identify` (burst twice that), a secret key on the Server API.
    public func createKey(
        environment: EnvironmentRecord?, kind: KeyKind, scopes: [Scope]? = nil, allowedOrigins: [String] = [], name: String = "",
        rate: Int? = nil
    ) async throws -> CreatedKey {
        let now = runtime.clock.nowMs()
        let id = Identifiers.keyID()
        if let rate {
            if kind == .proxy { throw ProvisioningError.rateNotAllowed(kind) }
            if rate < 1 { throw ProvisioningError.invalidRate(rate) }
        }
        switch kind {
        case .public:
            if scopes != nil { throw ProvisioningError.scopesNotAllowed(kind) }
            let value = Identifiers.publicKey()
            let record = KeyRecord(
                id: id, environmentID: environment?.id, kind: .public, publicValue: value, allowedOrigins: allowedOrigins,
                name: name, createdAt: now, rateLimitPerSecond: rate)
            try await store.insertKey(record)
            return CreatedKey(record: record, key: value)
        case .secret:
            let secret = Identifiers.secretKey()
            let record = KeyRecord(
                id: id, environmentID: environment?.id, kind: .secret, secretHash: SecretHash.sha256Hex(secret),
                scopes: scopes ?? Scope.allCases, name: name, createdAt: now, rateLimitPerSecond: rate)
            try await store.insertKey(record)
            return CreatedKey(record: record, key: secret)
        case .proxy:
            if scopes != nil { throw ProvisioningError.scopesNotAllowed(kind) }
            let secret = Identifiers.proxySecret()
            let record = KeyRecord(
                id: id, environmentID: environment?.id, kind: .proxy, secretHash: SecretHash.sha256Hex(secret),
                sealedSecret: try runtime.secretBox.seal(Array(secret.utf8)), name: name, createdAt: now)
            try await store.insertKey(record)
            return CreatedKey(record: record, key: secret)
        }
    }

    /// Ensures the `default` environment with a public key and a proxy secret
    /// (created on the first call, the same ones later) and issues a fresh
    /// secret key with every scope.
    public func bootstrap() async throws -> Bootstrap {
        let name = "default"
        var environment = try await store.environment(named: name)
        if environment == nil {
            do {
                environment = try await createEnvironment(name: name)
            } catch ProvisioningError.environmentExists {
                environment = try await store.environment(named: name)  // created meanwhile by another process
            }
        }
        guard let environment else { throw ProvisioningError.environmentNotFound(name) }

        let publicKey: String
        if let existing = try await store.keys(environmentID: environment.id, kind: .public).first(where: \.isActive),
            let value = existing.publicValue
        {
            publicKey = value
        } else {
            publicKey = try await createKey(environment: environment, kind: .public, name: "bootstrap").key
        }

        let proxySecret: String
        if let existing = try await store.keys(environmentID: environment.id, kind: .proxy).first(where: \.isActive),
            let sealed = existing.sealedSecret
        {
            guard let bytes = try? runtime.secretBox.open(sealed) else { throw ProvisioningError.cannotRevealProxySecret }
            proxySecret = String(decoding: bytes, as: UTF8.self)
        } else {
            proxySecret = try await createKey(environment: environment, kind: .proxy, name: "bootstrap").key
        }

        let secret = try await createKey(environment: environment, kind: .secret, name: "bootstrap").key
        return Bootstrap(environment: environment, publicKey: publicKey, secretKey: secret, proxySecret: proxySecret)
    }
}

extension Provisioning {
    public var runtimeStore: any ArgusStore { store }

    public func setOpenResponse(environment: EnvironmentRecord, enabled: Bool) async throws {
        try await store.setOpenResponse(environmentID: environment.id, enabled: enabled)
    }

    public func revokeKey(id: String) async throws -> Bool {
        try await store.revokeKey(id: id, at: runtime.clock.nowMs())
    }
}
