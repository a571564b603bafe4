import ArgusCore
import ArgusStorage
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Delivers the webhook outbox: claims due deliveries from the store in
/// batches (leases, so several instances share the work and a dead
/// instance's claims come back), sends at most `maxInFlight` at once,
/// logs every attempt and schedules retries (`WebhookRetryPolicy`).
///
/// Memory stays bounded whatever the receivers do: only as many deliveries
/// are claimed as there are free slots; the rest wait in the database.
/// Identify never waits for any of this.
public final class WebhookDispatcher: Service, Sendable {
    let runtime: ArgusRuntime
    let sender: any WebhookSender
    let policy: WebhookRetryPolicy
    let maxInFlight: Int
    let claimBatch: Int
    let leaseMs: Int64
    let pollMs: Int64
    let random: @Sendable () -> Double
    /// `argus_webhook_attempts_total{result="delivered"|"retry"|"failed"}` ("failed": given up after the horizon).
    let attempts: [WebhookCompletion.Outcome.Kind: Counter]
    var store: any ArgusStore { runtime.store }
    var logger: Logger { runtime.logger }

    public static let deliveryIDHeader = "X-Argus-Delivery-Id"
    public static let eventIDHeader = "X-Argus-Event-Id"
    public static let attemptHeader = "X-Argus-Delivery-Attempt"

    public init(
        runtime: ArgusRuntime, sender: (any WebhookSender)? = nil, policy: WebhookRetryPolicy = WebhookRetryPolicy(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        let c = runtime.config
        self.runtime = runtime
        self.sender =
            sender ?? HTTPWebhookSender(allowPrivate: c.webhookAllowPrivate, timeoutMs: c.webhookTimeoutMs)
        self.policy = policy
        self.maxInFlight = max(1, c.webhookConcurrency)
        self.claimBatch = max(1, min(c.webhookConcurrency, 64))
        self.leaseMs = c.webhookLeaseMs
        self.pollMs = c.webhookPollMs
        self.random = random
        attempts = runtime.metrics.argusCounters("webhook_attempts", label: "result", help: "Webhook delivery attempts by result")
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
        await sender.shutdown()
    }

    func loop() async {
        // Claim again once a quarter of the slots is free (or on the poll tick), not after every single
        // completion; completions gathered meanwhile are written in one transaction just before.
        let refill = max(1, maxInFlight / 4)
        var finished: [WebhookCompletion] = []
        await withTaskGroup(of: WebhookCompletion?.self) { group in
            var inFlight = 0
            var sleeping = false
            var tick = true
            while !Task.isCancelled {
                let free = maxInFlight - inFlight
                if free > 0, tick || free >= refill {
                    await record(finished)
                    finished.removeAll(keepingCapacity: true)
                    let requested = min(free, claimBatch)
                    var claimed = 0
                    for delivery in await claim(limit: requested) {
                        group.addTask { await self.attempt(delivery) }
                        claimed += 1
                    }
                    inFlight += claimed
                    // A full batch: more may be due; claim again while slots are free.
                    if claimed == requested, inFlight < maxInFlight { continue }
                }
                tick = false
                if !sleeping {
                    sleeping = true
                    let pollMs = pollMs
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(pollMs))
                        return nil
                    }
                }
                switch await group.next() {
                case .some(.some(let completion)):
                    inFlight -= 1
                    finished.append(completion)
                case .some(.none):
                    sleeping = false
                    tick = true
                case .none: continue
                }
            }
            for await completion in group { if let completion { finished.append(completion) } }
        }
        // Shutting down: record what finished, outside the cancelled task (a failure only means a resend after the lease).
        let last = finished
        await Task { await self.record(last) }.value
    }

    func claim(limit: Int) async -> [ClaimedWebhookDelivery] {
        do {
            return try await store.claimWebhookDeliveries(nowMs: runtime.clock.nowMs(), leaseMs: leaseMs, limit: limit)
        } catch {
            if !(error is CancellationError) { logger.warning("webhook claim failed", metadata: ["error": "\(error)"]) }
            return []
        }
    }

    /// Claims what is due now and delivers it, waiting for every send; the number delivered or attempted (tests, tools).
    @discardableResult
    public func runOnce(limit: Int = 64) async -> Int {
        let claimed = await claim(limit: limit)
        let finished = await withTaskGroup(of: WebhookCompletion.self) { group in
            for delivery in claimed { group.addTask { await self.attempt(delivery) } }
            var all: [WebhookCompletion] = []
            for await completion in group { all.append(completion) }
            return all
        }
        await record(finished)
        return claimed.count
    }

    /// Builds the signed request (the stored document's exact bytes).
    func request(for c: ClaimedWebhookDelivery, attempt: Int) throws -> WebhookRequest {
        let secret = String(decoding: try runtime.secretBox.open(c.endpoint.sealedSecret), as: UTF8.self)
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("User-Agent", "Argus-Webhooks/1"),
            (WebhookSigning.header, WebhookSigning.signature(body: c.document, secret: secret)),
            (Self.deliveryIDHeader, c.delivery.id),
            (Self.eventIDHeader, c.delivery.eventID),
            (Self.attemptHeader, String(attempt)),
        ]
        if let user = c.endpoint.basicAuthUser {
            let password = try c.endpoint.sealedPassword.map { String(decoding: try runtime.secretBox.open($0), as: UTF8.self) } ?? ""
            headers.append(("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()))
        }
        return WebhookRequest(url: c.endpoint.url, body: c.document, headers: headers)
    }

    /// Sends one delivery and decides what happens next; the caller records the result.
    func attempt(_ c: ClaimedWebhookDelivery) async -> WebhookCompletion {
        let number = c.delivery.attempts + 1
        let startedAt = runtime.clock.nowMs()
        let started = ContinuousClock.now
        let response: WebhookResponse
        do {
            response = await sender.send(try request(for: c, attempt: number))
        } catch {
            response = WebhookResponse(statusCode: nil, error: "cannot open the endpoint's secret: \(error)")
        }
        let elapsed = ContinuousClock.now - started
        let latencyMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let outcome: WebhookCompletion.Outcome
        if response.isSuccess {
            outcome = .delivered
        } else {
            switch policy.afterFailure(attempt: number, nowMs: runtime.clock.nowMs(), queuedAtMs: c.delivery.queuedAt, unit: random()) {
            case .retry(let at): outcome = .retry(atMs: at)
            case .giveUp: outcome = .failed
            }
        }
        attempts[outcome.kind]?.increment()
        if outcome == .failed {
            logger.warning(
                "webhook delivery failed for good", metadata: ["delivery": .string(c.delivery.id), "endpoint": .string(c.endpoint.id)])
        }
        return WebhookCompletion(
            deliveryID: c.delivery.id, leaseToken: c.leaseToken,
            attempt: WebhookAttemptRecord(
                deliveryID: c.delivery.id, number: number, startedAt: startedAt, latencyMs: latencyMs,
                statusCode: response.statusCode, error: response.error),
            outcome: outcome)
    }

    /// Writes finished attempts in one transaction. If that fails, the leases run out and the
    /// deliveries are sent again: at least once.
    func record(_ completions: [WebhookCompletion]) async {
        guard !completions.isEmpty else { return }
        do {
            let kept = try await store.completeWebhookDeliveries(completions)
            for (c, held) in zip(completions, kept) where !held {
                logger.notice("webhook lease lost before completion", metadata: ["delivery": .string(c.deliveryID)])
            }
        } catch {
            logger.warning("cannot record webhook attempts", metadata: ["count": "\(completions.count)", "error": "\(error)"])
        }
    }
}
