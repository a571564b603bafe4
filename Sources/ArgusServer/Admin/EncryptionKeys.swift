import ArgusCore
import ArgusStorage
import Crypto
import Foundation

/// The lifecycle of an environment's sealed-result keys (spec §3, seed 002):
/// one inactive key on creation; activate; rotate (the next key is shown,
/// confirmation makes it the only active key); revert; deactivate; no
/// deletion within 72 hours of deactivation; at most one active key at any
/// moment (also enforced by the store).
public struct EncryptionKeys: Sendable {
    let runtime: ArgusRuntime
    var store: any ArgusStore { runtime.store }

    public init(runtime: ArgusRuntime) { self.runtime = runtime }

    public static let deletionDelayMs: Int64 = 72 * 3600 * 1000

    /// A key with its material (base64 of 32 bytes), as shown to its owner.
    public struct Shown: Sendable {
        public let record: EncryptionKeyRecord
        public let key: [UInt8]
        public var base64: String { Data(key).base64EncodedString() }

        public var json: JSON {
            var o: JSON = [
                "id": .string(record.id), "key": .string(base64), "status": .string(record.status.rawValue),
                "createdAt": .int(record.createdAt), "sealCount": .int(record.sealCount),
            ]
            if case .object(var obj) = o {
                if let t = record.activatedAt { obj["activatedAt"] = .int(t) }
                if let t = record.deactivatedAt { obj["deactivatedAt"] = .int(t) }
                o = .object(obj)
            }
            return o
        }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noActiveKey
        case nothingToRevertTo
        case notFound(String)
        case cannotDeleteActive
        case deletionTooSoon(untilMs: Int64)
        case unreadable(String)

        public var description: String {
            switch self {
            case .noActiveKey: return "the environment has no active encryption key"
            case .nothingToRevertTo: return "there is no previous encryption key to revert to"
            case .notFound(let id): return "no encryption key \(id) in this environment"
            case .cannotDeleteActive: return "an active or pending encryption key cannot be deleted"
            case .deletionTooSoon(let until):
                return "a deactivated key cannot be deleted for 72 hours after deactivation (possible from \(until) ms)"
            case .unreadable(let id): return "encryption key \(id) cannot be decrypted with this master key"
            }
        }
    }

    func newKey(_ environment: EnvironmentRecord, status: EncryptionKeyRecord.Status) throws -> EncryptionKeyRecord {
        let material = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return EncryptionKeyRecord(
            id: "ek_" + Identifiers.randomBase62(16), environmentID: environment.id,
            sealedKey: try runtime.secretBox.seal(material), status: status, createdAt: runtime.clock.nowMs())
    }

    func show(_ record: EncryptionKeyRecord) throws -> Shown {
        guard let key = try? runtime.secretBox.open(record.sealedKey), key.count == 32 else { throw Failure.unreadable(record.id) }
        return Shown(record: record, key: key)
    }

    /// The environment's keys, creating its first (inactive) key if it has none.
    public func list(_ environment: EnvironmentRecord) async throws -> [Shown] {
        var keys = try await store.encryptionKeys(environmentID: environment.id)
        if keys.isEmpty {
            let first = try newKey(environment, status: .inactive)
            try await store.saveEncryptionKeys([first])
            keys = [first]
        }
        return try keys.map(show)
    }

    /// Starts sealing: the active key if there is one, else the newest inactive or deactivated key becomes active.
    public func activate(_ environment: EnvironmentRecord) async throws -> Shown {
        let keys = try await list(environment).map(\.record)
        if let active = keys.first(where: { $0.status == .active }) { return try show(active) }
        guard var chosen = keys.last(where: { $0.status == .inactive || $0.status == .deactivated }) else {
            throw Failure.noActiveKey
        }
        chosen.status = .active
        chosen.activatedAt = runtime.clock.nowMs()
        chosen.deactivatedAt = nil
        try await store.saveEncryptionKeys([chosen])
        return try show(chosen)
    }

    /// Without `confirm`: shows the next key (created once, the same on every call).
    /// With `confirm`: the next key becomes the only active key, the old one is deactivated.
    public func rotate(_ environment: EnvironmentRecord, confirm: Bool) async throws -> Shown {
        let keys = try await list(environment).map(\.record)
        guard let active = keys.first(where: { $0.status == .active }) else { throw Failure.noActiveKey }
        let next: EncryptionKeyRecord
        if let pending = keys.first(where: { $0.status == .pending }) {
            next = pending
        } else {
            next = try newKey(environment, status: .pending)
            try await store.saveEncryptionKeys([next])
        }
        guard confirm else { return try show(next) }
        return try await switchActive(from: active, to: next)
    }

    /// Makes `next` the only active key, deactivating `current` (one transaction);
    /// `next` remembers `current` for a revert.
    func switchActive(from current: EncryptionKeyRecord, to next: EncryptionKeyRecord) async throws -> Shown {
        var current = current
        var next = next
        let now = runtime.clock.nowMs()
        current.status = .deactivated
        current.deactivatedAt = now
        next.status = .active
        next.activatedAt = now
        next.deactivatedAt = nil
        next.previousKeyID = current.id
        try await store.saveEncryptionKeys([current, next])
        return try show(next)
    }

    /// Goes back to the key that was active before the current one.
    public func revert(_ environment: EnvironmentRecord) async throws -> Shown {
        let keys = try await list(environment).map(\.record)
        guard let current = keys.first(where: { $0.status == .active }) else { throw Failure.noActiveKey }
        guard let previousID = current.previousKeyID, let previous = keys.first(where: { $0.id == previousID }) else {
            throw Failure.nothingToRevertTo
        }
        return try await switchActive(from: current, to: previous)
    }

    /// Stops sealing.
    public func deactivate(_ environment: EnvironmentRecord) async throws -> Shown {
        let keys = try await list(environment).map(\.record)
        guard var active = keys.first(where: { $0.status == .active }) else { throw Failure.noActiveKey }
        active.status = .deactivated
        active.deactivatedAt = runtime.clock.nowMs()
        try await store.saveEncryptionKeys([active])
        return try show(active)
    }

    /// Deletes an inactive key, or a deactivated one 72 hours after its deactivation.
    public func delete(_ environment: EnvironmentRecord, id: String) async throws {
        let keys = try await store.encryptionKeys(environmentID: environment.id)
        guard let key = keys.first(where: { $0.id == id }) else { throw Failure.notFound(id) }
        switch key.status {
        case .active, .pending: throw Failure.cannotDeleteActive
        case .deactivated:
            let until = (key.deactivatedAt ?? 0) + Self.deletionDelayMs
            if runtime.clock.nowMs() < until { throw Failure.deletionTooSoon(untilMs: until) }
        case .inactive: break
        }
        try await store.deleteEncryptionKey(id: id)
    }
}
