import ArgusCore
import ArgusIdentification
import ArgusStorage
import Synchronization

/// Runs the identification engine for every environment. Each environment's
/// index is rebuilt from the store on first use (or at start through
/// `warmUp`) and then kept in memory; decisions run under a lock, and the
/// visitor's new profile is persisted with the event.
public final class FuzzyIdentifier: VisitorIdentifier {
    let store: any ArgusStore
    let engines = Mutex<[String: IdentificationEngine]>([:])
    /// The environments in `engines`, under a lock of their own: a request checks here that its
    /// environment is loaded without waiting for another request's decision to finish.
    let loaded = Mutex<Set<String>>([])
    /// Where each loaded environment stands in the store's change feed (a shared store only).
    let cursors = Mutex<[String: VisitorChangeCursor]>([:])
    let loader: Loader
    let weights: Weights
    let model: DecisionModel

    public init(store: any ArgusStore, weights: Weights = Weights(), model: DecisionModel = DecisionModel()) {
        self.store = store
        self.weights = weights
        self.model = model
        self.loader = Loader(store: store)
    }

    public func warmUp() async throws {
        for environment in try await store.environments() { try await ensureLoaded(environment.id) }
    }

    public func resolve(_ visit: Visit) async throws -> Resolution {
        try await ensureLoaded(visit.environmentID)
        let observation = Observation(
            components: visit.request.components, clientIP: visit.clientIP, url: visit.request.url,
            referrer: visit.request.referrer)
        let claim = visit.token.flatMap {
            $0.environmentID == visit.environmentID ? TokenClaim(visitorID: $0.visitorID, instance: $0.instance) : nil
        }
        // The engine is reached in place (`inout`): reading it out of the dictionary would copy
        // it, retaining and releasing every buffer it holds, with the lock held.
        func decide(_ engine: inout IdentificationEngine) -> (Decision, (same: Int, total: Int)) {
            let d = engine.identify(
                observation, token: claim, at: visit.timestampMs, newVisitorID: Identifiers.visitorID,
                newInstance: { UInt64.random(in: 1...UInt64.max) })
            return (d, (same: engine.index.lookCount(d.profile.look), total: engine.index.count))
        }
        let (decision, population) = engines.withLock { engines in
            decide(&engines[visit.environmentID, default: IdentificationEngine(weights: weights, model: model)])
        }
        let record = VisitorRecord(environmentID: visit.environmentID, profile: decision.profile)
        var resolution = Resolution(
            visitorID: decision.visitorID, visitorFound: decision.visitorFound, confidence: decision.confidence,
            firstSeenAt: decision.firstSeenAt, lastSeenAt: decision.lastSeenAt, tokenMismatch: decision.tokenMismatch,
            instance: decision.instance, visitor: record)
        resolution.lookPopulation = population
        resolution.joined = decision.joined.map { VisitorRecord(environmentID: visit.environmentID, profile: $0) }
        return resolution
    }

    /// Applies the visitor rows other instances wrote, and their erasures, to each loaded
    /// environment's index (nothing to do unless the store is shared). A profile this index is
    /// already ahead of — this instance's own writes come back too — is left as it is.
    public func followChanges() async throws {
        guard store.sharedByInstances else { return }
        for (environmentID, start) in cursors.withLock({ $0 }) {
            var cursor = start
            var more = true
            while more {
                let changes = try await store.visitorChanges(
                    environmentID: environmentID, after: cursor, limit: Self.changeBatch)
                let profiles = changes.visitors.compactMap { Profile(encoded: $0.profile) }
                engines.withLock { engines in
                    guard engines.index(forKey: environmentID) != nil else { return }
                    for id in changes.erased { _ = engines[environmentID]!.erase(id) }
                    for profile in profiles { engines[environmentID]!.apply(stored: profile) }
                }
                cursor = changes.cursor
                more = changes.more
            }
            cursors.withLock { $0[environmentID] = cursor }
        }
    }

    static let changeBatch = 1000

    public func erase(visitorID: String, environmentID: String) async throws -> [String] {
        try await ensureLoaded(environmentID)
        return engines.withLock { $0[environmentID]?.erase(visitorID) ?? [visitorID] }
    }

    func ensureLoaded(_ environmentID: String) async throws {
        if loaded.withLock({ $0.contains(environmentID) }) { return }
        try await loader.load(environmentID, into: self)
    }

    /// Loads each environment once, however many requests wait for it.
    actor Loader {
        let store: any ArgusStore
        var tasks: [String: Task<Void, any Error>] = [:]

        init(store: any ArgusStore) { self.store = store }

        func load(_ environmentID: String, into identifier: FuzzyIdentifier) async throws {
            if let task = tasks[environmentID] { return try await task.value }
            let store = self.store
            let weights = identifier.weights
            let model = identifier.model
            let task = Task {
                var engine = IdentificationEngine(weights: weights, model: model)
                // Taken first: whatever other instances commit during the read comes again through the feed.
                let cursor = store.sharedByInstances ? try await store.visitorChangeCursor(environmentID: environmentID) : nil
                for visitor in try await store.visitors(environmentID: environmentID) {
                    if let profile = Profile(encoded: visitor.profile) { engine.load(profile) }
                }
                identifier.engines.withLock { engines in
                    if engines.index(forKey: environmentID) == nil { engines[environmentID] = engine }
                }
                identifier.loaded.withLock { _ = $0.insert(environmentID) }
                if let cursor { identifier.cursors.withLock { $0[environmentID] = $0[environmentID] ?? cursor } }
            }
            tasks[environmentID] = task
            do {
                try await task.value
            } catch {
                tasks[environmentID] = nil  // let a later request try again
                throw error
            }
        }
    }
}

extension VisitorRecord {
    /// What the store keeps of an engine profile: its times, its count and its binary form.
    public init(environmentID: String, profile p: Profile) {
        self.init(
            environmentID: environmentID, id: p.visitorID, firstSeenAt: p.firstSeenAt, lastSeenAt: p.lastSeenAt,
            eventCount: p.eventCount, profile: p.encoded())
    }
}
