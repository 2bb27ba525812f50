import Foundation
import Markets

/// One order the coordinator (or an operator) wants executed, with what the breaker and the journal need.
public struct OrderTicket: Sendable {
    public var request: ExecutionRequest
    public var eventTicker: String
    /// The data venue's price the signal saw (hybrid mode: production), journaled beside every fill.
    public var expectedPrice: Price?
    /// When the signal behind the order arrived.
    public var signalAt: ContinuousClock.Instant
    /// The signal's expected profit per contract at `expectedPrice`.
    public var edge: Dollars?

    public init(request: ExecutionRequest, eventTicker: String, expectedPrice: Price?, signalAt: ContinuousClock.Instant = .now, edge: Dollars? = nil) {
        self.request = request
        self.eventTicker = eventTicker
        self.expectedPrice = expectedPrice
        self.signalAt = signalAt
        self.edge = edge
    }
}

/// What came of a ticket.
public enum ExecutionOutcome: Sendable {
    /// The breaker refused it; nothing was journaled as an order or sent.
    case denied(BreakerDenial)
    /// It could not be journaled, so it was not sent.
    case refused(String)
    case executed(ExecutionResult)
}

/// A point-in-time view of the execution side, for the admin API and the stats lines.
public struct ExecutionStatus: Sendable, Codable, Hashable {
    public var mode: ExecutionMode
    public var breaker: String
    public var haltReason: String?
    public var tradesToday: Int
    public var volumeToday: String
    public var openOrders: Int
    public var denials: [String: Int]
}

/// The one path from a ticket to a venue: circuit breaker → journal (committed) → executor → journal,
/// breaker and metrics. The breaker is a value owned here, so a check is plain arithmetic.
public actor ExecutionService {
    public nonisolated let mode: ExecutionMode
    public nonisolated let journal: Journal
    public nonisolated let metrics: ExecutionMetrics
    private let executor: any Executor
    private var breaker: CircuitBreaker
    private let wallNanoseconds: @Sendable () -> Int64
    /// Orders whose outcome the venue could not tell us yet; settled by `settleUnresolved`.
    public private(set) var unresolved: Set<String> = []

    public static let systemWallClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

    /// Takes the journal over: writes back orders left only in its intent log (a crash mid-order), then
    /// restores the breaker's durable state (a manual halt, the day's counters) and positions.
    public init(executor: any Executor, journal: Journal, mode: ExecutionMode, breaker settings: BreakerSettings,
                metrics: ExecutionMetrics = ExecutionMetrics(), wallNanoseconds: @escaping @Sendable () -> Int64 = ExecutionService.systemWallClock) throws {
        self.executor = executor
        self.journal = journal
        self.mode = mode
        self.metrics = metrics
        self.wallNanoseconds = wallNanoseconds
        try journal.recoverIntents()
        breaker = CircuitBreaker(settings: settings, restoring: try journal.loadBreaker(), nowMs: wallNanoseconds() / 1_000_000)
        for position in try journal.positionsWithEvents() {
            breaker.setPosition(ticker: position.ticker, eventTicker: position.eventTicker, position: position.position)
        }
    }

    private var nowMs: Int64 { wallNanoseconds() / 1_000_000 }
    /// How long after the send an order's SQLite row is written (sooner if the execution ends first).
    static let rowDelay: Duration = .milliseconds(2)

    /// Money at risk if the order fills: what a buyer pays, or what a seller could lose.
    private static func risk(_ request: ExecutionRequest) -> Dollars {
        let price = request.action == .buy ? request.limit : request.limit.complement
        return (try? price.notional(request.count, rounding: .up)) ?? Dollars(micros: .max)
    }

    public func execute(_ ticket: OrderTicket) async -> ExecutionOutcome {
        let request = ticket.request
        let now = wallNanoseconds()
        let check = BreakerOrder(ticker: request.ticker, eventTicker: ticket.eventTicker, positionChange: request.positionChange,
                                 risk: Self.risk(request))
        if case let .failure(denial) = breaker.check(check, nowMs: now / 1_000_000) {
            try? journal.record(denial, ticker: request.ticker, at: now)
            metrics.count("denials", [("code", denial.code.description)])
            return .denied(denial)
        }
        let order = JournalOrder(clientOrderID: request.clientOrderID, signalID: request.signalID, ticker: request.ticker,
                                 action: request.action, side: request.side, limitPrice: request.limit, requested: request.count,
                                 mode: mode.rawValue, createdNanoseconds: now)
        do {
            try journal.recordIntent(order)
        } catch {
            metrics.count("journal_errors")
            return .refused("journal write failed, order not sent: \(error)")
        }
        breaker.recordSubmitted(check, nowMs: now / 1_000_000)
        let submittedAt = ContinuousClock.now
        // Once journaled, an order runs to its end even if the caller is cancelled (shutdown, a dropped
        // admin request): a half-sent order is exactly what the journal exists to prevent.
        let executor = executor
        let running = Task { await executor.execute(request) }
        // Its row once the request is out (the intent log holds the order until then, and across a
        // crash): a couple of milliseconds later, or as soon as the execution ends, so the SQLite work
        // does not compete with the send for a core.
        let journal = journal
        let inserting = Task {
            try? await Task.sleep(for: Self.rowDelay)
            return Result { try journal.insert(order) }
        }
        var result = await running.value
        inserting.cancel()
        if case let .failure(error) = await inserting.value {
            metrics.count("journal_errors")
            breaker.trip("journal write failed: \(error)", nowMs: now / 1_000_000)
            persistBreaker()
        }
        if let expected = ticket.expectedPrice, let average = result.averagePrice {
            result.slippage = Dollars(micros: average.micros - expected.micros)
        }
        if let edge = ticket.edge, result.order.filled.isPositive {
            // (edge − slippage) per contract × filled contracts (hundredths), less fees.
            let perContract = edge.micros - (result.slippage?.micros ?? 0)
            result.potentialProfit = Dollars(micros: perContract * result.order.filled.hundredths / 100 - result.fees.micros)
        }
        var latencies: [LatencyStage: Duration] = [
            .signalToSubmitted: ticket.signalAt.duration(to: submittedAt),
            .signalToComplete: ticket.signalAt.duration(to: .now),
        ]
        latencies[.submittedToAcknowledged] = result.timing.acknowledged
        latencies[.signalToFirstFill] = result.timing.firstFill.map { ticket.signalAt.duration(to: submittedAt) + $0 }
        for (stage, duration) in latencies { metrics.record(stage, duration) }
        record(result, ticket, latencies)
        return .executed(result)
    }

    /// Journal, breaker and counters after an execution.
    private func record(_ result: ExecutionResult, _ ticket: OrderTicket, _ latencies: [LatencyStage: Duration]) {
        let request = ticket.request
        let sign = request.action.positionSign(on: request.side)
        let now = wallNanoseconds()
        for fill in result.order.fills {
            breaker.recordFill(ticker: request.ticker, eventTicker: ticket.eventTicker, positionChange: Contracts(hundredths: sign * fill.count.hundredths))
        }
        let order = result.order
        metrics.count("orders", [("state", order.state.rawValue)])
        metrics.count("fills", by: order.fills.count)
        if let fault = result.fault {
            metrics.count("faults", [("code", fault.code.description)])
            breaker.halt(reason: "\(fault.code): \(fault.context) — investigate before resuming")
        } else if order.state == .rejected {
            metrics.count("rejections", [("code", order.rejectionCode ?? "UNKNOWN")])
            breaker.recordError(order.rejectionCode ?? "rejected", nowMs: now / 1_000_000)
        } else if !order.state.isTerminal, order.isAmbiguous {
            unresolved.insert(order.clientOrderID)
            metrics.count("ambiguous")
            breaker.recordError("ambiguous outcome of \(order.clientOrderID)", nowMs: now / 1_000_000)
        } else {
            breaker.recordSuccess()
        }
        // The order's outcome and the breaker's new durable state in one transaction.
        do {
            try journal.complete(OrderCompletion(result: result, ticker: request.ticker, eventTicker: ticket.eventTicker, positionSign: sign,
                                                 expectedPrice: ticket.expectedPrice, latencies: latencies, nanoseconds: now),
                                 breaker: breaker.snapshot)
        } catch {
            metrics.count("journal_errors")
            breaker.trip("journal write failed: \(error)", nowMs: now / 1_000_000)
            persistBreaker()
        }
    }

    private func persistBreaker() {
        try? journal.saveBreaker(breaker.snapshot, at: wallNanoseconds())
    }

    /// Asks the venue again about orders whose outcome was unknown; returns what became final.
    public func settleUnresolved(with ledger: any VenueLedger) async -> [(clientOrderID: String, state: OrderState)] {
        guard !unresolved.isEmpty else { return [] }
        let settled = await Reconciler(journal: journal, ledger: ledger).settleUnresolved(unresolved, nowNanoseconds: wallNanoseconds())
        for (id, _) in settled { unresolved.remove(id) }
        if !settled.isEmpty { try? reloadPositions() }
        return settled
    }

    // MARK: Control

    /// Stops new orders until `resume()`; persisted, so a restart stays halted.
    public func halt(reason: String) {
        breaker.halt(reason: reason)
        persistBreaker()
    }

    /// Lifts a halt and acknowledges any recorded position drift.
    public func resume() {
        breaker.resume()
        try? journal.acknowledgeDrift()
        persistBreaker()
    }

    public var haltReason: String? { breaker.haltReason }

    /// Cancels every order this run still has working. Live executors finish (and journal) each order's
    /// own execution; paper resting orders have no execution waiting, so they are journaled here.
    public func cancelAll() async -> Int {
        let open = await executor.openOrders()
        let cancelled = await executor.cancelAll()
        if mode == .paper {
            for order in open where !order.state.isTerminal {
                try? journal.update(order.clientOrderID, state: .canceled, filled: order.filled, at: wallNanoseconds(), event: "canceled",
                                    detail: "paper order cancelled by cancel-all/shutdown")
            }
        }
        return cancelled
    }

    public func openOrders() async -> [OrderLifecycle] { await executor.openOrders() }

    public func positions() async -> [String: Contracts] { await executor.positions() }

    public func status() async -> ExecutionStatus {
        let state: String = switch breaker.state {
        case .closed: "closed"
        case let .open(untilMs, reason): "open until \(untilMs) ms: \(reason)"
        case .halfOpen: "half-open"
        }
        return ExecutionStatus(mode: mode, breaker: breaker.haltReason == nil ? state : "halted", haltReason: breaker.haltReason,
                               tradesToday: breaker.tradesToday, volumeToday: breaker.volumeToday.wireString,
                               openOrders: await executor.openOrders().count,
                               denials: Dictionary(uniqueKeysWithValues: breaker.denials.map { ($0.key.description, $0.value) }))
    }

    /// Sets the breaker's positions from the journal (after reconciliation adopted the venue's).
    public func reloadPositions() throws {
        for position in try journal.positionsWithEvents() {
            breaker.setPosition(ticker: position.ticker, eventTicker: position.eventTicker, position: position.position)
        }
    }
}
