import ArgusCore
import ArgusStorage
import Crypto
import Synchronization

public struct SealingKey: Sendable {
    public let id: String
    public let key: SymmetricKey
}

/// Key lookups with a short cache, so that the hot path rarely touches the
/// store while keys that the CLI creates or revokes take effect within
/// `ttlMs` (spec §9: one second) in a running server.
public final class KeyRing: Sendable {
    struct Entry<Value: Sendable>: Sendable {
        let value: Value
        let expiresAt: Int64
    }

    struct Cache: Sendable {
        var publicKeys: [String: Entry<KeyRecord?>] = [:]
        var secretKeys: [String: Entry<KeyRecord?>] = [:]
        var proxySecrets: [String: Entry<[String]>] = [:]
        /// Answers for presented (environment, proxy secret) pairs.
        var proxyAnswers: [String: Entry<Bool>] = [:]
        var sealing: [String: Entry<SealingKey?>] = [:]
        var environments: [String: Entry<EnvironmentRecord?>] = [:]
    }

    let store: any ArgusStore
    let clock: ArgusClock
    let ttlMs: Int64
    /// Unknown keys are cached too; past this many entries a map is emptied, so a flood of bogus keys cannot grow memory.
    let maxEntries = 50_000
    private let cache = Mutex(Cache())

    public init(store: any ArgusStore, clock: ArgusClock, ttlMs: Int64 = 900) {
        self.store = store
        self.clock = clock
        self.ttlMs = ttlMs
    }

    /// An active public key.
    public func publicKey(_ value: String) async throws -> KeyRecord? {
        let now = clock.nowMs()
        if let hit = cache.withLock({ $0.publicKeys[value] }), hit.expiresAt > now { return hit.value }
        let record = try await store.key(publicValue: value).flatMap { $0.isActive && $0.kind == .public ? $0 : nil }
        cache.withLock { c in
            if c.publicKeys.count >= maxEntries { c.publicKeys.removeAll() }
            c.publicKeys[value] = Entry(value: record, expiresAt: now + ttlMs)
        }
        return record
    }

    /// An active secret key for the presented secret.
    public func secretKey(_ secret: String) async throws -> KeyRecord? {
        guard secret.utf8.count <= 256 else { return nil }
        let hash = SecretHash.sha256Hex(secret)
        let now = clock.nowMs()
        if let hit = cache.withLock({ $0.secretKeys[hash] }), hit.expiresAt > now { return hit.value }
        var record = try await store.key(secretHash: hash).flatMap { $0.isActive && $0.kind == .secret ? $0 : nil }
        // The store found the row by its hash; compare once more in constant time.
        if let r = record, !SecretHash.constantTimeEquals(Array((r.secretHash ?? "").utf8), Array(hash.utf8)) { record = nil }
        cache.withLock { c in
            if c.secretKeys.count >= maxEntries { c.secretKeys.removeAll() }
            c.secretKeys[hash] = Entry(value: record, expiresAt: now + ttlMs)
        }
        return record
    }

    /// The environment's active sealed-result key, if it has one.
    public func sealingKey(environmentID: String, secretBox: SecretBox) async throws -> SealingKey? {
        let now = clock.nowMs()
        if let hit = cache.withLock({ $0.sealing[environmentID] }), hit.expiresAt > now { return hit.value }
        let active = try await store.encryptionKeys(environmentID: environmentID).first { $0.status == .active }
        let key = try active.flatMap { record -> SealingKey? in
            let material = try secretBox.open(record.sealedKey)
            return SealingKey(id: record.id, key: SymmetricKey(data: material))
        }
        cache.withLock { c in
            if c.sealing.count >= maxEntries { c.sealing.removeAll() }
            c.sealing[environmentID] = Entry(value: key, expiresAt: now + ttlMs)
        }
        return key
    }

    /// The environment's settings (cached like keys).
    public func environment(_ environmentID: String) async throws -> EnvironmentRecord? {
        let now = clock.nowMs()
        if let hit = cache.withLock({ $0.environments[environmentID] }), hit.expiresAt > now { return hit.value }
        let record = try await store.environment(id: environmentID)
        cache.withLock { c in
            if c.environments.count >= maxEntries { c.environments.removeAll() }
            c.environments[environmentID] = Entry(value: record, expiresAt: now + ttlMs)
        }
        return record
    }

    /// Whether `secret` is an active proxy secret of the environment (or of the workspace).
    public func isProxySecret(_ secret: String, environmentID: String) async throws -> Bool {
        guard !secret.isEmpty, secret.utf8.count <= 256 else { return false }
        let now = clock.nowMs()
        let answerKey = environmentID + "\u{0}" + secret
        if let hit = cache.withLock({ $0.proxyAnswers[answerKey] }), hit.expiresAt > now { return hit.value }
        var hashes: [String]
        if let hit = cache.withLock({ $0.proxySecrets[environmentID] }), hit.expiresAt > now {
            hashes = hit.value
        } else {
            let own = try await store.keys(environmentID: environmentID, kind: .proxy)
            let workspace = try await store.keys(environmentID: nil, kind: .proxy)
            hashes = (own + workspace).filter(\.isActive).compactMap(\.secretHash)
            let fresh = hashes
            cache.withLock { c in
                if c.proxySecrets.count >= maxEntries { c.proxySecrets.removeAll() }
                c.proxySecrets[environmentID] = Entry(value: fresh, expiresAt: now + ttlMs)
            }
        }
        let presented = Array(SecretHash.sha256Hex(secret).utf8)
        var match = false
        for h in hashes where SecretHash.constantTimeEquals(Array(h.utf8), presented) { match = true }
        let answer = match
        cache.withLock { c in
            if c.proxyAnswers.count >= maxEntries { c.proxyAnswers.removeAll() }
            c.proxyAnswers[answerKey] = Entry(value: answer, expiresAt: now + ttlMs)
        }
        return match
    }
}
